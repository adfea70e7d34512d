"""`/contract`: the partnership's agreement, written down and confirmed by each company.

Accord is not a lawyer: it makes sure the key terms are written, seen by every
partner in the shared channel, and confirmed by each company ("we understood
the same thing"). Status: draft → awaiting confirmation → confirmed by all
parties → signed → ended. A change after a confirmation resets that term's
confirmations and is logged as a decision, in the same transaction.
"""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.contract import reminders
from bot.contract import roles as contract_roles
from bot.contract.export import FORMATS, MIME, build_document, cmd_export_contract, render
from bot.contract.links import linked_lines, linked_section
from bot.contract.terms import (
    DEFAULTS,
    SIGNATURE,
    ContractState,
    TermDef,
    checklist,
    confirm_party,
    find_contract,
    load_state,
    resolve,
    template_rows,
    term_key,
)
from bot.decisions import announce, record_decision
from bot.kernel import formatting
from bot.kernel.cli_args import app_command
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.parsing import fold, in_item_range, split_first
from bot.kernel.permissions import Permission, require
from bot.kernel.places import every_place, said
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.types import Attachment, Reply, Visibility
from bot.kernel.words import Words
from storage.models import Contract, ContractTemplateTerm, ContractTerm, Party
from storage.models.contract import AWAITING, CONFIRMED, DRAFT, ENDED, SIGNED
from storage.upsert import get_or_create

TERM_MAX_CHARS = 1500
# What a term's text may show of itself in the decision that logs its change.
DECISION_EXCERPT = 600
# `Reply.mirror` kind of the recap: drawn again for each other place of the partnership.
RECAP_MIRROR = "contract.recap"
LABEL_MAX_CHARS = 200
_LINK_RE = re.compile(r"^<?(https?://\S+?)(?:\|[^>]*)?>?$")

# The words of /contract in both languages (French first: the form French help shows).
SUBCOMMANDS = Words(
    {
        "show": ("voir", "afficher", "statut"),
        "set": ("définir", "remplir", "écrire"),
        "recap": ("récap", "récapitulatif", "résumé"),
        "confirm": ("confirmer", "valider"),
        "sign": ("signer", "signé"),
        "end": ("fin", "terminer", "clôturer"),
        "date": ("échéance", "renouvellement", "date"),
        "template": ("modèle", "gabarit"),
        "export": ("exporter",),
    },
    extra={
        "show": ("", "status", "checklist"),
        "set": ("fill",),
        "recap": ("summary",),
        "confirm": ("ok",),
        "sign": ("signed",),
        "end": ("close",),
        "date": ("renewal", "end-date", "until"),
    },
)


# `/contract modèle ajouter|retirer|réinitialiser`, `/contract échéance aucune`.
TEMPLATE_WORDS = Words(
    {
        "show": ("voir", "liste"),
        "add": ("ajouter",),
        "remove": ("retirer", "supprimer"),
        "reset": ("réinitialiser", "défaut"),
        "off": ("aucune", "aucun"),
    },
    extra={"show": ("", "list"), "remove": ("delete",), "reset": ("default",), "off": ("none",)},
)

# What each subcommand needs besides reading (`confirm` checks it for the company).
_NEEDS: dict[str, Permission] = {
    "set": Permission.DRAFT_CONTRACT,
    "recap": Permission.DRAFT_CONTRACT,
    "date": Permission.DRAFT_CONTRACT,
    "sign": Permission.SIGN_CONTRACT,
    "end": Permission.END_CONTRACT,
}


TERM_MIRROR = "contract.term"


def register(registry: Registry) -> None:
    registry.add_mirror_renderer(RECAP_MIRROR, draw_recap_for_place)
    registry.add_mirror_renderer(TERM_MIRROR, draw_term_for_place)
    registry.add_command(
        CommandSpec(
            name="contract",
            handler=contract,
            summary_key="contract.summary",
            usage_key="contract.usage",
            words=(SUBCOMMANDS, TEMPLATE_WORDS),
        )
    )
    registry.add_action(reminders.CONFIRM_ACTION, confirm_button)
    registry.representation_lost.append(contract_roles.withdraw_confirmations)
    reminders.register(registry)


