"""Contract reminders through the notification ledger.

- Confirmation: 2 days after a recap, then every 3 days, the representatives of
  the companies that have not confirmed are pinged in the shared channel. Only
  the next occurrence exists as a row; the dispatcher's `before_dispatch` hook
  adds the one after it once it is due, so a bot that was down sends one late
  ping, not a backlog. Rows are cancelled when everyone confirmed, and the
  renderer checks again at send time.
- Renewal or end date: 30 and 7 days before, at 09:00 in the channel's zone.

Idempotency keys are per (contract, occurrence): `contract:<id>:confirm:<recap>:<n>`
and `contract:<id>:renewal:<date>:<days>`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.contract.terms import ContractState, load_state
from bot.kernel import formatting
from bot.kernel.i18n import Translator
from bot.kernel.registry import Registry, RenderContext
from bot.kernel.tenancy import people
from bot.kernel.types import Button, ButtonStyle, Reply, Tenant
from storage.models import Contract, Notification, Partnership
from storage.models.contract import AWAITING, ENDED
from storage.models.notifications import CANCELLED, PENDING
from storage.upsert import get_or_create

KIND_CONFIRM = "contract.confirm"
KIND_RENEWAL = "contract.renewal"
FIRST_PING = timedelta(days=2)
PING_EVERY = timedelta(days=3)
RENEWAL_DAYS = (30, 7)
RENEWAL_HOUR = time(9, 0)
CONFIRM_ACTION = "contract.confirm"
HOOK_CHUNK = 500
BUTTON_NAME_MAX = 30


def register(registry: Registry) -> None:
    registry.add_renderer(KIND_CONFIRM, render_confirm)
    registry.add_renderer(KIND_RENEWAL, render_renewal)
    registry.before_dispatch.append(ensure_confirm_pings)


# -- scheduling ---------------------------------------------------------------


def _key(contract: Contract, *parts: object) -> str:
    return ":".join(["contract", str(contract.id), *map(str, parts)])


def _schedule(
    session: Session,
    contract: Contract,
    channel_id: str,
    kind: str,
    key: str,
    due: datetime,
    payload: dict[str, object],
    now: datetime,
) -> Notification:
    return get_or_create(
        session,
        Notification,
        {"platform": contract.platform, "team_id": contract.team_id, "idempotency_key": key},
        {
            "channel_id": channel_id,
            "kind": kind,
            "payload": payload,
            "due_at": due,
            "created_at": now,
        },
    )


def cancel(session: Session, contract: Contract, kind: str) -> None:
    """Cancel the contract's pending rows of one kind."""
    what = "confirm" if kind == KIND_CONFIRM else "renewal"
    session.execute(
        update(Notification)
        .where(
            col(Notification.platform) == contract.platform,
            col(Notification.team_id) == contract.team_id,
            col(Notification.kind) == kind,
            col(Notification.status) == PENDING,
            col(Notification.idempotency_key).startswith(_key(contract, what) + ":"),
        )
        .values(status=CANCELLED)
    )


def confirm_ping_due(contract: Contract, number: int) -> datetime:
    assert contract.recap_at is not None
    return contract.recap_at + FIRST_PING + PING_EVERY * number


def next_confirm_number(contract: Contract, now: datetime) -> int:
    """The first ping occurrence still to come at `now`."""
    first = confirm_ping_due(contract, 0)
    if now < first:
        return 0
    return (now - first) // PING_EVERY + 1


def schedule_confirm_ping(
    session: Session, contract: Contract, channel_id: str, number: int, now: datetime
) -> None:
    _schedule(
        session,
        contract,
        channel_id,
        KIND_CONFIRM,
        _key(contract, "confirm", contract.recap_count, number),
        confirm_ping_due(contract, number),
        {"contract_id": contract.id, "recap": contract.recap_count, "number": number},
        now,
    )


def start_confirm_pings(
    session: Session, contract: Contract, channel_id: str, now: datetime
) -> None:
    """A new recap: drop the previous round's pings and plan the first one."""
    cancel(session, contract, KIND_CONFIRM)
    schedule_confirm_ping(session, contract, channel_id, 0, now)


