"""Objects alive when the server starts are exempt from later garbage collections."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hub.gc_tuning import freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as usual


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_startup_objects_are_frozen_after_garbage_is_collected(unfrozen: None) -> None:
    cycle = _Cycle()
    gone = weakref.ref(cycle)
    del cycle  # unreachable now, but only the collector frees a cycle
    assert gone() is not None
    kept = [_Cycle() for _ in range(10)]
    frozen = freeze_startup_objects()
    assert gone() is None  # collected first, not frozen with the rest
    assert frozen == gc.get_freeze_count() >= len(kept)
