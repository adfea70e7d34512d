"""The five sins, checked: one pure function per sin, of facts read from storage.

Each rule takes the facts `bot.health.facts` loaded (plain data, no session),
`today` in the channel's time zone and the thresholds, and returns a `Finding`:
a state (✅ covered, ⚠️ at risk, ❌ exposed), the evidence behind it, the one
command that fixes it and the threshold that decided. Every number that moves a
state is a field of `Thresholds`, documented in docs/health.md.

Words are catalog keys with their values (`Say`), turned into text by the
caller in the channel's language; the JSON output keeps both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

OK = "ok"
RISK = "risk"
EXPOSED = "exposed"
ICONS = {OK: "✅", RISK: "⚠️", EXPOSED: "❌"}
_RANK = {OK: 0, RISK: 1, EXPOSED: 2}

PARTNER = "partner"
AGREEMENT = "agreement"
PLAN = "plan"
DECISIONS = "decisions"
TRACKING = "tracking"
SINS = (PARTNER, AGREEMENT, PLAN, DECISIONS, TRACKING)


@dataclass(frozen=True, slots=True)
class Thresholds:
    # Partner choice: the /match score (0-100) and the audience affinity (0-1)
    # of each partner company against the team's own profile.
    partner_score_ok: int = 50
    partner_affinity_ok: float = 0.34
    # Agreement: an end or renewal date this close is a risk.
    agreement_renewal_days: int = 30
    # Plan: a milestone overdue longer than this exposes the plan; moves are
    # counted over a window, and this many in it is a risk.
    plan_overdue_exposed_days: int = 7
    plan_moves_window_days: int = 30
    plan_moves_risk: int = 3
    # Decisions: the window looked at, and the length of a superseded chain
    # (the first decision and its corrections) that is a risk.
    decisions_window_days: int = 14
    decisions_chain_risk: int = 3
    # Tracking: days without any figure logged before a risk, before exposure.
    tracking_stale_risk_days: int = 7
    tracking_stale_exposed_days: int = 14


@dataclass(frozen=True, slots=True)
class Say:
    """A catalog key (under `health.`) and its values."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    sin: str
    state: str
    evidence: list[Say]
    fix: Say  # the one command to type next (for ✅, where to look)
    rule: Say  # the threshold, explained
    # The evidence that decided the state (the worst checks), for compact views.
    decisive: list[Say] = field(default_factory=list)

    @property
    def icon(self) -> str:
        return ICONS[self.state]


def worst(states: Sequence[str]) -> str:
    return max(states, key=_RANK.__getitem__, default=OK)


@dataclass(frozen=True, slots=True)
class _Check:
    state: str
    evidence: Say
    fix: Say | None = None


def _finding(sin: str, checks: Sequence[_Check], ok_fix: Say, rule: Say) -> Finding:
    """The worst check decides the state and the command; every check is evidence."""
    state = worst([c.state for c in checks])
    fix = next((c.fix for c in checks if c.state == state and c.fix is not None), None)
    decisive = [c.evidence for c in checks if c.state == state]
    return Finding(sin, state, [c.evidence for c in checks], fix or ok_fix, rule, decisive)


# -- 1. partner choice ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerScore:
    name: str
    score: int  # 0-100, as /match computes it
    affinity: float | None  # audience affinity 0-1; None when their audience is unknown
    trendy: bool  # the "trendy brand" warning: a large audience that is not our persona
    audience: int = 0


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    own_profile: bool  # the team's own profile exists and says something a score can use
    partners: list[str]  # partner companies (parties other than the team's own)
    scored: list[PartnerScore]  # those found in the directory
    unprofiled: list[str]  # those not in the directory