def contract(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    sub = fold(sub)
    handlers = {
        "show": lambda: show(ctx),
        "set": lambda: set_term(ctx, rest),
        "recap": lambda: recap(ctx),
        "confirm": lambda: confirm(ctx),
        "sign": lambda: sign(ctx, rest),
        "end": lambda: end(ctx, rest),
        "date": lambda: set_end_date(ctx, rest),
        "template": lambda: template(ctx, rest),
        "export": lambda: export(ctx, rest),
    }
    name = SUBCOMMANDS.resolve(sub)
    if name is not None:
        if (needed := _NEEDS.get(name)) is not None:
            require(ctx, needed)
        return handlers[name]()
    raise UserError("contract.errors.unknown_subcommand", sub=sub)


# -- loading ----------------------------------------------------------------------


def ensure_contract(ctx: Ctx, *, lock: bool = True) -> tuple[Contract, bool]:
    existing = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=lock)
    if existing is not None:
        return existing, False
    row = get_or_create(
        ctx.session,
        Contract,
        {
            "platform": ctx.tenant.platform,
            "team_id": ctx.tenant.team_id,
            "partnership_id": ctx.partnership.id,
        },
        {"created_by": ctx.user.id, "created_at": ctx.now, "updated_at": ctx.now},
    )
    return row, True


def state_of(ctx: Ctx, contract_row: Contract) -> ContractState:
    return load_state(ctx.session, ctx.tenant, ctx.partnership, contract_row)


def _require_open(ctx: Ctx, contract_row: Contract) -> None:
    if contract_row.status in (SIGNED, ENDED):
        raise UserError("contract.errors.locked", status=_status(ctx, contract_row.status))


def complete_state(ctx: Ctx, contract_row: Contract) -> ContractState:
    """The state of a contract whose every term must be written (recap, confirm)."""
    state = state_of(ctx, contract_row)
    if state.missing:
        raise UserError(
            "contract.errors.recap_missing",
            terms=", ".join(f"{d.title(ctx.t)} (`{d.word(ctx.lang)}`)" for d in state.missing),
        )
    return state


def _status(ctx: Ctx, status: str) -> str:
    return ctx.t(f"contract.status.{status}")


def _shared(ctx: Ctx, reply: Reply) -> list[Reply]:
    """A post for every partner, and a note to the author when it went elsewhere.

    Every place of the partnership gets it: the recap drawn again in the place's
    language (`draw_recap_for_place`), the other posts as they were written.
    """
    reply.target_channel = ctx.target_channel
    reply.mirror = reply.mirror or every_place()
    replies = [reply]
    if reply.target_channel:
        replies.append(
            Reply(
                text=ctx.t("contract.posted_elsewhere", channel=f"<#{reply.target_channel}>"),
                visibility=Visibility.EPHEMERAL,
            )
        )
    return replies


def move_status(session: Session, state: ContractState, now: datetime) -> str | None:
    """Set the status the confirmations call for; return it when it changed."""
    contract_row = state.contract
    status = state.automatic_status()
    if status is None or status == contract_row.status:
        return None
    contract_row.status = status
    contract_row.updated_at = now
    session.add(contract_row)
    if status == CONFIRMED:
        reminders.cancel(session, contract_row, reminders.KIND_CONFIRM)
    return status


def settle(ctx: Ctx, state: ContractState) -> list[Reply]:
    """Move the status as the confirmations say; announce when all parties confirmed."""
    if move_status(ctx.session, state, ctx.now) != CONFIRMED:
        return []
    params = {
        "parties": ", ".join(p.name for p, _ in state.parties),
        "revision": state.contract.revision,
    }
    replies = _shared(
        ctx,
        Reply(
            title=ctx.t("contract.all_confirmed_title"),
            text=ctx.t("contract.all_confirmed", **params),
            footer=ctx.t("contract.next.confirmed"),
        ),
    )
    replies[0].mirror = said(
        title=("contract.all_confirmed_title", {}),
        text=("contract.all_confirmed", params),
        footer=("contract.next.confirmed", {}),
    )
    return replies


