"""`/accord health` (`/accord santé`), the digest's and the home's health section.

Five lines, one per sin, each with its state, its evidence, the one command
that fixes it and the threshold that decided (docs/health.md). The same
findings feed the JSON of `accord health --format json`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.health import facts, rules
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.registry import (
    AccordSubcommand,
    DigestSection,
    DigestWeek,
    HomeSection,
    RenderContext,
)
from bot.kernel.types import Reply, Visibility
from bot.matching import Weights
from storage.models import Partnership

THRESHOLDS = rules.Thresholds()


def findings(
    session: Session,
    partnership: Partnership,
    now: datetime,
    *,
    lang: str,
    timezone: str,
    weights: Weights | None = None,
    th: rules.Thresholds = THRESHOLDS,
    resolve_zone: bool = True,
) -> list[rules.Finding]:
    """Read what is stored and check the five sins (read-only).

    Plans live in the shared channel's zone: `timezone` is only the fallback,
    unless `resolve_zone` is False (the digest already resolved it)."""
    from bot.planning import zone_name

    zone = zone_name(session, partnership, timezone) if resolve_zone else timezone
    loaded = facts.load(session, partnership, now, lang=lang, timezone=zone, th=th, weights=weights)
    return rules.check(loaded, now, facts.today_in(now, zone), th)


# -- words ------------------------------------------------------------------------


MOVES_SHOWN = 3


def _value(t: Translator, value: object) -> object:
    if isinstance(value, list) and all(isinstance(v, rules.MoveFact) for v in value):
        shown = [
            t("health.plan.move_item", number=m.decision, reason=m.reason)
            for m in value[:MOVES_SHOWN]
        ]
        more = len(value) - MOVES_SHOWN
        return "; ".join(shown) + (t("health.plan.more", count=more) if more > 0 else "")
    if isinstance(value, datetime):
        return value.date().strftime(t("format.date"))
    if isinstance(value, date):
        return value.strftime(t("format.date"))
    return value


def say(t: Translator, what: rules.Say) -> str:
    return t(f"health.{what.key}", **{k: _value(t, v) for k, v in what.params.items()})


def line(t: Translator, f: rules.Finding) -> str:
    """One sin: state, evidence, the command, the rule."""
    evidence = " · ".join(say(t, e) for e in f.evidence)
    key = "health.line_ok" if f.state == rules.OK else "health.line"
    return t(
        key,
        icon=f.icon,
        sin=t(f"health.sin.{f.sin}"),
        evidence=evidence,
        fix=say(t, f.fix),
        rule=say(t, f.rule),
    )


def compact_line(t: Translator, f: rules.Finding) -> str:
    """One short row for the digest and the home: the decisive evidence and the command."""
    evidence = " · ".join(say(t, e) for e in (f.decisive or f.evidence))
    return t(
        "health.compact",
        icon=f.icon,
        sin=t(f"health.sin.{f.sin}"),
        evidence=evidence,
        fix=say(t, f.fix),
    )


def summary(t: Translator, found: list[rules.Finding]) -> str:
    """'✅ 1 covered · ⚠️ 2 at risk · ❌ 2 exposed': each count agrees with its own word."""
    counts = {state: sum(1 for f in found if f.state == state) for state in rules.ICONS}
    return t(
        "health.summary",
        **{state: t(f"health.state.{state}", count=counts[state]) for state in rules.ICONS},
    )


def reply(t: Translator, found: list[rules.Finding]) -> Reply:
    return Reply(
        title=t("health.title"),
        text=summary(t, found),
        sections=[line(t, f) for f in found],
        footer=t("health.footer"),
        visibility=Visibility.EPHEMERAL,
    )


def section(t: Translator, found: list[rules.Finding]) -> str:
    """The five compact rows under one heading (digest, home)."""
    rows = [compact_line(t, f) for f in found]
    return "\n".join([t("health.section_title", summary=summary(t, found)), *rows])


def as_json(
    t: Translator, partnership: Partnership, now: datetime, found: list[rules.Finding]
) -> dict[str, Any]:
    """The same findings for dashboards: states, texts and the raw values."""

    def raw(what: rules.Say) -> dict[str, Any]:
        params = {k: _json(v) for k, v in what.params.items()}
        return {"key": what.key, "params": params, "text": say(t, what)}

    return {
        "platform": partnership.platform,
        "team": partnership.team_id,
        "channel": partnership.channel_id,
        "as_of": now.isoformat(),
        "lang": t.lang,
        "findings": [
            {
                "sin": f.sin,
                "title": t(f"health.sin.{f.sin}"),
                "state": f.state,
                "icon": f.icon,
                "evidence": [raw(e) for e in f.evidence],
                "fix": raw(f.fix),
                "rule": raw(f.rule),
            }
            for f in found
        ],
    }


def _json(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, rules.MoveFact):
        return {"decision": value.decision, "reason": value.reason, "at": value.at.isoformat()}
    return value


# -- entry points ----------------------------------------------------------------------


def make_accord_health(weights: Weights | None) -> AccordSubcommand:
    def accord_health(ctx: Ctx, rest: str) -> list[Reply]:
        """`/accord health` (`santé`): read-only, private to whoever asked."""
        if rest.strip():
            raise UserError("health.errors.no_arguments", text=rest.strip())
        found = findings(
            ctx.session,
            ctx.partnership,
            ctx.now,
            lang=ctx.lang,
            timezone=ctx.tz.key,
            weights=weights,
        )
        return [reply(ctx.t, found)]

    return accord_health


def make_digest_section(weights: Weights | None) -> DigestSection:
    def digest_section(
        session: Session, partnership: Partnership, week: DigestWeek, rc: RenderContext
    ) -> list[str]:
        now = rc.now if isinstance(rc.now, datetime) else week.end
        assert isinstance(now, datetime)
        found = findings(
            session,
            partnership,
            now,
            lang=rc.lang,
            timezone=rc.timezone,
            weights=weights,
            resolve_zone=False,  # the digest's zone is the shared channel's already
        )
        return [section(Translator(rc.lang), found)]

    return digest_section


def make_home_section(weights: Weights | None) -> HomeSection:
    def home_section(session: Session, partnership: Partnership, rc: RenderContext) -> list[str]:
        assert isinstance(rc.now, datetime)
        found = findings(
            session, partnership, rc.now, lang=rc.lang, timezone=rc.timezone, weights=weights
        )
        return [section(Translator(rc.lang), found)]

    return home_section
