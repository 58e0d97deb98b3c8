"""Charts drawn on the server as inline SVG that assistive technology can read.

No chart library: three shapes (lines over periods, bars over periods, a heat grid) are a few
dozen SVG elements each, and drawing them here keeps the page free of script and of any
request to a CDN. Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and
``<desc>``; the description states the figures a sighted reader takes from the drawing
(first, last, lowest, highest, gaps), and the page follows each chart with the same figures
as a table. Nothing is told by colour alone: series differ by line pattern and marker shape
and carry their name at their end, bars and cells carry their value. Colours are presentation
attributes, not ``style``, so the console's content security policy (no inline style) holds;
all of them reach 4.5:1 against white (GOV.UK text #0b0c0c 19:1, blue #1d70b8 5.2:1,
mid-grey #505a5f 7:1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 132, 16, 56
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 7

INK = "#0b0c0c"
BLUE = "#1d70b8"
GREY = "#505a5f"
GRID = "#b1b4b6"
# Heat grid shades of GOV.UK blue, lightest first; the text on the two darkest is white.
SHADES = ("#f3f2f1", "#d2e2f1", "#8eb8dc", "#1d70b8", "#003078")
DARK_SHADES = 2

Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One line: a value per period (None: nothing to show), optionally an interval around each."""

    name: str
    values: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None


@dataclass(frozen=True)
class Scale:
    """The y axis: from 0 to ``maximum``, gridlines at ``ticks``, values written by ``fmt``."""

    maximum: float
    ticks: Sequence[float]
    fmt: Format


# Two series at most share a chart; each has its own pattern and marker, not only its colour.
_LOOKS = ((INK, None, "circle"), (BLUE, "8 5", "square"))


def percent(value: float) -> str:
    """A proportion as a percentage with one decimal: 0.4567 -> '45.7%'."""
    return f"{value * 100:.1f}%"


def percent_scale() -> Scale:
    return Scale(1.0, (0.0, 0.25, 0.5, 0.75, 1.0), lambda v: f"{v * 100:.0f}%")


def nice_scale(largest: float, fmt: Format) -> Scale:
    """0 to a round number at or above ``largest`` (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6 or 8 x a
    power of ten), in four steps."""
    if largest <= 0 or not math.isfinite(largest):
        return Scale(1.0, (0.0, 0.25, 0.5, 0.75, 1.0), fmt)
    magnitude = 10 ** math.floor(math.log10(largest))
    maximum = next(
        round(m * magnitude, 12)
        for m in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10)
        if round(m * magnitude, 12) >= largest
    )
    return Scale(maximum, tuple(round(maximum * i / 4, 12) for i in range(5)), fmt)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _x(index: int, count: int) -> float:
    if count <= 1:
        return LEFT + PLOT_W / 2
    return LEFT + PLOT_W * index / (count - 1)


def _y(value: float, scale: Scale) -> float:
    clipped = min(max(value, 0.0), scale.maximum)
    return TOP + PLOT_H * (1 - clipped / scale.maximum)


def _open(
    chart_id: str, title: str, desc: str, width: int = WIDTH, height: int = HEIGHT
) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cgcrm-chart" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" focusable="false">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def _text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 14,
    fill: str = INK,
    **attrs: str,
) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attrs.items())
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'font-family="arial, sans-serif" fill="{fill}"{extra}>{escape(content)}</text>'
    )