# -- /contract ----------------------------------------------------------------------


def show(ctx: Ctx) -> list[Reply]:
    contract_row, created = ensure_contract(ctx)
    state = state_of(ctx, contract_row)
    # Companies join or the checklist changes between commands: the status follows.
    moved = settle(ctx, state)
    t = ctx.t
    items = [_checklist_item(ctx, state, d) for d in state.checklist]
    sections = [_parties_line(ctx, state)]
    if contract_row.end_date:
        day = contract_row.end_date.strftime(t("format.date"))
        sections.append(t("contract.end_date_line", date=day))
    return [
        Reply(
            title=t("contract.title", status=_status(ctx, contract_row.status)),
            text=t("contract.started") if created else "",
            sections=sections,
            items=items,
            footer=_next_step(ctx, state),
            visibility=Visibility.EPHEMERAL,
        ),
        *moved,
    ]


def _checklist_item(ctx: Ctx, state: ContractState, definition: TermDef) -> str:
    t = ctx.t
    title = definition.title(t)
    if definition.key == SIGNATURE:
        link = state.contract.signed_link
        if link:
            return t("contract.item_filled", title=title, text=link, confirmations="")
        return t("contract.item_signature_missing", title=title)
    term = state.terms.get(definition.key)
    if term is None:
        return t("contract.item_missing", title=title, name=definition.key)
    confirmations = ""
    if state.contract.status != DRAFT and state.parties:
        done = [p.name for p in state.parties_confirming(definition.key)]
        todo = [p.name for p, _ in state.parties if p.name not in done]
        parts = []
        if done:
            parts.append(t("contract.item_confirmed_by", parties=", ".join(done)))
        if todo:
            parts.append(t("contract.item_awaiting", parties=", ".join(todo)))
        confirmations = " — " + " · ".join(parts)
    text = term.text if len(term.text) <= 300 else term.text[:299] + "…"
    linked = linked_lines(ctx, definition.key)
    if linked:
        text += " " + t("contract.linked.count", count=len(linked))
    return t("contract.item_filled", title=title, text=text, confirmations=confirmations)


def _parties_line(ctx: Ctx, state: ContractState) -> str:
    if not state.parties:
        return ctx.t("contract.no_parties")
    names = [
        ctx.t(
            "contract.party_members",
            name=party.name,
            members=formatting.items([f"<@{u}>" for u in users], ctx.lang) or "—",
        )
        for party, users in state.parties
    ]
    return ctx.t("contract.parties_line", parties="; ".join(names))


def _next_step(ctx: Ctx, state: ContractState) -> str:
    contract_row = state.contract
    if contract_row.status == DRAFT:
        if state.missing:
            return ctx.t("contract.next.missing", count=len(state.missing))
        return ctx.t("contract.next.recap")
    if contract_row.status == ENDED and contract_row.ended_at:
        return ctx.t("contract.next.ended", date=ctx.format_date(contract_row.ended_at))
    return ctx.t(f"contract.next.{contract_row.status}")


# -- /contract set ----------------------------------------------------------------------


