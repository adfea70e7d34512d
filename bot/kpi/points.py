"""Recording KPI points, whatever they come from: chat, CSV file or HTTP ingest.

Each entry point validates everything first and stores in one statement, so
a request or a file with one bad point stores nothing. Points carrying a
`(source, id)` are stored once: sending them again is harmless.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.kernel.errors import RequestRefused, UserError
from bot.kernel.i18n import translator
from bot.kernel.number_reader import AmbiguousNumber, NotANumber, read_number
from bot.kernel.parsing import fold
from storage.models.kpi import KpiPoint, KpiToken, Metric
from storage.models.tenancy import Partnership, Party

MAX_POINTS_PER_REQUEST = 1000
MAX_TEXT = 120
MAX_ID = 200
CSV_COLUMNS = ("metric", "value", "date", "partner", "channel", "source", "id")
CSV_REQUIRED = ("metric", "value", "date")
TOKEN_PREFIX = "acc_kpi_"


class PointError(RequestRefused):
    """A point was refused: `key` and `params` are a catalog message (`kpi.points.*`).

    `status` is the HTTP status the ingest endpoint answers with.
    """

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(status, key, **params)


@dataclass(frozen=True, slots=True)
class NewPoint:
    metric: Metric
    value: float
    at: datetime
    partner: str | None = None
    channel: str | None = None
    source: str = "chat"
    external_id: str | None = None
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    stored: int
    duplicates: int


# -- numbers -----------------------------------------------------------------------


def parse_amount(raw: str, lang: str | None) -> float:
    """A figure as typed in chat or in a file, read in the channel's language
    (`bot.kernel.number_reader`).

    Raises `NotANumber` or `AmbiguousNumber` (both `UserError`s).
    """
    return float(read_number(raw, lang).value)


# -- lookups -------------------------------------------------------------------------


def metric_named(session: Session, partnership: Partnership, name: str) -> Metric | None:
    return session.exec(
        select(Metric).where(
            Metric.platform == partnership.platform,
            Metric.team_id == partnership.team_id,
            Metric.partnership_id == partnership.id,
            Metric.name_key == fold(name.strip()),
        )
    ).first()


def metrics_by_key(session: Session, partnership: Partnership) -> dict[str, Metric]:
    return {
        m.name_key: m
        for m in session.exec(
            select(Metric).where(
                Metric.platform == partnership.platform,
                Metric.team_id == partnership.team_id,
                Metric.partnership_id == partnership.id,
            )
        )
    }


def party_names(session: Session, partnership: Partnership) -> dict[str, str]:
    """folded name -> the party's name as written, to attribute points consistently."""
    return {
        p.name_key: p.name
        for p in session.exec(
            select(Party).where(
                Party.platform == partnership.platform,
                Party.team_id == partnership.team_id,
                Party.partnership_id == partnership.id,
            )
        )
    }


def clean_label(value: str | None, parties: Mapping[str, str] | None = None) -> str | None:
    """Trim an attribution label; a partner that names a known party takes its spelling."""
    if value is None:
        return None
    text = " ".join(str(value).split())[:MAX_TEXT]
    if not text:
        return None
    if parties:
        return parties.get(fold(text), text)
    return text


# -- storing -------------------------------------------------------------------------


def store_points(session: Session, points: Sequence[NewPoint], now: datetime) -> Stored:
    """Insert points; those whose (metric, source, id) exists are skipped, not errors."""
    if not points:
        return Stored(0, 0)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = KpiPoint.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "platform": p.metric.platform,
            "team_id": p.metric.team_id,
            "partnership_id": p.metric.partnership_id,
            "metric_id": p.metric.id,
            "value": p.value,
            "at": p.at,
            "partner": p.partner,
            "channel": p.channel,
            "source": p.source,
            "external_id": p.external_id,
            "recorded_by": p.recorded_by,
            "created_at": now,
        }
        for p in points
    ]
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["metric_id", "source", "external_id"])
        .returning(table.c.id)
    )
    stored = 0
    # Batches keep each statement's parameter count well under SQLite's limit.
    for start in range(0, len(rows), 500):
        result = session.execute(stmt, rows[start : start + 500])
        stored += len(result.all())
    return Stored(stored, len(rows) - stored)


# -- the ingest API ----------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_owner(session: Session, token: str) -> KpiToken | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(select(KpiToken).where(KpiToken.token_hash == hash_token(token))).first()
    # The lookup is by hash; compare again in constant time for good measure.
    if row is None or not secrets.compare_digest(row.token_hash, hash_token(token)):
        return None
    return row