def _axes(labels: Sequence[str], scale: Scale, positions: Sequence[float]) -> list[str]:
    parts = []
    for tick in scale.ticks:
        y = _y(tick, scale)
        parts.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{LEFT + PLOT_W}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 8, y + 5, scale.fmt(tick), "end"))
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if index % every and index != len(labels) - 1:
            continue
        if index != len(labels) - 1 and len(labels) - 1 - index < every:
            continue  # too close to the last label, which is always written
        parts.append(_text(positions[index], TOP + PLOT_H + 22, label, "middle"))
    return parts


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return (
            f'<rect x="{_num(x - 4.5)}" y="{_num(y - 4.5)}" width="9" height="9" fill="{colour}"/>'
        )
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="{colour}"/>'


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of the stretches without a gap: a line is not drawn across a missing value."""
    runs: list[list[int]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(index)
    return [run for run in runs if run]


def _series(series: Series, look: tuple[str, str | None, str], scale: Scale) -> list[str]:
    colour, dash, shape = look
    count = len(series.values)
    parts = []
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    for run in _runs(series.values):
        points = " ".join(
            f"{_num(_x(i, count))},{_num(_y(series.values[i] or 0.0, scale))}" for i in run
        )
        if len(run) > 1:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="3"{dashes}/>'
            )
    for index, value in enumerate(series.values):
        if value is None:
            continue
        x = _x(index, count)
        low = series.low[index] if series.low is not None else None
        high = series.high[index] if series.high is not None else None
        if low is not None and high is not None:
            top, bottom = _y(high, scale), _y(low, scale)
            parts.append(
                f'<path d="M{_num(x)} {_num(top)}V{_num(bottom)}M{_num(x - 6)} {_num(top)}'
                f'H{_num(x + 6)}M{_num(x - 6)} {_num(bottom)}H{_num(x + 6)}" '
                f'stroke="{colour}" stroke-width="2" fill="none"/>'
            )
        parts.append(_marker(shape, x, _y(value, scale), colour))
    last = next((i for i in range(count - 1, -1, -1) if series.values[i] is not None), None)
    if last is not None:
        value = series.values[last] or 0.0
        parts.append(
            _text(_x(last, count) + 10, _y(value, scale) + 5, series.name, font_weight="bold")
        )
    return parts


def _empty_note(has_data: bool) -> list[str]:
    if has_data:
        return []
    return [_text(LEFT + PLOT_W / 2, TOP + PLOT_H / 2, "No data in this period", "middle")]


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    scale: Scale,
) -> Markup:
    """A line per series over the periods ``labels``, with error bars where a series has an
    interval; gaps where a value is None. At most two series (two distinct looks)."""
    if len(series) > len(_LOOKS):
        raise ValueError(f"at most {len(_LOOKS)} series in a chart")
    positions = [_x(i, len(labels)) for i in range(len(labels))]
    parts = _open(chart_id, title, desc) + _axes(labels, scale, positions)
    for one, look in zip(series, _LOOKS, strict=False):
        parts += _series(one, look, scale)
    parts += _empty_note(any(v is not None for one in series for v in one.values))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    scale: Scale,
) -> Markup:
    """A bar per period, its value written above it when the bars are wide enough to hold
    it; no bar (a dash instead) where the value is None."""
    count = max(len(labels), 1)
    slot = PLOT_W / count
    positions = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    parts = _open(chart_id, title, desc) + _axes(labels, scale, positions)
    width = max(slot * 0.6, 1.0)
    for index, value in enumerate(values):
        x = positions[index]
        if value is None:
            if slot >= 24:
                parts.append(_text(x, TOP + PLOT_H - 6, "\N{EN DASH}", "middle", fill=GREY))
            continue
        top = _y(value, scale)
        parts.append(
            f'<rect x="{_num(x - width / 2)}" y="{_num(top)}" width="{_num(width)}" '
            f'height="{_num(TOP + PLOT_H - top)}" fill="{BLUE}"/>'
        )
        if slot >= 56:
            parts.append(_text(x, top - 6, scale.fmt(value), "middle"))
    parts += _empty_note(any(v is not None for v in values))
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_grid(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
) -> Markup:
    """A grid of counts, rows against columns, each cell shaded by its share of the largest
    count and always showing the count itself."""
    cell_w, cell_h = 180, 64
    left, top = 200, 48
    width, height = left + cell_w * len(columns) + 16, top + cell_h * len(rows) + 16
    parts = _open(chart_id, title, desc, width, height)
    largest = max((count for row in counts for count in row), default=0)
    for j, column in enumerate(columns):
        parts.append(
            _text(left + cell_w * (j + 0.5), top - 14, column, "middle", font_weight="bold")
        )
    for i, row in enumerate(rows):
        parts.append(_text(left - 12, top + cell_h * (i + 0.5) + 5, row, "end", font_weight="bold"))
        for j, count in enumerate(counts[i]):
            level = 0 if largest == 0 else min(len(SHADES) - 1, math.ceil(4 * count / largest))
            fill = SHADES[level]
            ink = "#ffffff" if level >= len(SHADES) - DARK_SHADES else INK
            x, y = left + cell_w * j, top + cell_h * i
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{fill}" '
                f'stroke="{INK}" stroke-width="1"/>'
            )
            parts.append(
                _text(x + cell_w / 2, y + cell_h / 2 + 7, f"{count:,}", "middle", 20, fill=ink)
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def describe_trend(
    name: str, labels: Sequence[str], values: Sequence[float | None], fmt: Format
) -> str:
    """What a reader sees in a line or bars: the first and last values, the lowest and highest,
    and how many periods had nothing to show."""
    known = [
        (label, value) for label, value in zip(labels, values, strict=True) if value is not None
    ]
    if not known:
        return f"{name}: no data in any of the {len(labels)} periods."
    (first_label, first), (last_label, last) = known[0], known[-1]
    low_label, low = min(known, key=lambda item: item[1])
    high_label, high = max(known, key=lambda item: item[1])
    text = f"{name}: {fmt(first)} in {first_label}"
    if len(known) > 1:
        text += f", {fmt(last)} in {last_label}; lowest {fmt(low)} in {low_label}, "
        text += f"highest {fmt(high)} in {high_label}"
    missing = len(labels) - len(known)
    if missing:
        text += f"; no data in {missing} of {len(labels)} periods"
    return text + "."
