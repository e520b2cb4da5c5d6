"""Normalisation: the spellings real systems use for one company, person, phone or ID agree."""

from __future__ import annotations

import pytest

from golden_records.matching import normalize as n


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The ACME Co., Inc.", "acme"),
        ("Acme Corporation", "acme"),
        ("ACME, LLC", "acme"),
        ("A.C.M.E. Ltd", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Müller & Söhne GmbH", "muller sohne"),
        ("Muller and Sohne", "muller sohne"),
        ("Smith Bros. S.A.", "smith brothers"),
        ("Globex International plc", "globex intl"),
        ("Wagner & Wang Ocrp", "wagner wang"),
        ("Companyntinental Academy", "continental academy"),
        ("Initech Pty Ltd", "initech"),
    ],
)
def test_company_names_lose_case_punctuation_accents_and_legal_suffixes(
    raw: str, expected: str
) -> None:
    assert n.company_name(raw) == expected


def test_a_company_named_only_by_a_legal_word_keeps_it() -> None:
    assert n.company_name("Limited") == "limited"
    assert n.company_name("Inc.") == "inc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.co.uk", "acme.co.uk"),
        ("WWW.ACME.COM", "acme.com"),
        ("jane.doe@Acme.com", "acme.com"),
        ("", None),
        (None, None),
    ],
)
def test_domains_come_from_urls_hosts_and_email_addresses(
    raw: str | None, expected: str | None
) -> None:
    assert n.domain(raw) == expected


def test_free_mail_providers_are_personal_and_company_domains_are_not() -> None:
    assert n.is_personal_domain(n.domain("jo@gmail.com"))
    assert n.is_personal_domain(n.domain("jo@outlook.com"))
    assert not n.is_personal_domain(n.domain("jo@acme.com"))


def test_email_tags_and_gmail_dots_do_not_distinguish_mailboxes() -> None:
    assert n.email("Jo.Smith+crm@gmail.com") == ("josmith", "gmail.com")
    assert n.email("jo.smith@acme.com") == ("jo.smith", "acme.com")
    assert n.email("not an address") is None


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [("Bill", "william"), ("Liz", "elizabeth"), ("bob", "robert"), ("Kate", "katherine")],
)
def test_nicknames_map_to_the_formal_given_name(nickname: str, formal: str) -> None:
    assert n.given_name(nickname) == formal
    assert n.given_name(formal.title()) == formal


def test_family_names_fold_accents_and_punctuation() -> None:
    assert n.family_name("O'Brien-Côté") == "obriencote"


def test_soundex_groups_spelling_variants() -> None:
    assert n.soundex("robert") == n.soundex("rupert") == "r163"
    assert n.soundex("smith") == n.soundex("smyth")
    assert n.soundex("smith") != n.soundex("jones")


@pytest.mark.parametrize(
    "raw",
    [
        "(415) 555-0100",
        "+1 415 555 0100",
        "415.555.0100",
        "001 415 555 0100",
        "+1-415-555-0100 x12",
    ],
)
def test_phones_become_the_same_digits(raw: str) -> None:
    assert n.phone(raw) == "14155550100"


def test_too_short_phones_are_no_phone() -> None:
    assert n.phone("12-34") is None


def test_identifiers_lose_separators_and_case() -> None:
    assert n.identifier("12-345 678/9") == "123456789"
    assert n.identifier("de 123.456.789") == "DE123456789"
    assert n.identifier(" - ") is None


def test_structured_and_free_text_addresses_compare_alike() -> None:
    structured = {"line1": "1 Main Street", "city": "Springfield", "country": "US"}
    assert n.address(structured) == n.address("1 Main St, Springfield, US")