def parse_instant(raw: object, where: str) -> datetime:
    if not isinstance(raw, str) or not raw.strip():
        raise PointError(400, "kpi.points.bad_at", where=where)
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise PointError(400, "kpi.points.bad_at", where=where) from exc
    # Without an offset the API reads UTC (documented); files read the channel's zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional_text(point: Mapping[str, object], name: str, where: str, limit: int) -> str | None:
    raw = point.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise PointError(400, "kpi.points.bad_text", where=where, field=name)
    text = str(raw).strip()
    if len(text) > limit:
        raise PointError(400, "kpi.points.too_long", where=where, field=name, limit=limit)
    return text or None


def _value(raw: object, where: str, lang: str | None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise PointError(400, "kpi.points.bad_value", where=where)
    try:
        value = parse_amount(raw, lang) if isinstance(raw, str) else float(raw)
    except NotANumber as exc:
        raise PointError(400, "kpi.points.bad_value", where=where) from exc
    except AmbiguousNumber as exc:
        key = "kpi.points.numbers.ambiguous_value"
        raise PointError(400, key, where=where, **exc.params) from exc
    if not math.isfinite(value):
        raise PointError(400, "kpi.points.bad_value", where=where)
    return value


def _known_metric(metrics: Mapping[str, Metric], name: str, where: str) -> Metric:
    name = name.strip()
    if not name:
        raise PointError(400, "kpi.points.no_metric", where=where)
    metric = metrics.get(fold(name))
    if metric is None:
        raise PointError(
            422,
            "kpi.points.unknown_metric",
            where=where,
            metric=name[:64],
            known=", ".join(sorted(m.name for m in metrics.values())) or "—",
        )
    return metric


def ingest(
    session: Session, token: str, payload: object, now: datetime, lang: str | None = None
) -> Stored:
    """Validate and store the points of one `POST /kpi/ingest` body, or raise PointError.

    `lang` reads values sent as text ("1 250,50"); None: the token's channel's language.
    """
    owner = token_owner(session, token)
    if owner is None:
        raise PointError(401, "kpi.points.bad_token")
    partnership = session.get(Partnership, owner.partnership_id)
    if partnership is None or partnership.team_id != owner.team_id:
        raise PointError(401, "kpi.points.bad_token")
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise PointError(400, "kpi.points.empty")
    if len(items) > MAX_POINTS_PER_REQUEST:
        raise PointError(413, "kpi.points.too_many", limit=MAX_POINTS_PER_REQUEST)
    metrics = metrics_by_key(session, partnership)
    parties = party_names(session, partnership)
    if lang is None:
        lang = channel_lang(session, owner.platform, owner.team_id, owner.channel_id)
    points: list[NewPoint] = []
    for index, item in enumerate(items):
        where = f"point {index}" if isinstance(payload, list) else "point"
        if not isinstance(item, dict):
            raise PointError(400, "kpi.points.not_object", where=where)
        name = item.get("metric")
        metric = _known_metric(metrics, name if isinstance(name, str) else "", where)
        value = _value(item.get("value"), where, lang)
        check_point(metric, value, where)
        points.append(
            NewPoint(
                metric=metric,
                value=value,
                at=parse_instant(item.get("at"), where),
                partner=clean_label(_optional_text(item, "partner", where, MAX_TEXT), parties),
                channel=clean_label(_optional_text(item, "channel", where, MAX_TEXT)),
                source=_optional_text(item, "source", where, 64) or "api",
                external_id=_optional_text(item, "id", where, MAX_ID),
            )
        )
    return store_points(session, points, now)


# -- CSV import ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    key: str
    params: Mapping[str, object]


class ImportFailed(Exception):
    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} bad lines")
        self.errors = errors


def _csv_instant(raw: str, zone: ZoneInfo, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise PointError(400, "kpi.points.bad_date", where=where) from exc
    # A date or a naive time in a file is the channel's local time.
    return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)


