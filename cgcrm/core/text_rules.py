"""What free text staff read may contain: the rules behind ``cgcrm.core.fields.Text``.

Text is NFC-normalised, then refused when it holds anything that makes what a reader sees differ
from what is stored or compared:

* control characters (Cc), except line feed and tab in multi-line fields;
* format characters (Cf): bidirectional overrides and isolates (U+202A..202E, U+2066..2069),
  zero-width space, word joiner, BOM, soft hyphen, invisible operators, tag characters...
  The two joiners ZWJ (U+200D) and ZWNJ (U+200C) are the exception, see below;
* unassigned code points (Cn), private use (Co) and surrogates (Cs);
* line and paragraph separators (U+2028, U+2029): a multi-line field breaks lines with LF;
* a combining mark at the start (it would attach to whatever the reader shows before it), and
  more than ``max_marks`` combining marks on one base character ("Zalgo" text that paints over
  neighbouring lines). NFC composes Vietnamese and most European letters into single code
  points, so real text stays far below the default of 4; Indic conjuncts alternate marks with
  letters.

**Joiners.** ZWNJ and ZWJ change how letters of cursive and Brahmic scripts join (Persian
"می‌خواهم", Hindi "क्‍ष", Sinhala "ශ්‍රී"). They are allowed only between two characters of the same
joining script (Arabic, Syriac, N'Ko, Mongolian, the Indic scripts from Devanagari to Sinhala,
Myanmar, Khmer), where the one before is a letter or combining mark of it (a virama, say) and
the one after is a letter or mark of it. Anywhere else (between Latin letters, at either end, in
emoji sequences) they only hide a difference between two strings that look the same.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from functools import cache

ZWNJ = "\u200c"
ZWJ = "\u200d"
JOINERS = frozenset({ZWNJ, ZWJ})
LINE_SEPARATORS = frozenset({"\u2028", "\u2029"})
REFUSED_CATEGORIES = {
    "Cc": "control characters",
    "Cf": "invisible formatting characters (such as direction overrides or zero-width spaces)",
    "Cn": "unassigned code points",
    "Co": "private-use characters",
    "Cs": "unpaired surrogates",
}
# Code point ranges of scripts whose letters join (or form conjuncts) under ZWJ/ZWNJ.
JOINING_SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "Arabic": (
        (0x0600, 0x06FF),
        (0x0750, 0x077F),
        (0x08A0, 0x08FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    ),
    "Syriac": ((0x0700, 0x074F), (0x0860, 0x086F)),
    "NKo": ((0x07C0, 0x07FF),),
    "Devanagari": ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    "Bengali": ((0x0980, 0x09FF),),
    "Gurmukhi": ((0x0A00, 0x0A7F),),
    "Gujarati": ((0x0A80, 0x0AFF),),
    "Oriya": ((0x0B00, 0x0B7F),),
    "Tamil": ((0x0B80, 0x0BFF),),
    "Telugu": ((0x0C00, 0x0C7F),),
    "Kannada": ((0x0C80, 0x0CFF),),
    "Malayalam": ((0x0D00, 0x0D7F),),
    "Sinhala": ((0x0D80, 0x0DFF),),
    "Myanmar": ((0x1000, 0x109F), (0xAA60, 0xAA7F)),
    "Khmer": ((0x1780, 0x17FF),),
    "Mongolian": ((0x1800, 0x18AF),),
}


def joining_script(ch: str) -> str | None:
    """The joining script ``ch`` belongs to, or None."""
    point = ord(ch)
    for script, ranges in JOINING_SCRIPTS.items():
        if any(low <= point <= high for low, high in ranges):
            return script
    return None


def _letter_or_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _joiner_allowed(before: str | None, after: str | None) -> bool:
    if before is None or after is None:
        return False
    if not (_letter_or_mark(before) and _letter_or_mark(after)):
        return False
    script = joining_script(before)
    return script is not None and joining_script(after) == script


def text_problem(text: str, *, multiline: bool, max_marks: int) -> str | None:
    """Why ``text`` (already NFC-normalised) may not be stored, or None when it may.

    :param multiline: line feeds and tabs are allowed.
    :param max_marks: most combining marks after one base character.
    """
    marks = 0
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category[0] == "M":
            if index == 0:
                return "must not start with a combining mark"
            marks += 1
            if marks > max_marks:
                return f"more than {max_marks} combining marks on one character"
            continue
        marks = 0
        if ch in LINE_SEPARATORS:
            return "contains line or paragraph separators (use a line feed)"
        if category == "Cc" and multiline and ch in "\n\t":
            continue
        if ch in JOINERS:
            before = text[index - 1] if index else None
            after = text[index + 1] if index + 1 < len(text) else None
            if _joiner_allowed(before, after):
                continue
            return "contains a zero-width joiner outside a script that needs one"
        if category in REFUSED_CATEGORIES:
            return f"contains {REFUSED_CATEGORIES[category]}"
    return None


# What of the rules above a JSON Schema pattern can say (``Text.json_schema()``): the refused
# characters as explicit ranges, computed from this Python's ``unicodedata`` so the document and
# the check never disagree. Unpaired surrogates are refused too but left out of the pattern: no
# regex engine working on Unicode scalar values (Rust's, for one) accepts a range of them, and
# JSON text cannot carry them as characters anyway. Unassigned code points, the combining-mark
# bound and the joiner context are beyond a portable pattern; the field's description says them.
TEXT_FORMAT = "x-cgcrm-text"
_PATTERN_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Zl", "Zp"})


def _ranges(wanted: Callable[[str], bool]) -> tuple[tuple[int, int], ...]:
    found: list[tuple[int, int]] = []
    start: int | None = None
    for point in range(sys.maxunicode + 2):
        if point <= sys.maxunicode and wanted(chr(point)):
            start = point if start is None else start
        elif start is not None:
            found.append((start, point - 1))
            start = None
    return tuple(found)


def _class_item(point: int) -> str:
    # \\uXXXX reads the same in ECMA-262, Rust and Python regexes; above the BMP only the
    # character itself does (ECMA writes \\u{...}, Python \\U...).
    return f"\\u{point:04x}" if point <= 0xFFFF else chr(point)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        _class_item(low) if low == high else f"{_class_item(low)}-{_class_item(high)}"
        for low, high in ranges
    )


@cache
def _refused_class(multiline: bool) -> str:
    def refused(ch: str) -> bool:
        if ch in JOINERS or (multiline and ch in "\n\t"):
            return False
        return unicodedata.category(ch) in _PATTERN_REFUSED_CATEGORIES

    return _class(_ranges(refused))


@cache
def _mark_class() -> str:
    return _class(_ranges(lambda ch: unicodedata.category(ch)[0] == "M"))


@cache
def _trimmed_class() -> str:
    # What str.strip() removes, which includes a few control characters (U+001C..001F, U+0085)
    # and the line separators: at either end of the text they are trimmed, not refused.
    return _class(_ranges(str.isspace))


@cache
def text_pattern(*, multiline: bool, not_blank: bool) -> str:
    """A JSON Schema (ECMA-262) pattern that every text ``Text`` accepts matches.

    Between what is trimmed at either end it refuses control, format (but the joiners),
    private-use and separator characters, and a combining mark first; ``not_blank`` asks for
    one character that is not trimmed.
    """
    refused = _refused_class(multiline)
    trimmed = f"[{_trimmed_class()}]*"
    head = f"^(?!{trimmed}[{_mark_class()}]){trimmed}"
    if not_blank:
        return f"{head}[^{refused}]*[^{refused}{_trimmed_class()}][^{refused}]*{trimmed}$"
    return f"{head}[^{refused}]*{trimmed}$"


def text_description(*, multiline: bool, max_marks: int) -> str:
    """What a client must know of free text beyond its pattern."""
    lines = "line feeds and tabs allowed" if multiline else "a single line"
    return (
        f"Free text ({lines}), trimmed and NFC-normalised. Refused: control, format, "
        "private-use, unassigned (in the server's Unicode version) and surrogate code points, "
        "U+2028/U+2029, a combining mark first, more than "
        f"{max_marks} combining marks on one character, and ZWJ/ZWNJ except between two letters "
        "or marks of one joining script (Arabic, Syriac, N'Ko, Mongolian, the Indic scripts, "
        "Myanmar, Khmer)."
    )
