"""Server-side SVG charts for the staff dashboard: the tile's `chart` data (see core.dashboard)
turned into coordinates, drawn by templates/admin/dashboard/chart.html. No script runs, so the
charts work under the strict Content-Security-Policy; colours come from classes in admin.css."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format

WIDTH = 560
HEIGHT = 200
LEFT = 52  # room for the y-axis labels
RIGHT = 8
TOP = 10
BOTTOM = 26  # room for the x-axis labels
MAX_X_LABELS = 8
SERIES_CLASSES = 4  # .chart-series-0 … -3 in admin.css


def _nice_ceiling(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Line:
    points: str
    css: str
    dots: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class Svg:
    width: int
    height: int
    kind: str
    grid: list[tuple[float, str]]  # (y, label)
    x_labels: list[tuple[float, str]]
    bars: list[Bar]
    lines: list[Line]
    legend: list[tuple[str, str]]  # (css class, name)
    summary: str  # the data as words, for screen readers


def chart_svg(chart: dict[str, Any]) -> Svg:
    labels = [str(label) for label in chart.get("labels", [])]
    series = chart.get("series", [])
    kind = chart.get("type", "bar")
    values = [float(v or 0) for s in series for v in s.get("values", [])]
    top = _nice_ceiling(max([*values, 0]))
    bottom = min([*values, 0])
    span = (top - bottom) or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    count = max(len(labels), 1)
    slot = plot_w / count

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (top - value) / span, 1)

    grid = [
        (
            y_of(bottom + span * i / 4),
            number_format(round(bottom + span * i / 4), force_grouping=True),
        )
        for i in range(5)
    ]
    every = max(1, -(-count // MAX_X_LABELS))
    x_labels = [
        (round(LEFT + slot * (i + 0.5), 1), label)
        for i, label in enumerate(labels)
        if i % every == 0 or i == count - 1
    ]
    bars: list[Bar] = []
    lines: list[Line] = []
    legend = []
    for index, item in enumerate(series):
        css = f"chart-series-{index % SERIES_CLASSES}"
        name = str(item.get("name", ""))
        legend.append((css, name))
        data = [float(v or 0) for v in item.get("values", [])]
        if kind == "line":
            coords = [
                (round(LEFT + slot * (i + 0.5), 1), y_of(v)) for i, v in enumerate(data[:count])
            ]
            lines.append(
                Line(
                    points=" ".join(f"{x},{y}" for x, y in coords),
                    css=css,
                    dots=[
                        (
                            x,
                            y,
                            f"{labels[i] if i < len(labels) else ''}: {name} "
                            f"{number_format(data[i], force_grouping=True)}",
                        )
                        for i, (x, y) in enumerate(coords)
                    ],
                )
            )
        else:
            group_w = slot * 0.8
            bar_w = group_w / max(len(series), 1)
            for i, v in enumerate(data[:count]):
                y0, y1 = y_of(max(v, 0)), y_of(min(v, 0))
                bars.append(
                    Bar(
                        x=round(LEFT + slot * i + slot * 0.1 + bar_w * index, 1),
                        y=y0,
                        width=round(max(bar_w - 1, 1), 1),
                        height=round(max(y1 - y0, 0), 1),
                        css=css,
                        title=f"{labels[i] if i < len(labels) else ''}: {name} "
                        f"{number_format(v, force_grouping=True)}",
                    )
                )
    summary = "; ".join(
        f"{item.get('name', '')}: "
        + ", ".join(
            f"{labels[i] if i < len(labels) else ''} {number_format(v or 0, force_grouping=True)}"
            for i, v in enumerate(item.get("values", []))
        )
        for item in series
    )
    return Svg(
        width=WIDTH,
        height=HEIGHT,
        kind=kind,
        grid=grid,
        x_labels=x_labels,
        bars=bars,
        lines=lines,
        legend=legend,
        summary=summary,
    )
