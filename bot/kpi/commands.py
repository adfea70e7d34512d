"""`/kpi`: objectives, one or two decisive metrics each, and their figures.

The seed's fifth sin is tracking the wrong things, or too many: each
objective gets at most two decisive metrics, vanity metrics are challenged
when defined, and every recorded figure says which partner and channel
brought it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import dateparser
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.decisions import announce, record_decision
from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.number_reader import NotANumber, read_number
from bot.kernel.parsing import fold, split_first
from bot.kernel.permissions import Permission, require
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.tenancy import party_of
from bot.kernel.types import Reply, Tenant, Visibility
from bot.kernel.words import Words, option_aliases
from bot.kpi import digest, vanity
from bot.kpi.attribution import resolve_partner
from bot.kpi.points import (
    TOKEN_PREFIX,
    NewPoint,
    clean_label,
    hash_token,
    ingest,
    new_token,
    party_names,
    require_metric,
    store_points,
    token_owner,
    value_problem,
)
from bot.kpi.stats import (
    MetricFigures,
    Trend,
    objectives_and_metrics,
    progress,
    progress_bar,
    totals,
    trend,
)
from storage.models import Partnership
from storage.models.kpi import DigestSchedule, KpiToken, Metric, Objective

MAX_METRICS_PER_OBJECTIVE = 2
MAX_OBJECTIVE_CHARS = 200
MAX_METRIC_CHARS = 64
# A quoted phrase (straight or curly quotes), optionally after `name:`, or a word.
_TOKEN_RE = re.compile(r'(?:[\w\-]+:)?"[^"]*"|(?:[\w\-]+:)?“[^”]*”|(?:[\w\-]+:)?«[^»]*»|\S+')
_METRIC_NAME_RE = re.compile(r"^[^\s\"“”«»:]{1,64}$")
# The words of /kpi in both languages (French first: the form French help shows).
SUBCOMMANDS = Words(
    {
        "": ("",),
        "objective": ("objectif",),
        "metric": ("métrique", "indicateur"),
        "log": ("noter", "saisir"),
        "token": ("jeton",),
    },
    extra={"": ("list", "liste", "status", "statut"), "log": ("add", "ajouter")},
)
ARGUMENT_WORDS = Words(
    {
        "target": ("cible",),
        "by": ("d'ici", "d’ici", "avant", "pour", "le", "au"),
        "partner": ("partenaire",),
        "channel": ("canal",),
        "rotate": ("renouveler", "nouveau"),
        "show": ("voir",),
    },
    extra={"by": ("before",), "partner": ("p",), "channel": ("c",), "rotate": ("renew", "new")},
)
OPTION_ALIASES = option_aliases({"keep-vanity": ("garder-vanite",), "can-fall": ("peut-baisser",)})
TARGET_WORDS = {"target", "cible", "objectif"}
BY_WORDS = {fold(w) for w in ("by", "before", *ARGUMENT_WORDS.table["by"])}
PARTNER_KEYS = {"partner", "partenaire", "p"}
CHANNEL_KEYS = {"channel", "canal", "c"}


POINT_MIRROR = "kpi.point"
OBJECTIVE_MIRROR = "kpi.objective"
METRIC_MIRROR = "kpi.metric"


def register(registry: Registry) -> None:
    registry.add_mirror_renderer(POINT_MIRROR, draw_point_for_place)
    registry.add_mirror_renderer(OBJECTIVE_MIRROR, draw_objective_for_place)
    registry.add_mirror_renderer(METRIC_MIRROR, draw_metric_for_place)
    registry.add_command(
        CommandSpec(
            name="kpi",
            handler=kpi,
            summary_key="kpi.summary",
            usage_key="kpi.usage",
            options={"keep-vanity": "flag", "can-fall": "flag"},
            option_aliases=OPTION_ALIASES,
            words=(SUBCOMMANDS, ARGUMENT_WORDS),
        )
    )
    digest.register(registry)
    registry.add_suggester("kpi", "text", suggest_metrics)
    registry.point_ingest = ingest_counts
    registry.point_token_known = lambda session, token: token_owner(session, token) is not None


def ingest_counts(session: Session, token: str, payload: object, now: datetime) -> dict[str, int]:
    """`POST /kpi/ingest` (`registry.point_ingest`): what was stored, as the endpoint answers."""
    stored = ingest(session, token, payload, now)
    return {"stored": stored.stored, "duplicates": stored.duplicates}


def suggest_metrics(
    session: Session, tenant: Tenant, partnership: Partnership, current: str
) -> list[tuple[str, str | int]]:
    """`/kpi log le…`: the partnership's metrics."""
    head, _, rest = current.strip().partition(" ")
    if SUBCOMMANDS.resolve(head) != "log":
        return []
    typed = fold(rest)
    names = [
        m.name
        for _, metrics in objectives_and_metrics(session, partnership)
        for m in metrics
        if typed in m.name_key
    ]
    return [(f"{head} {name}", f"{head} {name} ") for name in names]


