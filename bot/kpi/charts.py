"""Charts for the digest: each decisive metric over the weeks against its target.

One axes, every metric as its cumulative progress toward its own target
(100 % is the target line), so metrics of different units read together and
the image stays small and quick to draw. Headless: the Agg canvas is used
directly (no pyplot, no global figure state), so rendering is safe from the
dispatcher's threads. The PNG is an extra: the digest's text says everything.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.kernel import formatting
from bot.kernel.i18n import Translator

WIDTH_PX = 800
HEIGHT_PX = 400
DPI = 100
MAX_LINES = 8  # beyond, a chat-sized image becomes unreadable
COLORS = ("#08519c", "#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b", "#3182bd", "#b5cf6b")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    unit: str
    target: float
    labels: Sequence[str]
    weekly: Sequence[float]
    cumulative: Sequence[float]
    # The legend's figures as the text says them (a target of 1.5 stays 1.5).
    # Share of the target needed by the end of each week to reach it by its date
    # (a straight pace from the metric's start); None without a target date.
    pace: Sequence[float] | None = None


def size_for(count: int) -> tuple[int, int]:
    """The PNG's (width, height) in pixels, whatever the number of metrics."""
    return WIDTH_PX, HEIGHT_PX


def legend_label(s: Series, t: Translator) -> str:
    """'leads: 1,250 / 2,000' · 'leads : 1 250 / 2 000 €': the text's own formatting."""
    last = s.cumulative[-1] if s.cumulative else 0.0
    return t(
        "kpi.chart.legend",
        metric=s.name,
        total=formatting.amount(last, s.unit, t.lang),
        target=formatting.amount(s.target, s.unit, t.lang),
    )


def tick_label(ratio: float, lang: str) -> str:
    """The y axis: '100%' in English, '100 %' in French."""
    return formatting.percent(ratio, lang)


def render(series: Sequence[Series], t: Translator) -> bytes:
    # Imported here: matplotlib takes most of a second to load, and only the
    # digest's chart needs it (every other `accord` command starts faster).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    shown = list(series)[:MAX_LINES]
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.07, 0.1, 0.9, 0.8))
    labels = list(shown[0].labels) if shown else []
    positions = list(range(len(labels)))
    top = 1.0
    for color, s in zip(COLORS, shown, strict=False):
        ratios = [v / s.target if s.target > 0 else 0.0 for v in s.cumulative]
        top = max(top, *ratios) if ratios else top
        ax.plot(
            positions,
            ratios,
            color=color,
            marker="o",
            linewidth=2,
            label=legend_label(s, t),
        )
        if s.pace:
            ax.plot(
                positions,
                list(s.pace),
                color=color,
                linestyle=":",
                linewidth=1.5,
                label=t("kpi.edges.chart_pace", metric=s.name),
            )
    ax.axhline(
        1.0, color="#d62728", linestyle="--", linewidth=1.5, label=t("kpi.digest.chart_target")
    )
    ax.set_xticks(positions, labels)
    ax.yaxis.set_major_locator(MaxNLocator(5))
    # '100 %' in French, '100%' in English: the same formatting as the text.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: tick_label(y, t.lang)))
    ax.set_ylim(0, top * 1.1)
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    # A plain text instead of set_title: the title's auto-placement is the slowest step.
    figure.text(0.07, 0.93, t("kpi.digest.chart_title"), fontsize=10)
    buffer = io.BytesIO()
    # No bbox="tight": the size stays exactly what size_for() says.
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()