def set_term(ctx: Ctx, rest: str) -> list[Reply]:
    raw_key, text = split_first(rest)
    contract_row, _ = ensure_contract(ctx)
    _require_open(ctx, contract_row)
    state = state_of(ctx, contract_row)
    if not raw_key:
        raise UserError("contract.errors.set_usage", terms=_keys(state.checklist, ctx.lang))
    definition = resolve(state.checklist, raw_key)
    if definition is None:
        terms = _keys(state.checklist, ctx.lang)
        raise UserError("contract.errors.unknown_term", term=raw_key, terms=terms)
    if definition.key == SIGNATURE:
        raise UserError("contract.errors.use_sign")
    text = text.strip()
    if not text:
        raise UserError("contract.errors.term_empty", name=definition.key)
    if len(text) > TERM_MAX_CHARS:
        raise UserError("contract.errors.term_too_long", limit=TERM_MAX_CHARS, length=len(text))
    term = state.terms.get(definition.key)
    if term is not None and term.text == text:
        return [Reply(text=ctx.t("contract.unchanged"), visibility=Visibility.EPHEMERAL)]
    reset = state.parties_confirming(definition.key)
    if term is None:
        term = ContractTerm(
            platform=ctx.tenant.platform,
            team_id=ctx.tenant.team_id,
            contract_id=contract_row.id,  # type: ignore[arg-type]
            key=definition.key,
            text=text,
            updated_by=ctx.user.id,
            updated_at=ctx.now,
        )
    else:
        term.text, term.revision = text, term.revision + 1
        term.updated_by, term.updated_at = ctx.user.id, ctx.now
    ctx.session.add(term)
    contract_row.revision += 1
    contract_row.updated_at = ctx.now
    ctx.session.add(contract_row)
    ctx.session.flush()

    post = term_post(ctx, definition, text, ctx.user.id, [p.name for p in reset])
    replies = _shared(ctx, post)
    post.mirror = {
        "kind": TERM_MIRROR,
        "key": definition.key,
        "text": text,
        "user": ctx.user.id,
        "reset": [p.name for p in reset],
    }
    if reset:
        excerpt = text if len(text) <= DECISION_EXCERPT else text[: DECISION_EXCERPT - 1] + "…"
        decision = record_decision(
            ctx,
            ctx.t(
                "contract.decision_text",
                title=definition.title(ctx.t),
                text=excerpt,
                parties=", ".join(p.name for p in reset),
            ),
            source="contract.term",
        )
        replies += announce(ctx, decision)
    replies += settle(ctx, state_of(ctx, contract_row))
    return replies


def _keys(terms: list[TermDef], lang: str = "en") -> str:
    return ", ".join(d.word(lang) for d in terms if d.key != SIGNATURE)


# -- /contract recap and confirm -------------------------------------------------------------


def recap(ctx: Ctx) -> list[Reply]:
    contract_row, _ = ensure_contract(ctx)
    _require_open(ctx, contract_row)
    state = complete_state(ctx, contract_row)
    if len(state.parties) < 2:
        raise UserError("contract.errors.need_two_parties")
    contract_row.recap_count += 1
    contract_row.recap_at = ctx.now
    contract_row.updated_at = ctx.now
    if not state.all_confirmed:
        # A recap of an agreement already confirmed by all is a reminder of it,
        # not a new round of confirmations.
        contract_row.status = AWAITING
        reminders.start_confirm_pings(ctx.session, contract_row, ctx.shared_channel_id, ctx.now)
    ctx.session.add(contract_row)
    ctx.session.flush()
    replies = _shared(ctx, recap_card(ctx, state))
    # Each place draws the recap, and its confirm buttons, in its own language.
    replies[0].mirror = {"kind": RECAP_MIRROR}
    return replies


def term_post(ctx: Ctx, definition: TermDef, text: str, user_id: str, reset: list[str]) -> Reply:
    """A term written or changed: posted for all partners, drawn again for each place."""
    post = Reply(
        title=ctx.t("contract.term_set_title", title=definition.title(ctx.t)),
        text=text,
        footer=ctx.t("contract.term_set_footer", user=f"<@{user_id}>", name=definition.key),
    )
    if reset:
        post.sections.append(ctx.t("contract.reset_notice", parties=", ".join(reset)))
    return post


def draw_term_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=False)
    if contract_row is None:
        return None
    checklist = state_of(ctx, contract_row).checklist
    definition = next((d for d in checklist if d.key == spec["key"]), None)
    if definition is None:
        return None
    return term_post(ctx, definition, str(spec["text"]), str(spec["user"]), list(spec["reset"]))


def draw_recap_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    """The recap as it stands when it reaches another place of the partnership."""
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=False)
    if contract_row is None:
        return None
    return recap_card(ctx, state_of(ctx, contract_row))