def ensure_confirm_pings(session: Session, now: datetime) -> None:
    """Dispatcher hook: each contract awaiting confirmation has its next ping planned.

    Runs on every pass, so it reads the planned keys in one query per chunk and
    writes only the missing rows (contract ids are global, so the keys are too).
    """
    rows = session.exec(
        select(Contract, Partnership)
        .join(Partnership, col(Partnership.id) == col(Contract.partnership_id))
        .where(Contract.status == AWAITING, col(Contract.recap_at).is_not(None))
    ).all()
    for start in range(0, len(rows), HOOK_CHUNK):
        chunk = rows[start : start + HOOK_CHUNK]
        wanted = {
            _key(c, "confirm", c.recap_count, next_confirm_number(c, now)): (c, p) for c, p in chunk
        }
        planned = set(
            session.exec(
                select(Notification.idempotency_key).where(
                    Notification.kind == KIND_CONFIRM,
                    col(Notification.idempotency_key).in_(list(wanted)),
                )
            ).all()
        )
        for key, (contract, partnership) in wanted.items():
            if key not in planned:
                number = next_confirm_number(contract, now)
                schedule_confirm_ping(session, contract, partnership.channel_id, number, now)


def schedule_renewal(
    session: Session, contract: Contract, channel_id: str, zone: ZoneInfo, now: datetime
) -> list[date]:
    """Plan the pings before the renewal or end date; return the days they go out."""
    cancel(session, contract, KIND_RENEWAL)
    planned: list[date] = []
    if contract.end_date is None:
        return planned
    for days in RENEWAL_DAYS:
        day = contract.end_date - timedelta(days=days)
        due = datetime.combine(day, RENEWAL_HOUR, tzinfo=zone)
        if due <= now:
            continue
        _schedule(
            session,
            contract,
            channel_id,
            KIND_RENEWAL,
            _key(contract, "renewal", contract.end_date.isoformat(), days),
            due,
            {"contract_id": contract.id, "days": days, "end_date": contract.end_date.isoformat()},
            now,
        )
        planned.append(day)
    return planned


# -- rendering at send time ------------------------------------------------------


def _load(session: Session, row: Notification) -> tuple[Contract, Partnership] | None:
    contract_id = row.payload.get("contract_id")
    found = session.exec(
        select(Contract, Partnership)
        .join(Partnership, col(Partnership.id) == col(Contract.partnership_id))
        .where(
            Contract.platform == row.platform,
            Contract.team_id == row.team_id,
            Contract.id == contract_id,
        )
    ).first()
    return (found[0], found[1]) if found else None


def _representatives(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    state: ContractState,
    t: Translator,
    *,
    pending: bool,
) -> tuple[list[str], dict[str, str]]:
    rows = state.pending if pending else state.parties
    lines = [
        t(
            "contract.party_members",
            name=party.name,
            members=formatting.items([f"<@{u}>" for u in users], t.lang) or "—",
        )
        for party, users in rows
    ]
    ids = [u for _, users in rows for u in users]
    return lines, people(session, tenant, partnership, ids)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def confirm_buttons(t: Translator, state: ContractState) -> list[Button]:
    contract = state.contract
    return [
        Button(
            # Slack cuts button text at 75 characters, Discord at 80.
            t("contract.confirm_button", party=_short(party.name, BUTTON_NAME_MAX)),
            CONFIRM_ACTION,
            f"{contract.id}:{party.id}:{contract.revision}",
            ButtonStyle.PRIMARY,
        )
        for party, _ in state.pending
    ]


def render_confirm(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply | None:
    found = _load(session, rows[0])
    if found is None:
        return None
    contract, partnership = found
    if contract.status != AWAITING:
        return None
    tenant = Tenant(contract.platform, contract.team_id)
    state = load_state(session, tenant, partnership, contract)
    if not state.pending:
        return None
    t = Translator(ctx.lang)
    items, names = _representatives(session, tenant, partnership, state, t, pending=True)
    return Reply(
        title=t("contract.reminder.confirm_title"),
        text=t("contract.reminder.confirm_text"),
        items=items,
        buttons=confirm_buttons(t, state),
        footer=t("contract.reminder.confirm_footer"),
        mentions=names,
    )


def render_renewal(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply | None:
    row = rows[0]
    found = _load(session, row)
    if found is None:
        return None
    contract, partnership = found
    if (
        contract.status == ENDED
        or contract.end_date is None
        or contract.end_date.isoformat() != row.payload.get("end_date")
    ):
        return None  # ended or moved since: the new date has its own rows
    tenant = Tenant(contract.platform, contract.team_id)
    state = load_state(session, tenant, partnership, contract)
    t = Translator(ctx.lang)
    items, names = _representatives(session, tenant, partnership, state, t, pending=False)
    when = contract.end_date.strftime(t("format.date"))
    return Reply(
        title=t("contract.reminder.renewal_title", days=row.payload.get("days"), date=when),
        text=t("contract.reminder.renewal_text", date=when),
        items=items,
        footer=t("contract.reminder.renewal_footer"),
        mentions=names,
    )