def partner_choice(f: PartnerFacts, th: Thresholds) -> Finding:
    rule = Say(
        "rule.partner",
        {"score": th.partner_score_ok, "affinity": round(th.partner_affinity_ok * 100)},
    )
    if not f.own_profile:
        return _finding(
            PARTNER,
            [_Check(EXPOSED, Say("partner.no_own_profile"), Say("fix.own_profile"))],
            Say("fix.own_profile"),
            rule,
        )
    if not f.partners:
        return _finding(
            PARTNER,
            [_Check(EXPOSED, Say("partner.no_partner"), Say("fix.party_add"))],
            Say("fix.party_add"),
            rule,
        )
    if not f.scored:
        names = ", ".join(f.unprofiled)
        return _finding(
            PARTNER,
            [
                _Check(
                    EXPOSED,
                    Say("partner.not_in_directory", {"names": names}),
                    Say("fix.partner_add", {"name": f.unprofiled[0]}),
                )
            ],
            Say("fix.partner_add", {"name": f.unprofiled[0]}),
            rule,
        )
    checks: list[_Check] = []
    for p in f.scored:
        values = {
            "name": p.name,
            "score": p.score,
            "affinity": "?" if p.affinity is None else round(p.affinity * 100),
            "audience": p.audience,
        }
        if p.trendy:
            checks.append(_Check(RISK, Say("partner.trendy", values), Say("fix.match")))
        elif p.affinity is None:
            checks.append(_Check(RISK, Say("partner.affinity_unknown", values), Say("fix.match")))
        elif p.score < th.partner_score_ok or p.affinity < th.partner_affinity_ok:
            checks.append(_Check(RISK, Say("partner.weak", values), Say("fix.match")))
        else:
            checks.append(_Check(OK, Say("partner.good", values)))
    return _finding(PARTNER, checks, Say("fix.partner_show", {"name": f.scored[0].name}), rule)


# -- 2. agreement -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    status: str | None  # None: no contract started; else bot's contract status
    terms_total: int
    terms_written: int
    first_missing: str | None  # the key of the first unwritten term
    parties: list[str]
    confirmed_by: list[str]  # companies that confirmed every current term
    awaiting: list[str]  # companies that have not
    changed: list[str]  # terms changed since a company confirmed them
    signed_link: str | None
    end_date: date | None
    ended_at: datetime | None = None


def agreement(f: AgreementFacts, today: date, th: Thresholds) -> Finding:
    rule = Say("rule.agreement", {"days": th.agreement_renewal_days})
    ok_fix = Say("fix.contract_show")
    if f.status is None or f.status == "draft":
        fix = (
            Say("fix.contract_set", {"term": f.first_missing})
            if f.first_missing
            else Say("fix.contract_recap")
        )
        return _finding(
            AGREEMENT,
            [
                _Check(
                    EXPOSED,
                    Say(
                        "agreement.draft" if f.status else "agreement.none",
                        {"count": f.terms_written, "total": f.terms_total},
                    ),
                    fix,
                )
            ],
            ok_fix,
            rule,
        )
    if f.status == "ended":
        day = f.ended_at.date() if f.ended_at else None
        return _finding(
            AGREEMENT,
            [_Check(EXPOSED, Say("agreement.ended", {"date": day}), Say("fix.contract_show"))],
            ok_fix,
            rule,
        )
    checks: list[_Check] = []
    if len(f.parties) < 2:
        checks.append(
            _Check(
                RISK, Say("agreement.one_party", {"count": len(f.parties)}), Say("fix.party_add")
            )
        )
    if f.awaiting:
        checks.append(
            _Check(
                RISK,
                Say("agreement.awaiting", {"names": ", ".join(f.awaiting)}),
                Say("fix.contract_recap"),
            )
        )
    elif f.confirmed_by:
        checks.append(_Check(OK, Say("agreement.confirmed", {"names": ", ".join(f.confirmed_by)})))
    if f.changed:
        checks.append(
            _Check(
                RISK,
                Say("agreement.changed", {"terms": ", ".join(f.changed)}),
                Say("fix.contract_recap"),
            )
        )
    if f.signed_link:
        checks.append(_Check(OK, Say("agreement.signed", {"link": f.signed_link})))
    elif f.status == "confirmed":
        checks.append(_Check(RISK, Say("agreement.unsigned"), Say("fix.contract_sign")))
    else:
        checks.append(_Check(OK, Say("agreement.unsigned")))
    if f.end_date is not None:
        days = (f.end_date - today).days
        values = {"date": f.end_date, "count": abs(days)}  # `count`: the days, for the plural
        if days < 0:
            checks.append(
                _Check(EXPOSED, Say("agreement.end_passed", values), Say("fix.contract_date"))
            )
        elif days <= th.agreement_renewal_days:
            checks.append(_Check(RISK, Say("agreement.end_near", values), Say("fix.contract_date")))
        else:
            checks.append(_Check(OK, Say("agreement.end_far", values)))
    return _finding(AGREEMENT, checks, ok_fix, rule)


# -- 3. plan ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneFact:
    number: int
    title: str
    due: date
    done: bool
    owned: bool


@dataclass(frozen=True, slots=True)
class MoveFact:
    decision: int  # the decision's number
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanFacts:
    launch: date | None
    milestones: list[MilestoneFact]  # not cancelled
    moves: list[MoveFact]  # in the window, one per decision


