"""Normalisation of the values matching compares: company names, domains, people, phones, IDs."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz.distance import OSA

_NON_WORD = re.compile(r"[^a-z0-9]+")
_NON_DIGIT = re.compile(r"\D+")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")

# Legal forms are noise for identity: "Acme Inc." and "ACME, LLC" are the same client.
# Multi-word forms are matched on the token sequence, after punctuation is gone.
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "ag", "sa", "sas",
        "sarl", "srl", "spa", "bv", "nv", "plc", "corp", "corporation", "co", "company", "pty",
        "pte", "kg", "oy", "ab", "as", "aps", "kk", "pllc", "pc", "sl", "se", "lda", "ulc",
    }
)  # fmt: skip
_MULTIWORD_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("l", "l", "c"),
    ("l", "l", "p"),
    ("s", "a"),
    ("s", "a", "s"),
    ("b", "v"),
    ("n", "v"),
    ("p", "l", "c"),
    ("co", "ltd"),
    ("pty", "ltd"),
    ("pvt", "ltd"),
    ("private", "limited"),
)

# Spelling variants that carry no identity; both sides are rewritten to the short form.
ABBREVIATIONS: dict[str, str] = {
    "and": "&",
    "int'l": "intl",
    "natl": "national",
    "assocs": "assoc",
    "bros": "brothers",
    "svc": "svcs",
    "grp": "group",
    "hldgs": "holdings",
    "mgmt": "management",
    "sys": "systems",
    "lab": "labs",
    "univ": "university",
    "ctr": "center",
    "centre": "center",
    "st": "saint",
    "mt": "mount",
}
_LONG_FORMS: tuple[tuple[str, str], ...] = (
    ("international", "intl"),
    ("corporation", "corp"),
    ("company", "co"),
    ("technologies", "tech"),
    ("technology", "tech"),
    ("services", "svcs"),
    ("manufacturing", "mfg"),
    ("associates", "assoc"),
    ("laboratories", "labs"),
)
_PHRASES: dict[str, str] = {"north america": "na", "n. a.": "na", "united states": "us"}
# Words so common in company names that they make poor blocking keys.
NAME_STOPWORDS: frozenset[str] = frozenset({"the", "&", "of", "group", "holdings", "services"})

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
        "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net",
        "web.de", "mail.com", "zoho.com", "yandex.com", "yandex.ru", "fastmail.com", "hey.com",
        "comcast.net", "verizon.net", "att.net", "orange.fr", "free.fr", "qq.com", "163.com",
    }
)  # fmt: skip

# Given-name variants mapped to one canonical form, so "Bill Smith" meets "William Smith".
_NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("william", "bill", "billy", "will", "willy", "liam"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "betsy"),
    ("robert", "bob", "bobby", "rob", "robbie", "bert"),
    ("richard", "rick", "ricky", "dick", "rich", "richie"),
    ("james", "jim", "jimmy", "jamie"),
    ("john", "jack", "johnny", "jon"),
    ("jonathan", "jon", "jonny"),
    ("michael", "mike", "mikey", "mick"),
    ("margaret", "maggie", "meg", "peggy", "marge", "greta"),
    ("katherine", "kate", "katie", "kathy", "kat", "kathryn", "catherine", "cathy", "kit"),
    ("thomas", "tom", "tommy"),
    ("joseph", "joe", "joey"),
    ("charles", "charlie", "chuck", "chas"),
    ("christopher", "chris", "kit"),
    ("christine", "chris", "chrissy", "tina", "christina"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("anthony", "tony"),
    ("andrew", "andy", "drew"),
    ("alexander", "alex", "sandy", "xander"),
    ("alexandra", "alex", "sandra", "lexi"),
    ("benjamin", "ben", "benny"),
    ("matthew", "matt", "matty"),
    ("nicholas", "nick", "nicky"),
    ("patrick", "pat", "paddy"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("peter", "pete"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammy"),
    ("stephen", "steve", "steven", "stevie"),
    ("timothy", "tim", "timmy"),
    ("jennifer", "jen", "jenny", "jenn"),
    ("jessica", "jess", "jessie"),
    ("susan", "sue", "susie", "suzanne"),
    ("deborah", "deb", "debbie", "debra"),
    ("rebecca", "becky", "becca"),
    ("victoria", "vicky", "tori"),
    ("abigail", "abby", "gail"),
    ("gregory", "greg"),
    ("jeffrey", "jeff", "geoffrey", "geoff"),
    ("kenneth", "ken", "kenny"),
    ("lawrence", "larry", "laurence"),
    ("leonard", "leo", "len", "lenny"),
    ("ronald", "ron", "ronnie"),
    ("donald", "don", "donnie"),
    ("raymond", "ray"),
    ("gerald", "gerry", "jerry"),
    ("frederick", "fred", "freddie"),
    ("francis", "frank", "frankie"),
    ("henry", "hank", "harry"),
    ("joshua", "josh"),
    ("zachary", "zach", "zack"),
    ("nathaniel", "nate", "nathan", "nat"),
    ("vincent", "vince", "vinny"),
    ("philip", "phil", "phillip"),
    ("douglas", "doug"),
    ("eugene", "gene"),
    ("susanne", "sue", "susie"),
    ("dorothy", "dot", "dottie"),
    ("judith", "judy", "jude"),
    ("pamela", "pam"),
    ("cynthia", "cindy"),
    ("sandra", "sandy"),
    ("teresa", "terry", "tess", "theresa"),
    ("valerie", "val"),
    ("angela", "angie"),
    ("kimberly", "kim"),
    ("melissa", "mel", "missy"),
    ("emily", "em", "emmy"),
    ("olivia", "liv", "livvy"),
    ("isabella", "bella", "izzy", "isabel"),
    ("madeline", "maddie", "madeleine"),
    ("jacqueline", "jackie"),
    ("josephine", "jo", "josie"),
    ("natalie", "nat"),
    ("allison", "ally", "allie", "alison"),
)
NICKNAMES: dict[str, str] = {}
for _group in _NICKNAME_GROUPS:
    for _name in _group:
        # The first group a name appears in wins: "chris" → christopher, consistently.
        NICKNAMES.setdefault(_name, _group[0])


def fold(text: str) -> str:
    """Lower-case ASCII form: accents dropped ("Müller" → "muller"), case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_TYPO_PRONE_SUFFIXES = ("corp", "inc", "ltd", "llc", "gmbh", "plc", "llp")


