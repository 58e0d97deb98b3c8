"""Read a console page as a person or a screen reader does: its tables (caption, headers,
cells as text) and its inline SVG charts, with the standard library's parsers only."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Table:
    id: str
    caption: str = ""
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, Table] = {}
        self.table: Table | None = None
        self.row: list[str] | None = None
        self.text: list[str] | None = None
        self.in_head = False
        self.in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.table = Table(dict(attrs).get("id") or f"table-{len(self.tables)}")
        elif self.table is None:
            return
        elif tag == "thead":
            self.in_head = True
        elif tag == "caption":
            self.in_caption, self.text = True, []
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td"):
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if self.table is None:
            return
        if tag == "table":
            self.tables[self.table.id] = self.table
            self.table = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "caption" and self.text is not None:
            self.table.caption = _squash(self.text)
            self.in_caption, self.text = False, None
        elif tag in ("th", "td") and self.text is not None and self.row is not None:
            self.row.append(_squash(self.text))
            self.text = None
        elif tag == "tr" and self.row is not None:
            if self.in_head:
                self.table.head = self.row
            else:
                self.table.rows.append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def _squash(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def tables(html: str) -> dict[str, Table]:
    """Every table of the page by id (``table-<n>`` when it has none)."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of the page, parsed as XML (which also proves it well formed)."""
    return [ET.fromstring(match) for match in re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)]