def parse_csv(
    session: Session,
    partnership: Partnership,
    lines: Iterable[str],
    timezone: str,
    *,
    default_source: str = "csv",
    lang: str | None = None,
    now: datetime | None = None,
) -> list[NewPoint]:
    """Every point of a CSV file, or ImportFailed listing every bad line.

    Values are read as the chat reads them in the channel's language `lang`, and the
    chat's rules hold: no negative figure for a metric that cannot fall, no
    absurd magnitude, no date after today (in the channel's zone; `now`).
    """
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        raise ImportFailed(
            [
                LineError(
                    1,
                    "kpi.points.bad_header",
                    {
                        "missing": ", ".join(missing) or "—",
                        "unknown": ", ".join(unknown) or "—",
                        "columns": ",".join(CSV_COLUMNS),
                    },
                )
            ]
        )
    reader.fieldnames = header
    zone = ZoneInfo(timezone)
    metrics = metrics_by_key(session, partnership)
    points: list[NewPoint] = []
    errors: list[LineError] = []
    resolved: dict[str, str | UserError] = {}

    def partner_of(raw: str | None, where: str) -> str | None:
        """The chat's attribution rule: a company of the partnership or a directory partner."""
        from bot.kpi.attribution import resolve_partner

        text = clean_label(raw)
        if text is None:
            return None
        key = fold(text)
        if key not in resolved:
            try:
                resolved[key] = resolve_partner(session, partnership, text, [], quoted=True)[0]
            except UserError as err:
                resolved[key] = err
        found = resolved[key]
        if isinstance(found, UserError):
            raise PointError(422, "kpi.edges.unknown_partner_at", where=where, **found.params)
        return found

    for row in reader:
        line = reader.line_num
        where = translator(lang)("kpi.points.where.line", line=line)
        try:
            if None in row:  # more cells than columns
                raise PointError(400, "kpi.points.extra_cells", where=where)
            metric = _known_metric(metrics, row.get("metric") or "", where)
            value = _value(row.get("value") or "", where, lang)
            check_point(metric, value, where)
            at = _csv_instant(row.get("date") or "", zone, where)
            check_not_future(at, zone, now or datetime.now(UTC), where)
            points.append(
                NewPoint(
                    metric=metric,
                    value=value,
                    at=at,
                    partner=partner_of(_optional_text(row, "partner", where, MAX_TEXT), where),
                    channel=clean_label(_optional_text(row, "channel", where, MAX_TEXT)),
                    source=_optional_text(row, "source", where, 64) or default_source,
                    external_id=_optional_text(row, "id", where, MAX_ID),
                )
            )
        except PointError as err:
            errors.append(LineError(line, err.key, err.params))
    if errors:
        raise ImportFailed(errors)
    return points


def import_csv(
    session: Session,
    partnership: Partnership,
    text: str,
    timezone: str,
    now: datetime,
    *,
    default_source: str = "csv",
    lang: str | None = None,
) -> Stored:
    points = parse_csv(
        session,
        partnership,
        io.StringIO(text),
        timezone,
        default_source=default_source,
        lang=lang,
        now=now,
    )
    return store_points(session, points, now)


def channel_lang(session: Session, platform: str, team_id: str, channel_id: str) -> str | None:
    """The language the bot speaks in a channel (its setting, else its team's), if set."""
    from bot.kernel.i18n import normalize_locale
    from storage.models import Channel, Team

    channel = session.exec(
        select(Channel).where(
            Channel.platform == platform,
            Channel.team_id == team_id,
            Channel.channel_id == channel_id,
        )
    ).first()
    team = session.exec(
        select(Team).where(Team.platform == platform, Team.team_id == team_id)
    ).first()
    return normalize_locale(channel.locale if channel else None) or normalize_locale(
        team.locale if team else None
    )


def require_metric(session: Session, partnership: Partnership, name: str) -> Metric:
    """For chat commands: the metric, or a UserError naming the known ones."""
    metric = metric_named(session, partnership, name)
    if metric is None:
        known = sorted(metrics_by_key(session, partnership).values(), key=lambda m: m.id or 0)
        if not known:
            raise UserError("kpi.errors.no_metric_yet", metric=name)
        raise UserError(
            "kpi.errors.unknown_metric", metric=name, known=", ".join(m.name for m in known)
        )
    return metric


# -- values that cannot be (issue 13) ---------------------------------------------------

# Past this, a figure is a typo (an extra row of zeros), not a partnership's result.
MAX_ABS_VALUE = 1e12


def value_problem(metric: Metric, value: float) -> tuple[str, dict[str, object]] | None:
    """Why `value` cannot be a point of `metric` (a catalog key and its params), or None.

    One rule for the chat, CSV files and the ingest API: a point is what was
    added (leads that day), so it is never negative unless the metric was
    declared `--can-fall`; and no figure is beyond `MAX_ABS_VALUE`.
    """
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        return "too_large", {"metric": metric.name, "limit": f"{MAX_ABS_VALUE:,.0f}"}
    if value < 0 and not metric.can_fall:
        return "cannot_fall", {"metric": metric.name}
    return None


def check_point(metric: Metric, value: float, where: str) -> None:
    """`value_problem` as the PointError files and the API report."""
    problem = value_problem(metric, value)
    if problem is not None:
        key, params = problem
        code = {"cannot_fall": "negative_value", "too_large": "value_too_large"}[key]
        raise PointError(422, f"kpi.edges.{code}", where=where, **params)


def check_not_future(at: datetime, zone: ZoneInfo, now: datetime, where: str) -> None:
    """A figure is recorded once it happened: no day after today, in the channel's zone."""
    day = at.astimezone(zone).date()
    if day > now.astimezone(zone).date():
        raise PointError(422, "kpi.edges.future_date", where=where, date=day.isoformat())