def recap_card(ctx: Ctx, state: ContractState) -> Reply:
    t = ctx.t
    sections = [
        "\n".join(
            part
            for part in (
                f"*{d.title(t)}*",
                state.terms[d.key].text,
                linked_section(ctx, d.key),
            )
            if part
        )
        for d in state.confirmable
        if d.key in state.terms
    ]
    items = []
    for party, users in state.parties:
        members = ", ".join(f"<@{u}>" for u in users) or "—"
        last = state.last_confirmation(party.id)
        if state.party_done(party.id) and last is not None:
            items.append(
                t(
                    "contract.recap_party_done",
                    party=party.name,
                    members=members,
                    user=f"<@{last.user_id}>",
                    when=ctx.format_datetime(last.confirmed_at),
                )
            )
        else:
            items.append(t("contract.recap_party_todo", party=party.name, members=members))
    return Reply(
        title=t("contract.recap_title", revision=state.contract.revision),
        text=t("contract.recap_intro"),
        sections=sections,
        items=items,
        buttons=reminders.confirm_buttons(t, state),
        footer=t("contract.recap_footer"),
    )


def confirm(ctx: Ctx) -> list[Reply]:
    party = _own_party(ctx)
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is None:
        raise UserError("contract.errors.no_recap")
    return _confirm(ctx, contract_row, party)


def confirm_button(ctx: Ctx, value: str) -> list[Reply]:
    """The recap's button: `<contract id>:<party id>:<contract revision>`."""
    try:
        contract_id, party_id, revision = (int(x) for x in value.split(":"))
    except ValueError as exc:
        raise UserError("errors.unknown_action") from exc
    if not all(in_item_range(x) for x in (contract_id, party_id, revision)):
        raise UserError("errors.unknown_action")  # no row has it: a forged or broken button
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is None or contract_row.id != contract_id:
        raise UserError("errors.unknown_action")
    party = _own_party(ctx)
    if party.id != party_id:
        other = ctx.session.get(Party, party_id)
        raise UserError(
            "contract.errors.other_party",
            yours=party.name,
            theirs=other.name if other and other.partnership_id == ctx.partnership.id else "?",
        )
    if revision != contract_row.revision:
        raise UserError("contract.errors.stale_recap")
    replies = _confirm(ctx, contract_row, party)
    # The pressed message becomes the recap as it stands: ticks, and only the
    # buttons of the companies still to confirm.
    card = recap_card(ctx, state_of(ctx, contract_row))
    card.replace_original = True
    return [card, *replies]


def _own_party(ctx: Ctx) -> Party:
    """The company the user represents: only its representatives confirm for it."""
    party = require(ctx, Permission.CONFIRM_CONTRACT).company
    if party is None:
        raise UserError("contract.errors.not_in_party", user=ctx.user.display)
    return party


def _confirm(ctx: Ctx, contract_row: Contract, party: Party) -> list[Reply]:
    if contract_row.status == DRAFT:
        raise UserError("contract.errors.no_recap")
    _require_open(ctx, contract_row)
    state = complete_state(ctx, contract_row)
    added = confirm_party(ctx.session, state, party, ctx.user.id, ctx.now)
    if not added:
        return [
            Reply(
                text=ctx.t("contract.already_confirmed", party=party.name),
                visibility=Visibility.EPHEMERAL,
            )
        ]
    pending = [p.name for p, _ in state.pending]
    said_text = {
        "user": f"<@{ctx.user.id}>",
        "party": party.name,
        "revision": contract_row.revision,
    }
    still = {"parties": ", ".join(pending)}
    post = Reply(
        title=ctx.t("contract.confirmed_title", party=party.name),
        text=ctx.t("contract.confirmed_text", **said_text),
        footer=ctx.t("contract.still_pending", **still) if pending else None,
    )
    replies = _shared(ctx, post)
    post.mirror = said(
        title=("contract.confirmed_title", {"party": party.name}),
        text=("contract.confirmed_text", said_text),
        footer=("contract.still_pending", still) if pending else None,
    )
    return replies + settle(ctx, state)


# -- signature, end, dates -----------------------------------------------------------------


