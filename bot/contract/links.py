"""What the other capabilities already hold about a contract term.

The agreement's objectives and deliverables are not written twice: the recap
and the checklist show, beside the words of the term, the decisive metrics of
`/kpi` and the milestones of `/plan`, as they stand when the recap is read.
"""

from __future__ import annotations

from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kpi import objectives_and_metrics
from bot.planning import date_label, milestones
from storage.models.planning import TODO

OBJECTIVES = "objectives"
DELIVERABLES = "deliverables"
MAX_LINES = 8


def linked_lines(ctx: Ctx, term_key: str) -> list[str]:
    """Lines for `term_key` from /kpi or /plan; empty when there is nothing."""
    if term_key == OBJECTIVES:
        return _metrics(ctx)
    if term_key == DELIVERABLES:
        return _milestones(ctx)
    return []


def linked_section(ctx: Ctx, term_key: str) -> str:
    lines = linked_lines(ctx, term_key)
    if not lines:
        return ""
    heading = ctx.t(f"contract.linked.{term_key}")
    return heading + "\n" + "\n".join(f"• {line}" for line in lines)


def _metrics(ctx: Ctx) -> list[str]:
    lines = []
    for objective, metrics in objectives_and_metrics(ctx.session, ctx.partnership):
        for metric in metrics:
            by = formatting.day(metric.target_date, ctx.lang) or "—"
            lines.append(
                ctx.t(
                    "contract.linked.metric",
                    objective=objective.name,
                    metric=metric.name,
                    target=formatting.amount(metric.target, metric.unit, ctx.lang),
                    by=by,
                )
            )
    return lines[:MAX_LINES]


def _milestones(ctx: Ctx) -> list[str]:
    launch = ctx.partnership.launch_date
    open_ones = [
        m for m in milestones(ctx.session, ctx.tenant, ctx.partnership) if m.status == TODO
    ]
    return [
        ctx.t(
            "contract.linked.milestone",
            number=m.number,
            title=m.title,
            date=date_label(ctx.t, m, launch),
            owners=", ".join(f"<@{o}>" for o in m.owners) or "—",
        )
        for m in open_ones[:MAX_LINES]
    ]
