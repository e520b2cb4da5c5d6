"""The ways real systems garble the same name, e-mail or status, drawn from a seeded RNG."""

from __future__ import annotations

import random
import re
import unicodedata

_ABBREVIATIONS = (
    ("International", "Intl"),
    ("Corporation", "Corp"),
    ("Company", "Co"),
    ("Technologies", "Tech"),
    ("Services", "Svcs"),
    ("Manufacturing", "Mfg"),
    ("Associates", "Assoc"),
    ("North America", "N.A."),
)
_LEGAL = re.compile(
    r",?\s+(Inc\.?|LLC|Corp\.?|Co\.|Ltd\.?|PLC|LLP|GmbH & Co\. KG|GmbH|AG|SAS|SA|SARL"
    r"|B\.V\.|N\.V\.)$"
)
NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Richard": "Rick",
    "Michael": "Mike",
    "Elizabeth": "Liz",
    "Jennifer": "Jen",
    "Joseph": "Joe",
    "Thomas": "Tom",
    "Charles": "Charlie",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Anthony": "Tony",
    "Steven": "Steve",
    "Andrew": "Andy",
    "Joshua": "Josh",
    "Patricia": "Pat",
    "Rebecca": "Becky",
    "Timothy": "Tim",
    "Jonathan": "Jon",
    "Samuel": "Sam",
    "Benjamin": "Ben",
    "Nicholas": "Nick",
    "Katherine": "Kate",
    "Jessica": "Jess",
    "Stephanie": "Steph",
    "Christopher": "Chris",
    "Alexander": "Alex",
}
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")


def strip_legal_suffix(name: str) -> str:
    return _LEGAL.sub("", name).strip()


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: two adjacent letters swapped, or one letter dropped or doubled."""
    letters = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not letters:
        return text
    i = rng.choice(letters)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def company_variant(name: str, legal_name: str, rng: random.Random) -> str:
    """How a system other than the owner might spell a company: one or two distortions."""
    out = rng.choice((name, name, legal_name))
    for _ in range(rng.choice((1, 1, 2))):
        move = rng.randrange(7)
        if move == 0:
            out = strip_legal_suffix(out)
        elif move == 1 and out == strip_legal_suffix(out):
            out = f"{out}{rng.choice((' Inc', ', Inc.', ' Ltd', ' LLC'))}"
        elif move == 2:
            out = rng.choice((out.upper(), out.lower(), out.title()))
        elif move == 3:
            pairs = [p for p in _ABBREVIATIONS if p[0] in out or p[1] in out]
            if pairs:
                long, short = rng.choice(pairs)
                out = out.replace(long, short) if long in out else out.replace(short, long)
            else:
                out = out.replace(" & ", " and ") if " & " in out else out.replace(" and ", " & ")
        elif move == 4:
            out = out.replace(" & ", " and ") if " & " in out else typo(out, rng)
        elif move == 5:
            out = typo(out, rng)
        else:
            out = f"{out}  " if rng.random() < 0.5 else out.replace(" ", "  ", 1)
    return out


def given_name_variant(given: str, rng: random.Random) -> str:
    nick = NICKNAMES.get(given)
    if nick and rng.random() < 0.6:
        return nick
    return _ascii(given) if rng.random() < 0.5 else given


def personal_email(given: str, family: str, rng: random.Random) -> str:
    local = rng.choice(
        (
            f"{given}.{family}",
            f"{given[0]}{family}",
            f"{given}{family}{rng.randrange(10, 99)}",
            f"{family}.{given}",
        )
    )
    local = re.sub(r"[^a-z0-9.]", "", _ascii(local).lower())
    return f"{local}@{rng.choice(PERSONAL_DOMAINS)}"


def email_case_variant(email: str, rng: random.Random) -> str:
    local, _, domain = email.partition("@")
    if rng.random() < 0.5:
        return f"{'.'.join(p.capitalize() for p in local.split('.'))}@{domain}"
    return email.upper() if rng.random() < 0.3 else email


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