def plan(f: PlanFacts, today: date, th: Thresholds) -> Finding:
    rule = Say(
        "rule.plan",
        {
            "days": th.plan_overdue_exposed_days,
            "moves": th.plan_moves_risk,
            "window": th.plan_moves_window_days,
        },
    )
    checks: list[_Check] = []
    if f.launch is None:
        checks.append(_Check(EXPOSED, Say("plan.no_launch"), Say("fix.plan_launch")))
    else:
        days = (f.launch - today).days
        key = "plan.launch_future" if days >= 0 else "plan.launch_past"
        checks.append(_Check(OK, Say(key, {"date": f.launch, "count": abs(days)})))
    if not f.milestones:
        checks.append(_Check(EXPOSED, Say("plan.no_milestones"), Say("fix.plan_add")))
    else:
        unowned = [m for m in f.milestones if not m.owned and not m.done]
        if unowned:
            checks.append(
                _Check(
                    RISK,
                    Say(
                        "plan.unowned",
                        {
                            "count": len(f.milestones),
                            "unowned": ", ".join(f"#{m.number}" for m in unowned),
                        },
                    ),
                    Say("fix.plan_show", {"number": unowned[0].number}),
                )
            )
        else:
            checks.append(_Check(OK, Say("plan.milestones", {"count": len(f.milestones)})))
        overdue = sorted(
            (m for m in f.milestones if not m.done and m.due < today), key=lambda m: m.due
        )
        if overdue:
            oldest = overdue[0]
            late = (today - oldest.due).days
            values = {
                "overdue": len(overdue),
                "number": oldest.number,
                "title": oldest.title,
                "count": late,  # the days: the noun that agrees
            }
            state = EXPOSED if late > th.plan_overdue_exposed_days else RISK
            checks.append(
                _Check(
                    state,
                    Say("plan.overdue", values),
                    Say("fix.plan_overdue", {"number": oldest.number}),
                )
            )
        else:
            checks.append(_Check(OK, Say("plan.on_time")))
    if f.moves:
        values = {"count": len(f.moves), "days": th.plan_moves_window_days, "reasons": f.moves}
        state = RISK if len(f.moves) >= th.plan_moves_risk else OK
        checks.append(_Check(state, Say("plan.moves", values), Say("fix.plan_timeline")))
    else:
        checks.append(_Check(OK, Say("plan.no_moves", {"days": th.plan_moves_window_days})))
    return _finding(PLAN, checks, Say("fix.plan_timeline"), rule)


# -- 4. decisions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionFact:
    number: int
    company: str | None  # the author's company, None when unknown
    at: datetime


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    parties: list[str]
    recent: list[DecisionFact]  # in the window
    last: DecisionFact | None  # the latest ever
    # Superseded chains whose latest decision is in the window, as numbers oldest first.
    chains: list[list[int]]


