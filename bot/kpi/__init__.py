"""`/kpi` and `/digest`: decisive metrics per objective, their figures and the weekly digest.

- `commands`: the chat command; `points`: recording figures (chat, CSV, `POST /kpi/ingest`);
- `stats`: totals, trends, weeks; `vanity`: spotting vanity metrics;
- `digest` and `charts`: the weekly digest and its PNG; `cli`: `accord import kpi`, `accord digest`.

Public entry for other capabilities: `objectives_and_metrics`, `progress`, `totals`,
(the contract recap, the App Home).
"""

from bot.kpi.cli import add_cli
from bot.kpi.commands import register
from bot.kpi.stats import objectives_and_metrics, progress, totals, trend

__all__ = [
    "add_cli",
    "objectives_and_metrics",
    "progress",
    "register",
    "totals",
    "trend",
]