def _is_legal_suffix(token: str) -> bool:
    if token in LEGAL_SUFFIXES:
        return True
    # A mistyped legal form ("ocrp", "Ldt") is still a legal form.
    # Three letters are too few to tell a typo from a word ("ink"), so only swaps count there.
    return any(
        len(token) == len(s)
        and (
            sorted(token) == sorted(s)
            if len(s) == 3
            else OSA.distance(token, s, score_cutoff=1) <= 1
        )
        for s in _TYPO_PRONE_SUFFIXES
    )


def company_tokens(name: Any) -> list[str]:
    """Name tokens with punctuation, accents, abbreviations and legal suffixes normalised."""
    raw = fold(_text(name)).replace("&", " & ").replace("+", " & ")
    # "A.C.M.E." and "A C M E" keep their letters together once the dots go.
    raw = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", raw)
    for phrase, short in _PHRASES.items():
        raw = raw.replace(phrase, short)
    # Systems swap long and short forms by plain text replacement, even inside other words
    # ("Continental" → "Companyntinental"), so long forms are shortened wherever they occur.
    for long, short in _LONG_FORMS:
        raw = raw.replace(long, short)
    tokens = [t for t in _NON_WORD.sub(" ", raw.replace("&", " and ")).split() if t]
    tokens = [ABBREVIATIONS.get(t, t) for t in tokens]
    tokens = [t for t in tokens if t != "&"] if len(tokens) > 1 else tokens
    # Strip trailing legal forms repeatedly: "Acme Holdings Co Ltd" → "acme holdings".
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for suffix in _MULTIWORD_SUFFIXES:
            n = len(suffix)
            if len(tokens) > n and tuple(tokens[-n:]) == suffix:
                tokens = tokens[:-n]
                changed = True
                break
        if not changed and len(tokens) > 1 and _is_legal_suffix(tokens[-1]):
            tokens = tokens[:-1]
            changed = True
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    return tokens