def decisions(f: DecisionFacts, th: Thresholds) -> Finding:
    rule = Say(
        "rule.decisions", {"days": th.decisions_window_days, "chain": th.decisions_chain_risk}
    )
    window = th.decisions_window_days
    if not f.recent:
        evidence = (
            Say(
                "decisions.none_recent",
                {"days": window, "number": f.last.number, "date": f.last.at.date()},
            )
            if f.last
            else Say("decisions.never")
        )
        return _finding(
            DECISIONS, [_Check(EXPOSED, evidence, Say("fix.decide"))], Say("fix.decide"), rule
        )
    counts: dict[str, int] = {}
    unknown = 0
    for d in f.recent:
        if d.company is None:
            unknown += 1
        else:
            counts[d.company] = counts.get(d.company, 0) + 1
    by = ", ".join(f"{name} ({n})" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    values: dict[str, object] = {
        "count": len(f.recent),
        "days": window,
        "by": by or "—",
        "unknown": unknown,
    }
    checks: list[_Check] = []
    if len(f.parties) < 2:
        checks.append(_Check(RISK, Say("decisions.parties_unknown", values), Say("fix.party_add")))
    else:
        silent = [p for p in f.parties if p not in counts]
        if not counts:  # every author is in no named company
            checks.append(_Check(RISK, Say("decisions.no_company", values), Say("fix.party_add")))
        elif len(counts) == 1:
            checks.append(
                _Check(
                    RISK,
                    Say("decisions.one_sided", {**values, "silent": ", ".join(silent)}),
                    Say("fix.decide_other", {"company": silent[0] if silent else "—"}),
                )
            )
        else:
            checks.append(_Check(OK, Say("decisions.shared", values)))
    long_chains = [c for c in f.chains if len(c) >= th.decisions_chain_risk]
    if long_chains:
        chain = max(long_chains, key=len)
        checks.append(
            _Check(
                RISK,
                Say(
                    "decisions.chain",
                    {"chain": " → ".join(f"#{n}" for n in chain), "count": len(chain)},
                ),
                Say("fix.decisions_show", {"number": chain[-1]}),
            )
        )
    elif f.chains:
        checks.append(_Check(OK, Say("decisions.superseded", {"count": len(f.chains)})))
    return _finding(DECISIONS, checks, Say("fix.decisions"), rule)


# -- 5. tracking ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricFact:
    name: str
    vanity: bool
    trend: str  # bot.kpi.stats trend status: reached, on_track, behind, missed, no_date, no_data


@dataclass(frozen=True, slots=True)
class ObjectiveFact:
    name: str
    metrics: list[MetricFact]


@dataclass(frozen=True, slots=True)
class TrackingFacts:
    objectives: list[ObjectiveFact]
    last_figure_at: datetime | None


def tracking(f: TrackingFacts, now: datetime, th: Thresholds) -> Finding:
    rule = Say(
        "rule.tracking",
        {"risk": th.tracking_stale_risk_days, "exposed": th.tracking_stale_exposed_days},
    )
    if not f.objectives:
        return _finding(
            TRACKING,
            [_Check(EXPOSED, Say("tracking.no_objective"), Say("fix.kpi_objective"))],
            Say("fix.kpi"),
            rule,
        )
    checks: list[_Check] = []
    bare = [o.name for o in f.objectives if not o.metrics]
    if bare:
        checks.append(
            _Check(
                EXPOSED,
                Say("tracking.no_metric", {"names": ", ".join(bare)}),
                Say("fix.kpi_metric", {"objective": bare[0]}),
            )
        )
    metrics = [m for o in f.objectives for m in o.metrics]
    if metrics:
        # Two counts, two nouns: one evidence each, so each agrees with its number.
        checks.append(_Check(OK, Say("tracking.objectives", {"count": len(f.objectives)})))
        checks.append(_Check(OK, Say("tracking.metrics", {"count": len(metrics)})))
        first = metrics[0].name
        if f.last_figure_at is None:
            checks.append(
                _Check(EXPOSED, Say("tracking.never_logged"), Say("fix.kpi_log", {"metric": first}))
            )
        else:
            days = (now - f.last_figure_at).days
            values = {
                "count": days,  # the days without a figure, for the plural
                "date": f.last_figure_at.date(),
                "window": th.tracking_stale_risk_days,
            }
            if days >= th.tracking_stale_exposed_days:
                checks.append(
                    _Check(
                        EXPOSED,
                        Say("tracking.stale", values),
                        Say("fix.kpi_log", {"metric": first}),
                    )
                )
            elif days >= th.tracking_stale_risk_days:
                checks.append(
                    _Check(
                        RISK, Say("tracking.stale", values), Say("fix.kpi_log", {"metric": first})
                    )
                )
            else:
                checks.append(_Check(OK, Say("tracking.fresh", values)))
    vanity = [m.name for m in metrics if m.vanity]
    if vanity:
        objective = next(o.name for o in f.objectives if any(m.vanity for m in o.metrics))
        checks.append(
            _Check(
                RISK,
                Say("tracking.vanity", {"names": ", ".join(vanity)}),
                Say("fix.kpi_metric", {"objective": objective}),
            )
        )
    behind = [m.name for m in metrics if m.trend in ("behind", "missed")]
    if behind:
        checks.append(
            _Check(RISK, Say("tracking.behind", {"names": ", ".join(behind)}), Say("fix.kpi"))
        )
    elif metrics and any(m.trend in ("on_track", "reached") for m in metrics):
        checks.append(_Check(OK, Say("tracking.on_track")))
    return _finding(TRACKING, checks, Say("fix.kpi"), rule)


# -- all five ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    partner: PartnerFacts
    agreement: AgreementFacts
    plan: PlanFacts
    decisions: DecisionFacts
    tracking: TrackingFacts


def check(facts: Facts, now: datetime, today: date, th: Thresholds | None = None) -> list[Finding]:
    """The five findings, in the order of the five sins."""
    th = th or Thresholds()
    return [
        partner_choice(facts.partner, th),
        agreement(facts.agreement, today, th),
        plan(facts.plan, today, th),
        decisions(facts.decisions, th),
        tracking(facts.tracking, now, th),
    ]
