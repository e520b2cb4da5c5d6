"""Feature comparators: two normalised values in, similarity 0..1 out (None if one is missing)."""

from __future__ import annotations

from datetime import date

from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.fuzz import ratio, token_sort_ratio

from golden_records.matching.normalize import is_personal_domain


def _sharpen(similarity: float, floor: float) -> float:
    # String similarities of unrelated words are rarely near 0 (Jaro-Winkler of two random
    # surnames is ~0.6), so rescale: `floor` and below mean "no resemblance".
    return max(0.0, (similarity - floor) / (1.0 - floor))


def exact(a: str | None, b: str | None) -> float | None:
    """1 when equal, 0 otherwise: domains, codes."""
    if not a or not b:
        return None
    return 1.0 if a == b else 0.0


def identifier(a: str | None, b: str | None) -> float | None:
    """Tax and national IDs: equal, one keying error (0.7), or different (0)."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    # One mistyped or transposed digit is a typo; two are a different ID.
    return 0.7 if Levenshtein.distance(a, b, score_cutoff=1) <= 1 else 0.0


def token_overlap(
    a: list[str], b: list[str], floor: float = 0.75, extra_word_penalty: float = 0.75
) -> float:
    """Share of both names' letters in words that pair up, each pair weighed by its likeness.

    Words pair greedily with their most similar counterpart; a typo ("hotells") keeps most
    of its weight, a different word ("resorts" / "stores") or an extra word ("canada")
    keeps none, which whole-string similarity would not notice.
    """
    if not a or not b:
        return 0.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    unused = list(longer)
    matched = 0.0
    unmatched = 0
    for word in shorter:
        best, best_sim = -1, 0.0
        for k, other in enumerate(unused):
            sim = _word_likeness(word, other, floor)
            if sim > best_sim:
                best, best_sim = k, sim
        if best >= 0:
            matched += best_sim * (len(word) + len(unused[best]))
            unused.pop(best)
        else:
            unmatched += 1
    total = sum(map(len, a)) + sum(map(len, b))
    # A word only one side has ("Turner Entertainment EMEA") usually names another entity.
    return matched / total * extra_word_penalty ** (unmatched + len(unused))


def _word_likeness(a: str, b: str, floor: float) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)):
        return 0.9  # an abbreviation: "assoc" / "associaets"
    return _sharpen(JaroWinkler.normalized_similarity(a, b), floor)


def company_names(a: list[str], b: list[str]) -> float | None:
    """Best similarity between any of the two records' normalised names (name, legal name)."""
    if not a or not b:
        return None
    best = 0.0
    for x in a:
        for y in b:
            if x == y:
                return 1.0
            # Word splits vary too ("bright stone" / "brightstone").
            compact = _sharpen(ratio(x.replace(" ", ""), y.replace(" ", "")) / 100.0, 0.8)
            best = max(best, token_overlap(x.split(), y.split()), compact)
    return best


def text(a: str | None, b: str | None) -> float | None:
    """Free text such as project names: word by word, numbers must agree ("Phase 2")."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    words_a, words_b = a.split(), b.split()
    # Word splitting varies too ("roll out" / "rollout").
    compact = _sharpen(ratio(a.replace(" ", ""), b.replace(" ", "")) / 100.0, 0.8)
    similarity = max(token_overlap(words_a, words_b, 0.8), compact)
    numbers_a = {w for w in words_a if w.isdigit()}
    numbers_b = {w for w in words_b if w.isdigit()}
    return similarity * 0.5 if numbers_a != numbers_b else similarity


def person_names(given_a: str, family_a: str, given_b: str, family_b: str) -> float | None:
    """Name similarity, family name weighing more, tolerant of given/family transposition."""
    if not family_a or not family_b:
        return None

    def pair(g1: str, f1: str, g2: str, f2: str) -> float:
        fam = _sharpen(JaroWinkler.normalized_similarity(f1, f2), 0.7)
        if not g1 or not g2:
            return fam * 0.9
        if len(g1) == 1 or len(g2) == 1:  # an initial
            giv = 0.85 if g1[0] == g2[0] else 0.0
        else:
            giv = _sharpen(JaroWinkler.normalized_similarity(g1, g2), 0.7)
        return 0.6 * fam + 0.4 * giv

    direct = pair(given_a, family_a, given_b, family_b)
    swapped = pair(family_a, given_a, given_b, family_b) if given_a else 0.0
    return max(direct, swapped)


def emails(a: tuple[str, str] | None, b: tuple[str, str] | None) -> float | None:
    """E-mail addresses. A personal address says nothing against a work one."""
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    (local_a, dom_a), (local_b, dom_b) = a, b
    if dom_a != dom_b and (is_personal_domain(dom_a) or is_personal_domain(dom_b)):
        # Work vs personal (or two providers): same local part is decent evidence, otherwise
        # there is no evidence either way.
        same = _mailbox(local_a) == _mailbox(local_b)
        return 0.9 if same else None
    if dom_a == dom_b:
        # Same organisation, different mailbox: a typo or a different person.
        return 0.6 * JaroWinkler.normalized_similarity(local_a, local_b)
    return 0.5 if local_a == local_b else 0.0


def _mailbox(local: str) -> str:
    # "bill.smith", "bill_smith" and "billsmith" are the same person's habit.
    return local.replace(".", "").replace("_", "").replace("-", "")


def dates(a: str | None, b: str | None) -> float | None:
    """Dates of birth: equal, day/month swapped or one part off (keying errors), or different."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    if ya == yb and ma == db and da == mb:
        return 0.8
    same = (ya == yb) + (ma == mb) + (da == db)
    return 0.5 if same == 2 else 0.0


def date_proximity(a: str | None, b: str | None, *, days: int = 31) -> float | None:
    """Start dates: 1 when equal, falling linearly to 0 at `days` x 3 apart."""
    if not a or not b:
        return None
    gap = abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    return max(0.0, 1.0 - gap / (3 * days))


def phones(a: str | None, b: str | None) -> float | None:
    """Phones by their significant digits: the last 10 (country code formats vary)."""
    if not a or not b:
        return None
    if a[-10:] == b[-10:]:
        return 1.0
    return 0.5 if a[-7:] == b[-7:] else 0.0


def addresses(a: str | None, b: str | None) -> float | None:
    """Addresses: a different house number is a different address, however similar the rest."""
    if not a or not b:
        return None
    number_a, number_b = a.split(" ", 1)[0], b.split(" ", 1)[0]
    if number_a.isdigit() and number_b.isdigit() and number_a != number_b:
        return 0.0
    return _sharpen(token_sort_ratio(a, b) / 100.0, 0.5)