def sign(ctx: Ctx, rest: str) -> list[Reply]:
    contract_row, _ = ensure_contract(ctx)
    if not rest.strip():
        raise UserError("contract.edges.link_missing")
    match = _LINK_RE.match(rest.strip())
    if match is None or len(match.group(1)) > 500:
        raise UserError("contract.errors.bad_link", link=rest.strip() or "—")
    if contract_row.status == ENDED:
        raise UserError("contract.errors.locked", status=_status(ctx, ENDED))
    move_status(ctx.session, state_of(ctx, contract_row), ctx.now)
    if contract_row.status not in (CONFIRMED, SIGNED):
        raise UserError("contract.errors.not_confirmed", status=_status(ctx, contract_row.status))
    link = match.group(1)
    decision = contract_roles.record(ctx, "contract.roles.decision_signed", link=link)
    contract_row.status = SIGNED
    contract_row.signed_link = link
    contract_row.signed_by = ctx.user.id
    contract_row.signed_at = ctx.now
    contract_row.updated_at = ctx.now
    ctx.session.add(contract_row)
    signed = {"user": f"<@{ctx.user.id}>", "link": link}
    logged = {"number": decision.number}
    post = Reply(
        title=ctx.t("contract.signed_title"),
        text=ctx.t("contract.signed_text", **signed),
        sections=[ctx.t("contract.roles.logged_as", **logged)],
        footer=ctx.t("contract.next.signed"),
        mirror=said(
            title=("contract.signed_title", {}),
            text=("contract.signed_text", signed),
            sections=[("contract.roles.logged_as", logged)],
            footer=("contract.next.signed", {}),
        ),
    )
    return _shared(ctx, post)


def end(ctx: Ctx, rest: str) -> list[Reply]:
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is None:
        raise UserError("contract.errors.no_contract")
    if contract_row.status == ENDED:
        raise UserError("contract.errors.locked", status=_status(ctx, ENDED))
    reason = contract_roles.reason(rest)
    if not reason:
        raise UserError("contract.roles.errors.end_needs_reason")
    decision = contract_roles.record(ctx, "contract.roles.decision_ended", reason=reason)
    contract_row.status = ENDED
    contract_row.ended_by = ctx.user.id
    contract_row.ended_at = ctx.now
    contract_row.updated_at = ctx.now
    ctx.session.add(contract_row)
    reminders.cancel(ctx.session, contract_row, reminders.KIND_CONFIRM)
    reminders.cancel(ctx.session, contract_row, reminders.KIND_RENEWAL)
    who, why, logged = (
        {"user": f"<@{ctx.user.id}>"},
        {"reason": reason},
        {"number": decision.number},
    )
    post = Reply(
        title=ctx.t("contract.ended_title"),
        text=ctx.t("contract.ended_text", **who),
        sections=[
            ctx.t("contract.roles.reason", **why),
            ctx.t("contract.roles.logged_as", **logged),
        ],
        mirror=said(
            title=("contract.ended_title", {}),
            text=("contract.ended_text", who),
            sections=[("contract.roles.reason", why), ("contract.roles.logged_as", logged)],
        ),
    )
    return _shared(ctx, post)


