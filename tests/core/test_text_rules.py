# ruff: noqa: RUF001  (letters of other scripts are the point of these tests)
"""Real names and notes pass the text rules; look-alikes and invisible tricks do not."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from marshmallow import ValidationError

from cgcrm.core.fields import Text

LEGITIMATE = [
    "می\u200cخواهم",  # Persian: ZWNJ between Arabic-script letters
    "فاطمه\u200cزهرا",
    "عبد الله",
    "क्\u200dष",  # Devanagari: ZWJ after a virama (half form)
    "क्\u200cष",  # Devanagari: ZWNJ after a virama (explicit virama)
    "लक्ष्मी",
    "ශ්\u200dරී",  # Sinhala: ZWJ in śrī
    "Nguyễn Thị Ngọc Ánh",
    "Nguye\u0302\u0303n",  # decomposed; NFC composes it
    "Trần Quốc Hoàng",
    "Ó Súilleabháin",
    "Seán Ó Briain",
    "Ngāti Pōneke",
    "Tāmaki Makaurau",
    "O'Brien",
    "D\u2019Arcy",
    "Smith-Jones",
    "Anne\u2011Marie",
    "José María",
    "Zoë Brontë",
    "x\u0301\u0302\u0303\u0304",  # four marks: the default bound
    "北京市",
    "Ελένη",
    "Đặng",
]
REFUSED = [
    "\u202egnp.exe",
    "a\u202ab",
    "a\u2067b\u2069",
    "Ma\u200bry",
    "\ufeffMary",
    "Ma\u00adry",
    "Ma\u2060ry",
    "Ma\u200dry",
    "\u200cمی",
    "می\u200c",
    "می\u200cMary",
    "क्\u200dx",
    "\U0001f468\u200d\U0001f469",
    "x\u0301\u0302\u0303\u0304\u0305",
    "e" + "\u0301" * 300,
    "\u0301Mary",
    "Ma\ue000ry",
    "Ma\U000f0000ry",
    "Ma\u0378ry",
    "Mary\u2028Jane",
    "Mary\u2029Jane",
    "Mary\nJane",
    "Mary\x00",
    "Mary\ud800",
    "Mary\U000e0041",
]


@pytest.mark.parametrize("value", LEGITIMATE)
def test_real_names_pass(value: str) -> None:
    assert Text().deserialize(value) == unicodedata.normalize("NFC", value)


@pytest.mark.parametrize("value", REFUSED)
def test_invisible_and_misleading_text_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Text().deserialize(value)


def test_multiline_text_keeps_line_feeds_and_tabs_but_not_separators() -> None:
    assert Text(multiline=True).deserialize("first\n\tsecond") == "first\n\tsecond"
    for value in ("first\u2028second", "first\r\nsecond", "a\u202eb\nc"):
        with pytest.raises(ValidationError):
            Text(multiline=True).deserialize(value)


def test_the_mark_bound_is_configurable(app: Any) -> None:
    five = "x\u0301\u0302\u0303\u0304\u0305"
    assert Text(max_marks=5).deserialize(five) == five
    with app.app_context():
        app.config["TEXT_MAX_COMBINING_MARKS"] = 5
        try:
            assert Text().deserialize(five) == five
        finally:
            app.config["TEXT_MAX_COMBINING_MARKS"] = 4


def test_names_from_many_scripts_are_stored_and_read_back(rates: Any) -> None:
    for given, family in [
        ("فاطمه\u200cزهرا", "می\u200cرزایی"),
        ("लक्ष्मी", "क्\u200dषत्रिय"),
        ("Nguyễn Thị", "Ngọc Ánh"),
        ("Seán", "Ó Súilleabháin"),
        ("Tāne", "Te Whāiti"),
        ("Siobhán", "D\u2019Arcy-O'Neill"),
    ]:
        created = rates.post("/api/v1/citizens", json={"given_name": given, "family_name": family})
        assert created.status_code == 201, (given, created.get_json())
        read = rates.get(f"/api/v1/citizens/{created.get_json()['id']}").get_json()
        assert (read["given_name"], read["family_name"]) == (given, family)
