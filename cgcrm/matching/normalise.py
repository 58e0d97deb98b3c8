"""What the matcher compares: a person's record reduced to canonical, comparable features.

One ``Features`` is built the same way from a request body (``from_body``) and from stored rows
(``cgcrm.matching.store``), so a record always compares equal to itself. Names become keys
(lower-case ASCII letters, ``cgcrm.citizens.normalize.name_key``) with their words kept apart,
so "Mary-Anne" meets "Mary Anne" and "Smith-Jones" meets "Smith"; given names carry the
nickname groups of ``data/nicknames.csv`` (Bob and Robert share "robert"); addresses are split
into house number, street words with their abbreviations written out, locality and postcode;
emails and phones take the canonical forms the record stores; identifiers their keyed hash.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jellyfish
from unidecode import unidecode

from cgcrm.citizens import normalize

DATA = Path(__file__).resolve().parent / "data"
_WORDS = re.compile(r"[a-z0-9]+")
_NAME_WORDS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"[0-9]")  # address words are ``_WORDS``: ASCII letters and digits
# Address words as people abbreviate them, written out (Australian, British and US usage).
ADDRESS_WORDS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "drv": "drive",
    "ln": "lane",
    "pl": "place",
    "ct": "court",
    "crt": "court",
    "cres": "crescent",
    "cr": "crescent",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "ter": "terrace",
    "blvd": "boulevard",
    "cl": "close",
    "cct": "circuit",
    "sq": "square",
    "gr": "grove",
    "gdns": "gardens",
    "mt": "mount",
    "hts": "heights",
    "esp": "esplanade",
    "wy": "way",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "apt": "unit",
    "flat": "unit",
    "u": "unit",
    "lvl": "level",
}
# Words that say which flat, not which street; the number after them is not the house number.
UNIT_WORDS = frozenset({"unit", "level", "suite", "shop", "floor"})


@functools.cache
def nickname_groups() -> dict[str, frozenset[str]]:
    """Each name key and the formal names it is a form of (itself included for formal names).

    From carltonnorthern/nicknames (Apache-2.0, ``data/nicknames.csv``): "name1 has_nickname
    name2" rows; a name belongs to the group of every formal name it appears with.
    """
    groups: dict[str, set[str]] = {}
    with (DATA / "nicknames.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            formal, nick = normalize.name_key(row["name1"]), normalize.name_key(row["name2"])
            if formal and nick:
                groups.setdefault(formal, {formal}).add(formal)
                groups.setdefault(nick, {nick}).add(formal)
    return {name: frozenset(found) for name, found in groups.items()}


@functools.cache
def _group_members() -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for name, groups in nickname_groups().items():
        for group in groups:
            members.setdefault(group, set()).add(name)
    return {group: frozenset(names) for group, names in members.items()}


def nickname_variants(key: str) -> frozenset[str]:
    """Every name that is a form of the same formal name as ``key`` ("bob" -> robert, rob...)."""
    members = _group_members()
    found: set[str] = set()
    for group in nickname_groups().get(key, ()):
        found |= members.get(group, frozenset())
    return frozenset(found)


def name_words(value: str | None) -> tuple[str, ...]:
    """The words of a name as keys: "Smith-Jones" -> (smith, jones), "O'Brien" -> (obrien,)."""
    if not value:
        return ()
    # Apostrophes join (O'Brien is one word); hyphens, spaces and other marks separate.
    text = unidecode(value).lower().replace("'", "").replace("\u2019", "")
    return tuple(_NAME_WORDS.findall(text))


@dataclass(frozen=True, slots=True)
class NameForm:
    """One name of a person: the joined keys the search stores, and the words apart."""

    given: str
    family: str
    given_words: tuple[str, ...]
    family_words: tuple[str, ...]
    kind: str = "current"
    # Metaphone of the first given word and of the family key, computed once per record.
    given_sound: str = ""
    family_sound: str = ""

    @property
    def first_given(self) -> str:
        return self.given_words[0] if self.given_words else self.given


# Names repeat (most people share a few thousand), and a match builds a form for every name of
# every candidate: the forms are immutable, so each distinct name is worked out once.
@functools.lru_cache(maxsize=65_536)
def name_form(given: str | None, family: str | None, kind: str = "current") -> NameForm | None:
    """A ``NameForm``, or None when neither part has a letter."""
    given_words, family_words = name_words(given), name_words(family)
    given_key, family_key = normalize.name_key(given), normalize.name_key(family)
    if not (given_key or family_key):
        return None
    first = given_words[0] if given_words else given_key
    return NameForm(
        given_key,
        family_key,
        given_words,
        family_words,
        kind,
        jellyfish.metaphone(first) if first else "",
        jellyfish.metaphone(family_key) if family_key else "",
    )


@dataclass(frozen=True, slots=True)
class AddressForm:
    number: str
    street: str
    locality: str
    postcode: str

    @property
    def line(self) -> str:
        return f"{self.number} {self.street}".strip()


def address_words(text: str | None) -> list[str]:
    """Lower-case ASCII words, abbreviations written out: "12 George St." -> 12 george street."""
    words = _WORDS.findall(unidecode(text or "").lower())
    return [ADDRESS_WORDS.get(word, word) for word in words]


def address_form(item: Mapping[str, Any]) -> AddressForm | None:
    """House number, street, locality and postcode of an address; None when it has none."""
    return address_form_of(
        item.get("line1"), item.get("line2"), item.get("locality"), item.get("postcode")
    )


# A candidate's address is read again by the next match that finds them (a household, a
# common name); the forms are immutable, so a bounded cache serves them.
@functools.lru_cache(maxsize=65_536)
def address_form_of(
    line1: str | None, line2: str | None, locality: str | None, postcode: str | None
) -> AddressForm | None:
    """``address_form`` of an address's four columns."""
    words = address_words(line1) + address_words(line2)
    number, street, skip_next = "", [], False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if word in UNIT_WORDS:
            skip_next = True
            continue
        if _DIGIT.search(word):
            # "3/12": the last number written is the house number, the earlier ones flats.
            number = word
            continue
        street.append(word)
    form = AddressForm(
        number=number,
        street=" ".join(street),
        locality=" ".join(address_words(locality)),
        postcode=normalize.postcode_key(postcode),
    )
    return form if (form.line or form.locality or form.postcode) else None