def kpi(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    name = SUBCOMMANDS.resolve(sub)
    if name == "":
        return overview(ctx)
    if name == "objective":
        require(ctx, Permission.LOG_KPI)
        return add_objective(ctx, rest)
    if name == "metric":
        require(ctx, Permission.LOG_KPI)
        return add_metric(ctx, rest)
    if name == "log":
        require(ctx, Permission.LOG_KPI)
        return log_value(ctx, rest)
    if name == "token":
        return token(ctx, rest)
    if sub in ("correct", "fix", "corriger"):
        from bot.kpi.corrections import correct

        return correct(ctx, rest)
    raise UserError("kpi.errors.unknown_subcommand", sub=sub)


# -- parsing helpers -------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Words and quoted phrases; "1 000" (French thousands) stays one number."""
    out: list[str] = []
    for token in _TOKEN_RE.findall(text):
        if (
            out
            and re.fullmatch(r"\d{3}([.,]\d+)?[kKmM€$]?", token)
            and re.fullmatch(r"[+-]?\d{1,3}( \d{3})*", out[-1])
        ):
            out[-1] += " " + token
        else:
            out.append(token)
    return out


def unquote(token: str) -> str:
    return token.strip().strip('"“”«»').strip()


def parse_date(ctx: Ctx, text: str, *, prefer: str) -> datetime:
    """A date in French or English in the channel's time zone, as aware UTC; or a UserError."""
    langs = [ctx.lang, *(x for x in ("en", "fr") if x != ctx.lang)]
    local_now = ctx.now.astimezone(ctx.tz).replace(tzinfo=None)
    parsed = dateparser.parse(
        text,
        languages=langs,
        settings={
            "TIMEZONE": ctx.tz.key,
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": local_now,
            "PREFER_DATES_FROM": prefer,
            "DATE_ORDER": "DMY" if ctx.lang == "fr" else "MDY",
        },
    )
    if parsed is None:
        raise UserError("kpi.errors.bad_date", date=text)
    return parsed


_END_OF_RE = re.compile(r"^(?:(?:the )?end of|fin(?: de| d['’])?)\s*(.+)$", re.IGNORECASE)


def parse_day(ctx: Ctx, text: str, *, prefer: str) -> date:
    """A local date; "end of June" / "fin juin" is the month's last day."""
    end_of = _END_OF_RE.match(text.strip())
    if end_of is None:
        return parse_date(ctx, text, prefer=prefer).astimezone(ctx.tz).date()
    day = parse_date(ctx, end_of.group(1), prefer="current_period").astimezone(ctx.tz).date()
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = following - timedelta(days=1)
    if prefer == "future" and last < ctx.now.astimezone(ctx.tz).date():
        # "end of June" said in November means next June.
        last = (last.replace(day=1).replace(year=last.year + 1) + timedelta(days=32)).replace(
            day=1
        ) - timedelta(days=1)
    return last


# -- objectives and metrics -------------------------------------------------------


def find_objective(ctx: Ctx, name: str) -> Objective | None:
    return ctx.session.exec(
        select(Objective).where(
            Objective.platform == ctx.tenant.platform,
            Objective.team_id == ctx.tenant.team_id,
            Objective.partnership_id == ctx.partnership.id,
            Objective.name_key == fold(name)[:MAX_OBJECTIVE_CHARS],
        )
    ).first()


def objective_names(ctx: Ctx) -> str:
    pairs = objectives_and_metrics(ctx.session, ctx.partnership)
    return ", ".join(f"“{o.name}”" for o, _ in pairs)


def add_objective(ctx: Ctx, rest: str) -> list[Reply]:
    name = unquote(rest)
    if not name:
        raise UserError("kpi.errors.objective_needs_name")
    if len(name) > MAX_OBJECTIVE_CHARS:
        raise UserError("kpi.errors.objective_too_long", limit=MAX_OBJECTIVE_CHARS)
    if find_objective(ctx, name) is not None:
        raise UserError("kpi.errors.objective_exists", name=name)
    objective = Objective(
        platform=ctx.tenant.platform,
        team_id=ctx.tenant.team_id,
        partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
        name=name,
        name_key=fold(name),
        created_by=ctx.user.id,
        created_at=ctx.now,
    )
    ctx.session.add(objective)
    ctx.session.flush()
    schedule = digest.ensure_schedule(ctx)
    return [objective_post(ctx, objective, schedule)]


def objective_post(ctx: Ctx, objective: Objective, schedule: DigestSchedule | None) -> Reply:
    """An objective added: posted for all partners, drawn again for each place."""
    name = objective.name
    return Reply(
        text=ctx.t("kpi.objective_added", name=name),
        footer=ctx.t("kpi.objective_next", name=name, schedule=digest.describe(ctx, schedule))
        if schedule is not None
        else None,
        target_channel=ctx.target_channel,
        mirror={"kind": OBJECTIVE_MIRROR, "id": objective.id},
    )


def draw_objective_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    objective = ctx.session.get(Objective, int(spec["id"]))
    if objective is None or objective.partnership_id != ctx.partnership.id:
        return None
    return objective_post(ctx, objective, digest.schedule_of(ctx.session, ctx.partnership))


def add_metric(ctx: Ctx, rest: str) -> list[Reply]:
    parts = tokens(rest)
    lowered = [fold(p) for p in parts]
    if len(parts) < 4 or not TARGET_WORDS & set(lowered):
        raise UserError("kpi.errors.metric_usage")
    at = next(i for i, w in enumerate(lowered) if w in TARGET_WORDS)
    if at != 2:
        raise UserError("kpi.errors.metric_usage")
    objective_name, metric_name = unquote(parts[0]), unquote(parts[1])
    objective = find_objective(ctx, objective_name)
    if objective is None:
        known = objective_names(ctx)
        if not known:
            raise UserError("kpi.errors.no_objective_yet", name=objective_name)
        raise UserError("kpi.errors.unknown_objective", name=objective_name, known=known)
    if not _METRIC_NAME_RE.match(metric_name):
        raise UserError("kpi.errors.bad_metric_name", name=metric_name, limit=MAX_METRIC_CHARS)
    after = parts[at + 1 :]
    if not after:
        raise UserError("kpi.errors.metric_usage")
    target, unit = _target_and_unit(after[0], ctx.lang)
    after = after[1:]
    if target is None or target <= 0:
        raise UserError("kpi.errors.bad_target", value=parts[at + 1])
    if after and fold(after[0]) not in BY_WORDS:
        unit, after = unquote(after[0])[:32], after[1:]
    target_date = None
    if after:
        if fold(after[0]) not in BY_WORDS or len(after) < 2:
            raise UserError("kpi.errors.metric_usage")
        target_date = parse_day(ctx, " ".join(after[1:]), prefer="future")
        if target_date < ctx.now.astimezone(ctx.tz).date():
            raise UserError("kpi.errors.target_date_past", date=_day(ctx, target_date))
    if ctx.session.get_bind().dialect.name == "postgresql":
        # Two instances adding a metric at once must not both see "one so far":
        # lock the objective until this command commits (SQLite is serial already).
        ctx.session.exec(select(Objective).where(Objective.id == objective.id).with_for_update())
    existing = ctx.session.exec(
        select(Metric)
        .where(
            Metric.platform == ctx.tenant.platform,
            Metric.team_id == ctx.tenant.team_id,
            Metric.objective_id == objective.id,
        )
        .order_by(col(Metric.id))
    ).all()
    if len(existing) >= MAX_METRICS_PER_OBJECTIVE:
        raise UserError(
            "kpi.errors.too_many_metrics",
            objective=objective.name,
            limit=MAX_METRICS_PER_OBJECTIVE,
            metrics=", ".join(m.name for m in existing),
        )
    if metric_name_taken(ctx, metric_name):
        raise UserError("kpi.errors.metric_exists", name=metric_name)
    keep = bool(ctx.options.get("keep-vanity"))
    match = vanity.detect(metric_name)
    if match is not None and not keep:
        raise UserError(
            "kpi.vanity.refused",
            name=metric_name,
            why=ctx.t(f"kpi.vanity.why.{match.kind}"),
            instead=ctx.t(f"kpi.vanity.instead.{match.kind}"),
        )
    metric = Metric(
        platform=ctx.tenant.platform,
        team_id=ctx.tenant.team_id,
        partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
        objective_id=objective.id,  # type: ignore[arg-type]
        name=metric_name,
        name_key=fold(metric_name),
        unit=unit or "",
        target=target,
        target_date=target_date,
        vanity=match is not None,
        vanity_kept_by=ctx.user.id if match is not None else None,
        can_fall=bool(ctx.options.get("can-fall") or ctx.options.get("peut-baisser")),
        created_by=ctx.user.id,
        created_at=ctx.now,
    )
    ctx.session.add(metric)
    ctx.session.flush()
    return [metric_post(ctx, metric, objective)]


def metric_post(ctx: Ctx, metric: Metric, objective: Objective) -> Reply:
    """A metric added: posted for all partners, drawn again for each place."""
    reply = Reply(
        text=ctx.t(
            "kpi.metric_added",
            metric=metric.name,
            objective=objective.name,
            target=_amount(metric.target, metric.unit, ctx.lang),
            by=ctx.t("kpi.by_date", date=_day(ctx, metric.target_date))
            if metric.target_date
            else "",
        ),
        footer=ctx.t("kpi.metric_next", metric=metric.name),
        target_channel=ctx.target_channel,
        mirror={"kind": METRIC_MIRROR, "id": metric.id},
    )
    match = vanity.detect(metric.name) if metric.vanity else None
    if match is not None:
        reply.sections.append(
            ctx.t(
                "kpi.vanity.kept",
                name=metric.name,
                why=ctx.t(f"kpi.vanity.why.{match.kind}"),
                instead=ctx.t(f"kpi.vanity.instead.{match.kind}"),
            )
        )
    return reply


def draw_metric_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    metric = ctx.session.get(Metric, int(spec["id"]))
    if metric is None or metric.partnership_id != ctx.partnership.id:
        return None
    objective = ctx.session.get(Objective, metric.objective_id)
    return metric_post(ctx, metric, objective) if objective is not None else None


def metric_name_taken(ctx: Ctx, name: str) -> bool:
    """True when the partnership already has a metric of that name."""
    count = ctx.session.exec(
        select(func.count())
        .select_from(Metric)
        .where(
            Metric.platform == ctx.tenant.platform,
            Metric.team_id == ctx.tenant.team_id,
            Metric.partnership_id == ctx.partnership.id,
            Metric.name_key == fold(name),
        )
    ).one()
    return bool(count)


def _target_and_unit(token: str, lang: str) -> tuple[float | None, str]:
    """'500' -> (500, ''); '20,000€' -> (20000, '€'); '15%' -> (15, '%'); '10k' -> (10000, '').

    Read by `bot.kernel.number_reader` like every figure; an ambiguous one raises `AmbiguousNumber`.
    """
    raw = unquote(token)
    try:
        number = read_number(raw, lang)
        return float(number.value), number.unit
    except NotANumber:
        pass
    # A unit glued to the number: '500leads'.
    match = re.match(r"^([+-]?[\d\s.,'\u00a0\u202f]+[kKmM]?)(?![\w])(.*)$", raw) or re.match(
        r"^([+-]?[\d\s.,'\u00a0\u202f]+)(.*)$", raw
    )
    if match is None:
        return None, ""
    try:
        return float(read_number(match.group(1), lang).value), match.group(2).strip()[:32]
    except NotANumber:
        return None, ""


# -- logging values ------------------------------------------------------------------


def log_value(ctx: Ctx, rest: str) -> list[Reply]:
    parts = tokens(rest)
    if len(parts) < 2:
        raise UserError("kpi.errors.log_usage")
    metric = require_metric(ctx.session, ctx.partnership, unquote(parts[0]))
    try:
        value = float(read_number(unquote(parts[1]), ctx.lang).value)
    except NotANumber as exc:
        raise UserError("kpi.errors.bad_value", value=parts[1]) from exc
    problem = value_problem(metric, value)
    if problem is not None:
        raise UserError(f"kpi.edges.{problem[0]}", value=unquote(parts[1]), **problem[1])
    partner: str | None = None
    channel: str | None = None
    date_words: list[str] = []
    rest_parts = parts[2:]
    skip = 0
    for index, part in enumerate(rest_parts):
        if skip:
            skip -= 1
            continue
        key, sep, raw = part.partition(":")
        if sep and fold(key) in PARTNER_KEYS:
            # `partner:acme media 2026-11-25`: the name may go on over the next words.
            following = []
            for word in rest_parts[index + 1 :]:
                if ":" in word and fold(word.partition(":")[0]) in PARTNER_KEYS | CHANNEL_KEYS:
                    break
                following.append(word)
            partner, skip = resolve_partner(
                ctx.session, ctx.partnership, unquote(raw), following, quoted=raw[:1] in '"“«'
            )
        elif sep and fold(key) in CHANNEL_KEYS:
            channel = unquote(raw)
        else:
            date_words.append(part)
    at = ctx.now
    if date_words:
        at = parse_date(ctx, " ".join(date_words), prefer="past")
        if at.astimezone(ctx.tz).date() > ctx.now.astimezone(ctx.tz).date():
            raise UserError("kpi.errors.future_date", date=_day(ctx, at.astimezone(ctx.tz).date()))
    if partner is None:
        # Unsaid, the figure is attributed to the logger's company when known.
        own = party_of(ctx.session, ctx.partnership, ctx.user.id)
        partner = own.name if own else None
    partner = clean_label(partner, party_names(ctx.session, ctx.partnership))
    channel = clean_label(channel)
    store_points(
        ctx.session,
        [
            NewPoint(
                metric=metric,
                value=value,
                at=at,
                partner=partner,
                channel=channel,
                source="chat",
                recorded_by=ctx.user.id,
            )
        ],
        ctx.now,
    )
    figures = next(
        f for f in totals(ctx.session, ctx.partnership, ctx.now) if f.metric.id == metric.id
    )
    entry = {
        "metric": metric.id,
        "value": str(value),
        "at": at.isoformat(),
        "partner": partner,
        "channel": channel,
        "total": str(figures.cumulative),
    }
    reply = logged_card(ctx, metric, entry)
    # Every place sees the entry, in its own language and number format.
    reply.mirror = {"kind": POINT_MIRROR, **entry}
    return [reply]


def logged_card(ctx: Ctx, metric: Metric, entry: dict[str, Any]) -> Reply:
    """ "Recorded 2,000 leads…": one figure logged, and where its metric now stands."""
    value, total = float(str(entry["value"])), float(str(entry["total"]))
    return Reply(
        text=ctx.t(
            "kpi.logged",
            value=_amount(value, metric.unit, ctx.lang),
            metric=metric.name,
            date=ctx.format_date(datetime.fromisoformat(str(entry["at"]))),
            partner=entry["partner"] or ctx.t("kpi.unattributed"),
            channel=entry["channel"] or ctx.t("kpi.unattributed"),
        ),
        footer=ctx.t(
            "kpi.logged_total",
            total=_amount(total, metric.unit, ctx.lang),
            target=_amount(metric.target, metric.unit, ctx.lang),
            percent=formatting.percent(progress(total, metric.target), ctx.lang),
        ),
    )


def draw_point_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    metric = ctx.session.get(Metric, int(spec["metric"]))
    if metric is None or metric.partnership_id != ctx.partnership.id:
        return None
    return logged_card(ctx, metric, spec)


# -- overview ---------------------------------------------------------------------


def overview(ctx: Ctx) -> list[Reply]:
    pairs = objectives_and_metrics(ctx.session, ctx.partnership)
    objectives = [o for o, _ in pairs]
    figures = totals(ctx.session, ctx.partnership, ctx.now, pairs=pairs)
    if not objectives:
        return [Reply(text=ctx.t("kpi.none_yet"), visibility=Visibility.EPHEMERAL)]
    sections = []
    for objective in objectives:
        lines = [ctx.t("kpi.objective_line", name=objective.name)]
        mine = [f for f in figures if f.objective.id == objective.id]
        if not mine:
            lines.append(ctx.t("kpi.objective_no_metric", name=objective.name))
        for f in mine:
            lines.append(metric_line(ctx, f))
        sections.append("\n".join(lines))
    return [
        Reply(
            title=ctx.t("kpi.overview_title"),
            sections=sections,
            footer=ctx.t("kpi.overview_footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def metric_line(ctx: Ctx, f: MetricFigures) -> str:
    """'leads: 120 / 500 ▓▓░░░░░░░░ 24 % · on track for 30/06 (projected 540)'."""
    t, m, total = ctx.t, f.metric, f.cumulative
    started = min(x for x in (m.created_at, f.first_at) if x is not None)
    tr: Trend = trend(total, m.target, started, ctx.now, m.target_date, ctx.tz.key)
    ratio = progress(total, m.target)
    status = t(
        f"kpi.trend.{tr.status}",
        projected=_amount(round(tr.projected or 0), m.unit, ctx.lang),
        date=_day(ctx, m.target_date),
    )
    label = t("kpi.vanity.label") if m.vanity else ""
    return t(
        "kpi.metric_line",
        metric=m.name,
        vanity=label,
        total=_amount(total, m.unit, ctx.lang),
        target=_amount(m.target, m.unit, ctx.lang),
        bar=progress_bar(ratio),
        percent=formatting.percent(ratio, ctx.lang),
        trend=status,
    )


def _amount(value: float, unit: str, lang: str) -> str:
    return formatting.amount(value, unit, lang)


def _day(ctx: Ctx, day: date | None) -> str:
    if day is None:
        return ""
    return formatting.day(day, ctx.lang)


# -- ingest token ------------------------------------------------------------------


def token(ctx: Ctx, rest: str) -> list[Reply]:
    """Show whether a token exists, or rotate it. Only shown once: only its hash is kept.

    Only a company's representative manages it; a new token is recorded as a decision
    (never the token itself) and announced in the shared channel.
    """
    require(ctx, Permission.MANAGE_KPI_TOKEN)
    sub = fold(rest.strip())
    row = ctx.session.exec(
        select(KpiToken).where(
            KpiToken.platform == ctx.tenant.platform,
            KpiToken.team_id == ctx.tenant.team_id,
            KpiToken.channel_id == ctx.shared_channel_id,
        )
    ).first()
    word = ARGUMENT_WORDS.resolve(sub) if sub else "show"
    if word not in ("show", "rotate"):
        raise UserError("kpi.errors.token_usage")
    if row is not None and word == "show":
        return [
            Reply(
                text=ctx.t(
                    "kpi.token_exists",
                    hint=row.hint,
                    date=ctx.format_date(row.created_at),
                    by=f"<@{row.created_by}>",
                ),
                visibility=Visibility.EPHEMERAL,
            )
        ]
    secret = new_token()
    if row is None:
        row = KpiToken(
            platform=ctx.tenant.platform,
            team_id=ctx.tenant.team_id,
            channel_id=ctx.shared_channel_id,
            partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
            token_hash="",
            hint="",
            created_by=ctx.user.id,
            created_at=ctx.now,
        )
    row.token_hash = hash_token(secret)
    row.hint = secret[: len(TOKEN_PREFIX) + 4]
    row.created_by = ctx.user.id
    row.created_at = ctx.now
    ctx.session.add(row)
    decision = record_decision(
        ctx, ctx.t("kpi.audit.token_rotated", user=f"<@{ctx.user.id}>"), source="kpi.token"
    )
    return announce(ctx, decision) + [
        Reply(
            title=ctx.t("kpi.token_title"),
            text=ctx.t("kpi.token_new", token=secret),
            footer=ctx.t("kpi.token_footer"),
            visibility=Visibility.EPHEMERAL,
            # Shown once; the copy kept to answer platform retries is masked.
            secrets=[secret],
        )
    ]
