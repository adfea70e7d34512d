"""Charts for the digest: each decisive metric over the weeks against its target.

Headless: the Agg canvas is used directly (no pyplot, no global figure
state), so rendering is safe from the dispatcher's threads. The PNG is an
extra: the digest's text says everything on its own.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import Translator

WIDTH_PX = 800
ROW_HEIGHT_PX = 260
DPI = 100
MAX_ROWS = 6  # beyond, the image becomes unreadable in a chat client


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    unit: str
    target: float
    labels: Sequence[str]
    weekly: Sequence[float]
    cumulative: Sequence[float]


def size_for(count: int) -> tuple[int, int]:
    """The PNG's (width, height) in pixels for `count` metrics."""
    return WIDTH_PX, ROW_HEIGHT_PX * max(1, min(count, MAX_ROWS))


def render(series: Sequence[Series], t: Translator) -> bytes:
    shown = list(series)[:MAX_ROWS]
    width, height = size_for(len(shown))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(shown) or 1, 1, squeeze=False)[:, 0]
    for ax, s in zip(axes, shown, strict=False):
        positions = list(range(len(s.labels)))
        ax.bar(positions, s.weekly, color="#9ecae1", label=t("kpi.digest.chart_weekly"))
        ax.plot(positions, s.cumulative, color="#08519c", marker="o", linewidth=2,
                label=t("kpi.digest.chart_cumulative"))
        ax.axhline(s.target, color="#d62728", linestyle="--", linewidth=1.5,
                   label=t("kpi.digest.chart_target"))
        ax.set_xticks(positions, list(s.labels), fontsize=8)
        ax.set_title(f"{s.name}" + (f" ({s.unit})" if s.unit else ""), fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylim(bottom=min(0.0, *s.weekly, *s.cumulative),
                    top=max(s.target, *s.cumulative, *s.weekly) * 1.1 or 1.0)
        ax.legend(fontsize=7, loc="upper left")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.08, hspace=0.55)
    buffer = io.BytesIO()
    # No bbox="tight": the size stays exactly what size_for() says.
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