def parse_day(raw: str) -> date | None:
    """'2027-03-01', '01/03/2027' (day first, as in French) -> a date."""
    raw = raw.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", raw)
    if match is None:
        return None
    day, month, year = (int(x) for x in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def set_end_date(ctx: Ctx, rest: str) -> list[Reply]:
    contract_row, _ = ensure_contract(ctx)
    if contract_row.status == ENDED:
        raise UserError("contract.errors.locked", status=_status(ctx, ENDED))
    if TEMPLATE_WORDS.means(rest, "off"):
        contract_row.end_date = None
        ctx.session.add(contract_row)
        reminders.schedule_renewal(
            ctx.session, contract_row, ctx.shared_channel_id, ctx.tz, ctx.now
        )
        return [Reply(text=ctx.t("contract.end_date_cleared"))]
    if not rest.strip():
        raise UserError("contract.edges.date_missing")
    day = parse_day(rest)
    if day is None:
        raise UserError("contract.errors.bad_date", date=rest.strip() or "—")
    if day <= ctx.local(ctx.now).date():
        raise UserError("contract.errors.past_date", date=day.isoformat())
    contract_row.end_date = day
    contract_row.updated_at = ctx.now
    ctx.session.add(contract_row)
    ctx.session.flush()
    planned = reminders.schedule_renewal(
        ctx.session, contract_row, ctx.shared_channel_id, ctx.tz, ctx.now
    )
    fmt = ctx.t("format.date")
    return _shared(
        ctx,
        Reply(
            text=ctx.t("contract.end_date_set", date=day.strftime(fmt)),
            footer=ctx.t(
                "contract.end_date_reminders", days=", ".join(d.strftime(fmt) for d in planned)
            )
            if planned
            else None,
        ),
    )


# -- /contract template -----------------------------------------------------------------------


def template(ctx: Ctx, rest: str) -> list[Reply]:
    """The partnership's own checklist: a change touches this partnership only."""
    sub, arg = split_first(rest)
    word = TEMPLATE_WORDS.resolve(sub)
    if word == "show":
        return _template_show(ctx)
    require(ctx, Permission.MANAGE_SETTINGS)  # the checklist is a setting
    if word == "add":
        return _template_add(ctx, arg)
    if word == "remove":
        return _template_remove(ctx, arg)
    if word == "reset":
        before = _template_open(ctx)
        for row in template_rows(ctx.session, ctx.tenant, ctx.partnership):
            ctx.session.delete(row)
        ctx.session.flush()
        replies = [Reply(text=ctx.t("contract.template_reset"))]
        return replies + _template_changed(ctx, before) + _template_show(ctx)
    raise UserError("contract.errors.template_usage")


def _template_open(ctx: Ctx) -> list[TermDef]:
    """The checklist before a change; a signed or ended agreement keeps its own."""
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is not None:
        _require_open(ctx, contract_row)
    return checklist(ctx.session, ctx.tenant, ctx.partnership)


def _template_show(ctx: Ctx) -> list[Reply]:
    items = []
    for d in checklist(ctx.session, ctx.tenant, ctx.partnership):
        also = ", ".join(d.aliases[:4])
        items.append(
            ctx.t("contract.template_item", name=d.word(ctx.lang), title=d.title(ctx.t))
            + (ctx.t("contract.template_aliases", aliases=also) if also else "")
        )
    return [
        Reply(
            title=ctx.t("contract.template_title"),
            items=items,
            footer=ctx.t("contract.template_footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def _materialize(ctx: Ctx) -> list[ContractTemplateTerm]:
    """The partnership's own rows, copied from the default checklist on the first edit."""
    rows = template_rows(ctx.session, ctx.tenant, ctx.partnership)
    if rows:
        return rows
    for position, key in enumerate(DEFAULTS):
        ctx.session.add(
            ContractTemplateTerm(
                platform=ctx.tenant.platform,
                team_id=ctx.tenant.team_id,
                partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
                key=key,
                position=position,
                created_at=ctx.now,
            )
        )
    ctx.session.flush()
    return template_rows(ctx.session, ctx.tenant, ctx.partnership)


def _template_add(ctx: Ctx, arg: str) -> list[Reply]:
    raw, label = split_first(arg)
    key = term_key(raw) if raw else None
    if key is None:
        raise UserError("contract.errors.template_usage")
    label = label.strip()
    if len(label) > LABEL_MAX_CHARS:
        raise UserError("contract.errors.label_too_long", limit=LABEL_MAX_CHARS)
    current = _template_open(ctx)
    if resolve(current, key) is not None:
        raise UserError("contract.errors.term_exists", name=key)
    default = DEFAULTS.get(key)
    rows = _materialize(ctx)
    ctx.session.add(
        ContractTemplateTerm(
            platform=ctx.tenant.platform,
            team_id=ctx.tenant.team_id,
            partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
            key=key,
            position=max((r.position for r in rows), default=-1) + 1,
            label=label or (None if default else raw.strip()),
            created_at=ctx.now,
        )
    )
    ctx.session.flush()
    replies = [Reply(text=ctx.t("contract.template_added", name=key))]
    return replies + _template_changed(ctx, current) + _template_show(ctx)


def _template_remove(ctx: Ctx, arg: str) -> list[Reply]:
    current = _template_open(ctx)
    definition = resolve(current, arg.strip()) if arg.strip() else None
    if definition is None:
        raise UserError(
            "contract.errors.unknown_term", term=arg.strip() or "—", terms=_keys(current, ctx.lang)
        )
    for row in _materialize(ctx):
        if row.key == definition.key:
            ctx.session.delete(row)
    ctx.session.flush()
    replies = [Reply(text=ctx.t("contract.template_removed", name=definition.key))]
    return replies + _template_changed(ctx, current) + _template_show(ctx)


def _template_changed(ctx: Ctx, before: list[TermDef]) -> list[Reply]:
    """A checklist change once companies confirm is a change of the agreement, like a
    term change: what it touches is reset, it is posted for every partner and logged
    as a decision of this partnership (and of no other)."""
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is None:
        return []
    state = state_of(ctx, contract_row)
    now_keys = {d.key for d in state.checklist}
    was_keys = {d.key for d in before}
    removed = [d for d in before if d.key not in now_keys]
    added = [d for d in state.checklist if d.key not in was_keys]
    if contract_row.status not in (AWAITING, CONFIRMED) or not (removed or added):
        return settle(ctx, state)
    # Who had confirmed something: they confirm the changed agreement again.
    reset = [p.name for p, _ in state.parties if state.confirmed.get(p.id or 0)]
    if removed:
        # A term taken out changes what the others were confirmed with: every
        # confirmation is reset (a removed term's too, should it come back).
        for term in state.terms.values():
            term.revision += 1
            ctx.session.add(term)
    contract_row.revision += 1
    contract_row.updated_at = ctx.now
    ctx.session.add(contract_row)
    ctx.session.flush()
    changes = [
        ctx.t("contract.template_change.removed", title=d.title(ctx.t), name=d.key) for d in removed
    ]
    changes += [
        ctx.t("contract.template_change.added", title=d.title(ctx.t), name=d.key) for d in added
    ]
    parties_text = ", ".join(reset) or "—"
    post = Reply(
        title=ctx.t("contract.template_change.title"),
        text="\n".join(changes),
        sections=[ctx.t("contract.template_change.reset", parties=parties_text)] if reset else [],
        footer=ctx.t("contract.template_change.footer", user=f"<@{ctx.user.id}>"),
    )
    replies = _shared(ctx, post)
    decision = record_decision(
        ctx,
        ctx.t(
            "contract.template_change.decision",
            changes="; ".join(changes),
            parties=parties_text,
            user=f"<@{ctx.user.id}>",
        ),
        source="contract.template",
    )
    replies += announce(ctx, decision)
    return replies + settle(ctx, state_of(ctx, contract_row))


# -- export ------------------------------------------------------------------------------------


def export(ctx: Ctx, rest: str) -> list[Reply]:
    fmt = (rest.split() or ["md"])[0].lower()
    if fmt not in FORMATS:
        raise UserError("contract.errors.bad_format", format=fmt, formats=", ".join(FORMATS))
    contract_row, _ = ensure_contract(ctx, lock=False)
    doc = build_document(
        ctx.session, ctx.tenant, ctx.partnership, contract_row, ctx.t, ctx.tz, ctx.now
    )
    content = render(doc, fmt, ctx.t, ctx.now)
    return [
        Reply(
            text=ctx.t("contract.export_ready", format=fmt),
            attachments=[Attachment(f"contract.{fmt}", content, mime=MIME[fmt])],
            visibility=Visibility.EPHEMERAL,
        )
    ]


# -- operator CLI ----------------------------------------------------------------------------


def add_cli(export_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`accord export contract --channel C --format md|pdf [--platform P --team T]`."""
    parser = export_subparsers.add_parser("contract", help="a partnership's contract recap")
    parser.add_argument("--platform", default="console", help="console, slack or discord")
    parser.add_argument("--team", default="local", help="workspace, guild or console team id")
    parser.add_argument("--channel", required=True, help="the partnership's shared channel")
    parser.add_argument("--format", choices=FORMATS, default="md")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--output", help="write to this file instead of stdout")
    app_command(parser, cmd_export_contract)