@dataclass(frozen=True, slots=True)
class Features:
    """A person's record as the matcher compares it. Lists are empty when unknown."""

    names: tuple[NameForm, ...] = ()
    date_of_birth: date | None = None
    addresses: tuple[AddressForm, ...] = ()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    # (system, keyed hash of the canonical value): equal for equal values, nothing decrypted.
    identifiers: frozenset[tuple[str, str]] = frozenset()
    middle_names: tuple[str, ...] = field(default=())
    # The same values readable, for telling one mistyped from another person's: (system,
    # canonical text) of a body's, (system, encrypted value) of a stored record's, opened
    # only when a comparison needs it (``compare.compare_identifiers``).
    identifier_texts: frozenset[tuple[str, str]] = frozenset()
    sealed_identifiers: frozenset[tuple[str, str]] = frozenset()

    @property
    def postcodes(self) -> frozenset[str]:
        return frozenset(a.postcode for a in self.addresses if a.postcode)


def canonical_email(value: str) -> str | None:
    try:
        return normalize.normalise_email(value)
    except ValueError:
        cleaned = value.strip().lower()
        return cleaned if "@" in cleaned else None


def canonical_phone(value: str, region: str) -> str | None:
    return normalize.try_phone(value, region) or (
        "".join(ch for ch in value if ch.isdigit()) or None
    )


def _names(body: Mapping[str, Any]) -> tuple[NameForm, ...]:
    forms = [name_form(body.get("given_name"), body.get("family_name"))]
    if body.get("preferred_name"):
        forms.append(name_form(body["preferred_name"], body.get("family_name"), "preferred"))
    for previous in body.get("previous_names") or []:
        forms.append(name_form(previous.get("given_name"), previous.get("family_name"), "previous"))
    return tuple(form for form in forms if form is not None)


def from_body(
    body: Mapping[str, Any], *, region: str, identifier_index: Any | None = None
) -> Features:
    """Features of a create-shaped body (validated or not; any field may be missing).

    :param region: the phone region of numbers written without +country.
    :param identifier_index: value -> keyed hash (``cgcrm.citizens.record.identifier_index``);
        without it identifiers are compared on their canonical text (outside an application).
    """
    emails: set[str] = set()
    phones: set[str] = set()
    for point in body.get("contact_points") or []:
        value = str(point.get("value") or "")
        if not value:
            continue
        if point.get("kind") == "email":
            email = canonical_email(value)
            if email:
                emails.add(email)
        elif point.get("kind") == "phone":
            phone = canonical_phone(value, region)
            if phone:
                phones.add(phone)
    identifiers: set[tuple[str, str]] = set()
    texts: set[tuple[str, str]] = set()
    for item in body.get("identifiers") or []:
        system, value = item.get("system"), item.get("value")
        if not system or not value or item.get("masked"):
            continue
        canonical = normalize.identifier_canonical(str(value))
        if canonical:
            index = identifier_index(value) if identifier_index else canonical
            identifiers.add((str(system), index))
            texts.add((str(system), canonical))
    addresses = (address_form(item) for item in body.get("addresses") or [])
    dob = body.get("date_of_birth")
    if isinstance(dob, str):
        try:
            dob = date.fromisoformat(dob)
        except ValueError:
            dob = None
    return Features(
        names=_names(body),
        date_of_birth=dob,
        addresses=tuple(a for a in addresses if a is not None),
        emails=frozenset(emails),
        phones=frozenset(phones),
        identifiers=frozenset(identifiers),
        middle_names=name_words(body.get("middle_names")),
        identifier_texts=frozenset(texts),
    )


def distinct(forms: Iterable[NameForm]) -> tuple[NameForm, ...]:
    """Names without repeats of the same (given, family) keys, the first kept."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for form in forms:
        if (form.given, form.family) not in seen:
            seen.add((form.given, form.family))
            kept.append(form)
    return tuple(kept)


def transposed_date(value: date) -> date | None:
    """``value`` with day and month swapped (a date written the other way round), if that is
    a date and another one."""
    try:
        swapped = value.replace(month=value.day, day=value.month)
    except ValueError:
        return None
    return swapped if swapped != value else None