def company_name(name: Any) -> str:
    """Comparable company name: "The ACME Co., Inc." → "acme"."""
    return " ".join(company_tokens(name))


def domain(value: Any) -> str | None:
    """Registrable-ish web domain of a URL, a bare host or an e-mail address, without "www."."""
    text = fold(_text(value))
    if not text:
        return None
    if "@" in text:
        host: str | None = text.rsplit("@", 1)[1]
    else:
        host = urlsplit(text if "//" in text else "//" + text).hostname
    if not host:
        return None
    host = host.strip(".").removeprefix("www.")
    return host or None


def is_personal_domain(value: str | None) -> bool:
    """Whether a domain is a free-mail provider's (gmail, outlook, yahoo, ...)."""
    return value is not None and value in FREE_MAIL_DOMAINS


def email(value: Any) -> tuple[str, str] | None:
    """(local part, domain) of an address, lower-cased; "+tags" dropped; None if not an address."""
    text = fold(_text(value))
    if "@" not in text:
        return None
    local, _, host = text.rpartition("@")
    local = local.split("+", 1)[0]
    host = host.strip().strip(".")
    if host in {"gmail.com", "googlemail.com"}:
        # Gmail ignores dots in the local part, so they cannot distinguish people.
        local = local.replace(".", "")
    if not local or not host:
        return None
    return local, host


def given_name(value: Any) -> str:
    """First given name, folded, with nicknames mapped to their formal form ("Bill" → william)."""
    tokens = _NON_WORD.sub(" ", fold(_text(value))).split()
    if not tokens:
        return ""
    first = tokens[0]
    return NICKNAMES.get(first, first)


def family_name(value: Any) -> str:
    """Family name folded to letters only: "O'Brien-Smith" → "obriensmith"."""
    return _NON_WORD.sub("", fold(_text(value)))


@functools.lru_cache(maxsize=65_536)
def soundex(name: str) -> str:
    """American Soundex of a folded name; cheap phonetic blocking for misspelt family names."""
    letters = [c for c in name if "a" <= c <= "z"]
    if not letters:
        return ""
    codes = {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
    out = [letters[0]]
    last = codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out.append(code)
        if c not in "hw":
            last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


def phone(value: Any, default_country_code: str = "1") -> str | None:
    """Digits of a phone number, E.164-ish: national numbers get `default_country_code`."""
    text = _text(value)
    if not text:
        return None
    text = re.split(r"(?i)\s*(?:x|ext\.?|extension)\s*\d+$", text)[0]
    digits = _NON_DIGIT.sub("", text)
    if text.lstrip().startswith("00"):
        digits = digits[2:]
    elif not text.lstrip().startswith("+"):
        digits = digits.lstrip("0") if len(digits) != 10 else default_country_code + digits
    if len(digits) < 7:
        return None
    return digits


def identifier(value: Any) -> str | None:
    """Tax or national ID without separators or case: "12-345 678/9" → "123456789"."""
    text = _NON_ALNUM.sub("", _text(value)).upper()
    return text or None


def address(value: Any) -> str:
    """One comparable line from a structured or free-text address."""
    if isinstance(value, Mapping):
        parts = [value.get(k) for k in ("line1", "line2", "city", "postal_code", "country")]
        text = " ".join(_text(p) for p in parts if p)
    else:
        text = _text(value)
    tokens = _NON_WORD.sub(" ", fold(text)).split()
    return " ".join(_ADDRESS_WORDS.get(t, t) for t in tokens)


_ADDRESS_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "suite": "ste",
    "floor": "fl",
    "place": "pl",
    "court": "ct",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def text(value: Any) -> str:
    """Folded words of free text (project names, titles); "roll-out" is one word."""
    joined = re.sub(r"(?<=\w)['\u2019-](?=\w)", "", fold(_text(value)))
    return " ".join(_NON_WORD.sub(" ", joined).split())
