"""`/kpi correct <metric> <value> [because <reason>]`: fix a mistaken figure, on the record.

Points are otherwise append-only. The latest figure of a metric recorded in
chat by the caller, or by someone of the caller's company (its representative),
takes the corrected value; the correction is logged as a decision in the same
transaction, so every partner sees what changed, who changed it and why.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot.decisions import announce, record_decision
from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.types import Reply
from bot.kpi.points import parse_amount, require_metric, value_problem
from storage.models.kpi import KpiPoint
from storage.models.tenancy import PartyMember

_BECAUSE_RE = re.compile(r"\s+(?:because|parce\s+que|parce\s+qu['’]|car)\s+", re.IGNORECASE)


def _authors(ctx: Ctx) -> list[str]:
    """Whose figures the caller may correct: their own, and their company's."""
    mine = ctx.session.exec(
        select(PartyMember).where(
            PartyMember.partnership_id == ctx.partnership.id, PartyMember.user_id == ctx.user.id
        )
    ).first()
    if mine is None:
        return [ctx.user.id]
    colleagues = ctx.session.exec(
        select(PartyMember.user_id).where(
            PartyMember.partnership_id == ctx.partnership.id,
            PartyMember.party_id == mine.party_id,
        )
    ).all()
    return list({ctx.user.id, *colleagues})


def correct(ctx: Ctx, rest: str) -> list[Reply]:
    from bot.kpi.commands import tokens, unquote

    parts = _BECAUSE_RE.split(" " + rest, maxsplit=1)
    head, reason = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    words = tokens(head)
    if len(words) != 2:
        raise UserError("kpi.edges.correct_usage")
    metric = require_metric(ctx.session, ctx.partnership, unquote(words[0]))
    value = parse_amount(unquote(words[1]), ctx.lang)
    if value is None:
        raise UserError("kpi.errors.bad_value", value=words[1])
    problem = value_problem(metric, value)
    if problem is not None:
        raise UserError(f"kpi.edges.{problem[0]}", value=unquote(words[1]), **problem[1])
    point = ctx.session.exec(
        select(KpiPoint)
        .where(
            KpiPoint.platform == ctx.tenant.platform,
            KpiPoint.team_id == ctx.tenant.team_id,
            KpiPoint.partnership_id == ctx.partnership.id,
            KpiPoint.metric_id == metric.id,
            KpiPoint.source == "chat",
            col(KpiPoint.recorded_by).in_(_authors(ctx)),
        )
        .order_by(col(KpiPoint.created_at).desc(), col(KpiPoint.id).desc())
        .with_for_update()
    ).first()
    if point is None:
        raise UserError("kpi.edges.nothing_to_correct", metric=metric.name)
    old = point.value
    if old == value:
        shown = formatting.number(value, ctx.lang)
        raise UserError("kpi.edges.same_value", metric=metric.name, value=shown)
    point.value = value
    ctx.session.add(point)
    text = ctx.t(
        "kpi.edges.corrected",
        metric=metric.name,
        date=ctx.format_date(point.at),
        author=f"<@{point.recorded_by}>",
        old=formatting.number(old, ctx.lang),
        new=formatting.number(value, ctx.lang),
        reason=reason or ctx.t("kpi.edges.no_reason"),
    )
    decision = record_decision(
        ctx, text, source="kpi.correct", extra_participants=[point.recorded_by or ctx.user.id]
    )
    return announce(ctx, decision)
