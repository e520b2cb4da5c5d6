"""The CLI's two consoles (stdout for results, stderr for progress and errors), shared."""

from __future__ import annotations

from rich.console import Console, RenderableType

# Errors and notes are whole lines that scripts and logs grep: never wrap them mid-sentence.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

PIPED_WIDTH = 160


def print_table(console: Console, table: RenderableType) -> None:
    """A table at the terminal's width, or at a fixed wide width when piped (logs, CI, tests),
    where rich would otherwise squeeze it into 80 columns and cut the values."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=PIPED_WIDTH).print(table)
