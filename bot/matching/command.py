"""`/match`, `/match profile` and `/partner`: partner suggestions in the chat.

Everything here answers only the person who asked (ephemeral): prospecting
for new partners is the team's business, not something to post in a channel
shared with a current partner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlmodel import Session, col, select

from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.limits import MATCH_MAX_CHARS, check_length
from bot.kernel.parsing import fold, split_first
from bot.kernel.permissions import Permission, require
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.types import Button, ButtonStyle, Reply, ReplyField, Tenant, Visibility
from bot.kernel.words import Words, option_aliases
from bot.matching import profiles as store
from bot.matching.directory import IndexCache, load_demo
from bot.matching.engine import Match, Note, Query, best_contact, rank
from bot.matching.profiles import Contact, Profile, ProfileError
from bot.matching.weights import Weights
from storage.models import PartnerProfile, Partnership

DEFAULT_TOP = 5
MAX_TOP = 20
DEMO_ACTION = "match.demo"

# Words users type for a profile field, in English and French.
FIELD_ALIASES = {
    "name": "name",
    "nom": "name",
    "description": "description",
    "desc": "description",
    "sector": "sectors",
    "sectors": "sectors",
    "secteur": "sectors",
    "secteurs": "sectors",
    "audience": "audience",
    "persona": "audience",
    "public": "audience",
    "geography": "geography",
    "geo": "geography",
    "géographie": "geography",
    "geographie": "geography",
    "channels": "channels",
    "canaux": "channels",
    "resources": "resources",
    "ressources": "resources",
    "needs": "needs",
    "besoins": "needs",
    "culture": "culture",
    "objectives": "objectives",
    "objectifs": "objectives",
    "website": "website",
    "site": "website",
    "contact": "contact",
}
PARTNER_OPTIONS = {
    "description": "str",
    "sector": "str",
    "sectors": "str",
    "audience": "str",
    "geo": "str",
    "geography": "str",
    "channels": "str",
    "resources": "str",
    "needs": "str",
    "culture": "str",
    "objectives": "str",
    "contact": "str",
    "role": "str",
    "email": "str",
    "website": "str",
}


# The words of /match and /partner in both languages (French first: what French help shows).
MATCH_WORDS = Words(
    {"profile": ("profil",), "show": ("voir", "afficher"), "set": ("modifier", "définir")},
    extra={"set": ("edit",)},
)
PARTNER_WORDS = Words(
    {"": ("",), "add": ("ajouter",), "show": ("voir", "afficher"), "list": ("liste",)}
)


def register(registry: Registry, *, weights: Weights | None = None) -> None:
    cache = IndexCache()
    chosen = weights or Weights()

    def match_handler(ctx: Ctx) -> list[Reply]:
        return match(ctx, cache, chosen)

    def demo_action(ctx: Ctx, value: str) -> list[Reply]:
        return load_demo_and_match(ctx, cache, chosen)

    registry.add_command(
        CommandSpec(
            name="match",
            handler=match_handler,
            summary_key="matching.summary.match",
            usage_key="matching.usage.match",
            options={"sector": "str", "geo": "str", "min-audience": "int", "top": "int"},
            option_aliases=option_aliases(
                {"sector": ("secteur",), "geo": ("zone",), "min-audience": ("audience-min",)}
            ),
            words=(MATCH_WORDS,),
        )
    )
    registry.add_command(
        CommandSpec(
            name="partner",
            handler=partner,
            summary_key="matching.summary.partner",
            usage_key="matching.usage.partner",
            options=PARTNER_OPTIONS,  # type: ignore[arg-type]
            option_aliases=option_aliases(
                {
                    "sector": ("secteur",),
                    "sectors": ("secteurs",),
                    "geography": ("zone", "géographie"),
                    "channels": ("canaux",),
                    "resources": ("ressources",),
                    "needs": ("besoins",),
                    "objectives": ("objectifs",),
                    "role": ("rôle", "fonction"),
                    "website": ("site",),
                }
            ),
            words=(PARTNER_WORDS,),
        )
    )
    registry.add_action(DEMO_ACTION, demo_action)
    registry.add_suggester("partner", "text", suggest_partners)


def suggest_partners(
    session: Session, tenant: Tenant, partnership: Partnership, current: str
) -> list[tuple[str, str | int]]:
    """`/partner show Ac…`: directory names that start with or contain what was typed."""
    head, _, rest = current.strip().partition(" ")
    if head.lower() not in ("show", "voir", "afficher"):
        return []
    typed = fold(rest)
    rows = session.exec(
        select(PartnerProfile.name)
        .where(
            PartnerProfile.platform == tenant.platform,
            PartnerProfile.team_id == tenant.team_id,
            PartnerProfile.is_own == False,  # noqa: E712  (SQL comparison)
            col(PartnerProfile.name_key).contains(typed),
        )
        .order_by(col(PartnerProfile.name_key))
        .limit(25)
    ).all()
    return [(f"{head} {name}"[:100], f"{head} {name}"[:100]) for name in rows]


def _private(reply: Reply) -> Reply:
    reply.visibility = Visibility.EPHEMERAL
    return reply


# -- /match -------------------------------------------------------------------


def match(ctx: Ctx, cache: IndexCache, weights: Weights) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    if MATCH_WORDS.means(sub, "profile"):
        return profile_command(ctx, rest)
    check_length(ctx.text, MATCH_MAX_CHARS, "limits.search_too_long")
    top = ctx.options.get("top", DEFAULT_TOP)
    assert isinstance(top, int)
    if not 1 <= top <= MAX_TOP:
        raise UserError("matching.errors.bad_top", top=top, max=MAX_TOP)
    index = cache.get(ctx.session, ctx.tenant)
    if index.size == 0:
        return [_empty_directory(ctx)]
    own_row = store.own_profile(ctx.session, ctx.tenant)
    own = store.to_profile(own_row) if own_row is not None else None
    if not ctx.text.strip() and (own is None or not _has_criteria(own)):
        raise UserError("matching.errors.no_profile")
    min_audience = ctx.options.get("min-audience")
    query = Query(
        own=own,
        words=ctx.text,
        sector=_opt(ctx, "sector"),
        geo=_opt(ctx, "geo"),
        min_audience=int(min_audience) if isinstance(min_audience, int) else None,
        top=top,
    )
    matches = rank(index, query, weights)
    return [results_reply(ctx, query, matches, index.size)]


def _has_criteria(own: Profile) -> bool:
    """Whether the own profile says anything a score can use (a name alone does not)."""
    return any(
        [
            own.description,
            own.audience,
            own.objectives,
            own.culture,
            own.channels,
            own.resources,
            own.needs,
        ]
    )


def _opt(ctx: Ctx, name: str) -> str | None:
    value = ctx.options.get(name)
    return str(value) if value else None


def _empty_directory(ctx: Ctx) -> Reply:
    return _private(
        Reply(
            title=ctx.t("matching.empty.title"),
            text=ctx.t("matching.empty.text"),
            buttons=[Button(ctx.t("matching.empty.button"), DEMO_ACTION, "", ButtonStyle.PRIMARY)],
            footer=ctx.t("matching.empty.footer"),
        )
    )


def load_demo_and_match(ctx: Ctx, cache: IndexCache, weights: Weights) -> list[Reply]:
    require(ctx, Permission.EDIT_DIRECTORY)
    count, own_set = load_demo(ctx.session, ctx.tenant, ctx.now)
    note = _private(
        Reply(
            text=ctx.t(
                "matching.demo.loaded_own" if own_set else "matching.demo.loaded", count=count
            )
        )
    )
    ctx.text, ctx.options = "", {}
    return [note, *match(ctx, cache, weights)]


def results_reply(ctx: Ctx, query: Query, matches: Sequence[Match], size: int) -> Reply:
    t = ctx.t
    if not matches:
        return _private(Reply(text=t("matching.results.none", size=size)))
    contacts = store.contacts_of(ctx.session, ctx.tenant, [m.id for m in matches])
    sections = [
        _match_section(ctx, rank_no, m, contacts.get(m.id, []), bool(query.words.strip()))
        for rank_no, m in enumerate(matches, 1)
    ]
    title = (
        t("matching.results.title_for", name=query.own.name, count=len(matches), size=size)
        if query.own is not None
        else t("matching.results.title", count=len(matches), size=size)
    )
    footer = [t("matching.results.footer")]
    if query.own is None:
        footer.append(t("matching.results.no_profile_hint"))
    return _private(Reply(title=title, sections=sections, footer="\n".join(footer)))


def _match_section(
    ctx: Ctx, number: int, m: Match, contacts: list[Contact], has_words: bool
) -> str:
    t = ctx.t
    lines = [t("matching.results.item", number=number, name=m.name, score=m.score)]

    def label(name: str) -> str:
        # Without free words, relevance compares our description with theirs.
        return t(
            "matching.part.description"
            if name == "relevance" and not has_words
            else f"matching.part.{name}"
        )

    parts = " · ".join(
        t("matching.results.part", part=label(name), points=round(points))
        for name, (_, points) in m.parts.items()
    )
    if parts:
        lines.append("   " + parts)
    for note in m.reasons:
        lines.append("   ✓ " + _note(ctx, note))
    for note in m.warnings:
        lines.append("   ⚠️ " + _note(ctx, note))
    contact = best_contact(contacts)
    if contact is not None:
        lines.append("   " + t("matching.results.contact", who=_contact_text(contact)))
    return "\n".join(lines)


def _contact_text(contact: Contact) -> str:
    text = ", ".join(x for x in (contact.name, contact.role) if x)
    return f"{text} <{contact.email}>" if contact.email else text


def _note(ctx: Ctx, note: Note) -> str:
    params: dict[str, object] = dict(note.params)
    if "tags" in params:
        params["tags"] = ", ".join(str(x) for x in params["tags"])  # type: ignore[attr-defined]
    if "channels" in params:
        params["channels"] = ", ".join(
            ctx.t(
                "matching.reason.channel_sizes",
                channel=c,
                theirs=_size(theirs, ctx.lang),
                ours=_size(ours, ctx.lang),
            )
            for c, theirs, ours in params["channels"]  # type: ignore[attr-defined]
        )
    if "criteria" in params:
        params["criteria"] = ", ".join(
            ctx.t(f"matching.criterion.{c}")
            for c in params["criteria"]  # type: ignore[attr-defined]
        )
    if "audience" in params:
        params["audience"] = _size(int(params["audience"]), ctx.lang)  # type: ignore[call-overload]
    return ctx.t(f"matching.{note.key}", **params)


def _size(value: int, lang: str) -> str:
    """12,000 -> '12K' / '12 k'; 2,500,000 -> '2.5M' / '2,5 M'; 0 -> '?'."""
    if value <= 0:
        return "?"
    return formatting.compact(value, lang)


# -- /match profile -------------------------------------------------------------


def profile_command(ctx: Ctx, text: str) -> list[Reply]:
    sub, rest = split_first(text)
    if sub == "" or MATCH_WORDS.means(sub, "show"):
        row = store.own_profile(ctx.session, ctx.tenant)
        if row is None:
            return [_private(Reply(text=ctx.t("matching.profile.none")))]
        contacts = store.contacts_of(ctx.session, ctx.tenant, [row.id or 0]).get(row.id or 0, [])
        card = profile_card(ctx, store.to_profile(row, contacts))
        card.title = ctx.t("matching.profile.title", name=row.name)
        card.footer = ctx.t("matching.profile.footer")
        return [card]
    if MATCH_WORDS.means(sub, "set"):
        return _profile_set(ctx, rest)
    raise UserError("matching.errors.unknown_profile_subcommand", sub=sub)


def _profile_set(ctx: Ctx, text: str) -> list[Reply]:
    require(ctx, Permission.EDIT_DIRECTORY)
    word, value = split_first(text)
    field_name = FIELD_ALIASES.get(word)
    if field_name is None:
        raise UserError("matching.errors.unknown_field", field=word or "?")
    row = store.own_profile(ctx.session, ctx.tenant)
    if row is None:
        current = Profile(name=ctx.t("matching.profile.default_name"))
    else:
        contacts = store.contacts_of(ctx.session, ctx.tenant, [row.id or 0]).get(row.id or 0, [])
        current = store.to_profile(row, contacts)
    data = store.to_mapping(current)
    if field_name == "contact":
        name, _, more = value.partition("|")
        role, _, email = more.partition("|")
        data["contacts"] = [{"name": name.strip(), "role": role.strip(), "email": email.strip()}]
    else:
        data[field_name] = value
    updated = _checked(ctx, data)
    store.store(ctx.session, ctx.tenant, [updated], ctx.now, source="chat", own=True)
    label = ctx.t(f"matching.field.{field_name}")
    reply = profile_card(ctx, updated)
    reply.title = ctx.t("matching.profile.updated", field=label, name=updated.name)
    return [reply]


def _checked(ctx: Ctx, data: dict[str, Any]) -> Profile:
    try:
        return store.profile_from_mapping(data)
    except ProfileError as err:
        raise UserError("matching.errors.invalid", reason=err.message(ctx.t)) from err


def profile_card(ctx: Ctx, p: Profile) -> Reply:
    t = ctx.t
    fields: list[ReplyField] = []

    def add(name: str, values: Sequence[str] | str | None) -> None:
        text = values if isinstance(values, str) else ", ".join(values or [])
        fields.append(ReplyField(t(f"matching.field.{name}"), text or t("matching.unknown")))

    add("sectors", p.sectors)
    add("audience", p.audience)
    add("geography", p.geography)
    add("channels", [f"{k} {_size(v, ctx.lang)}" for k, v in p.channels.items()])
    add("resources", p.resources)
    add("needs", p.needs)
    add("culture", p.culture)
    add("objectives", p.objectives)
    add("contact", [_contact_text(c) for c in p.contacts])
    if p.website:
        add("website", p.website)
    return _private(Reply(title=p.name, text=p.description, fields=fields))


# -- /partner -----------------------------------------------------------------


def partner(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    actions: dict[str, Callable[[Ctx, str], list[Reply]]] = {
        "add": _partner_add,
        "show": _partner_show,
        "list": _partner_list,
        "": _partner_list,
    }
    action = actions.get(PARTNER_WORDS.resolve(sub) or "?")
    if action is None:
        raise UserError("matching.errors.unknown_partner_subcommand", sub=sub)
    return action(ctx, rest)


_QUOTES = {'"': '"', "“": "”", "«": "»", "'": "'"}


def _unquoted(name: str) -> str:
    """'"Acme Media"' -> 'Acme Media': quotes group words, they are not part of the name."""
    name = name.strip()
    if len(name) >= 2 and name[0] in _QUOTES and name.endswith(_QUOTES[name[0]]):
        return name[1:-1].strip()
    return name


def _partner_add(ctx: Ctx, name: str) -> list[Reply]:
    require(ctx, Permission.EDIT_DIRECTORY)
    name = _unquoted(name)
    if not name.strip():
        raise UserError("matching.errors.partner_needs_name")
    found = store.find_profile(ctx.session, ctx.tenant, name)
    key = store.name_key(name)
    existing = next((r for r in found if r.name_key == key), None)
    own = store.own_profile(ctx.session, ctx.tenant)
    if own is not None and own.name_key == key:
        raise UserError(
            "matching.errors.invalid", reason=ProfileError("is_own_name", name=name).message(ctx.t)
        )
    current = Profile(name=name.strip())
    if existing is not None:
        contacts = store.contacts_of(ctx.session, ctx.tenant, [existing.id or 0])
        current = replace(
            store.to_profile(existing, contacts.get(existing.id or 0, [])), name=name.strip()
        )
    data = store.to_mapping(current)
    options = dict(ctx.options)
    for alias, field_name in (("sector", "sectors"), ("geo", "geography")):
        if alias in options:
            options[field_name] = options.pop(alias)
    contact_keys = {"contact": "name", "role": "role", "email": "email"}
    new_contact = {v: str(options.pop(k)) for k, v in contact_keys.items() if k in options}
    data.update({k: str(v) for k, v in options.items()})
    if new_contact:
        kept = [c for c in data["contacts"] if c["name"] != new_contact.get("name", "")]
        data["contacts"] = [new_contact, *kept]
    profile = _checked(ctx, data)
    store.store(ctx.session, ctx.tenant, [profile], ctx.now, source="chat")
    reply = profile_card(ctx, profile)
    reply.title = ctx.t(
        "matching.partner.updated" if existing is not None else "matching.partner.added",
        name=profile.name,
    )
    return [reply]


def _partner_show(ctx: Ctx, name: str) -> list[Reply]:
    name = _unquoted(name)
    if not name.strip():
        raise UserError("matching.errors.partner_needs_name")
    found = store.find_profile(ctx.session, ctx.tenant, name)
    if not found:
        raise UserError("matching.errors.partner_unknown", name=name)
    if len(found) > 1:
        return [
            _private(
                Reply(
                    text=ctx.t("matching.partner.which", name=name),
                    items=[row.name for row in found],
                )
            )
        ]
    row = found[0]
    contacts = store.contacts_of(ctx.session, ctx.tenant, [row.id or 0]).get(row.id or 0, [])
    card = profile_card(ctx, store.to_profile(row, contacts))
    best = best_contact(contacts)
    if best is not None:
        card.footer = ctx.t("matching.results.contact", who=_contact_text(best))
    return [card]


LIST_PAGE = 25


def _partner_list(ctx: Ctx, arg: str) -> list[Reply]:
    """`/partner list [page]`: the directory by name, a page at a time."""
    total = store.directory_size(ctx.session, ctx.tenant)
    if total == 0:
        return [_empty_directory(ctx)]
    pages = -(-total // LIST_PAGE)
    raw = arg.strip().lstrip("#") or "1"
    page = int(raw) if raw.isdigit() and len(raw) <= 6 else 0
    if not 1 <= page <= pages:
        raise UserError("matching.edges.bad_page", page=arg.strip(), pages=pages)
    rows = ctx.session.exec(
        select(PartnerProfile.name)
        .where(
            col(PartnerProfile.platform) == ctx.tenant.platform,
            col(PartnerProfile.team_id) == ctx.tenant.team_id,
            col(PartnerProfile.is_own).is_(False),
        )
        .order_by(col(PartnerProfile.name_key))
        .offset((page - 1) * LIST_PAGE)
        .limit(LIST_PAGE)
    ).all()
    footer = (
        ctx.t("matching.edges.list_page", page=page, pages=pages, next=page + 1)
        if page < pages
        else ctx.t("matching.edges.list_last_page", page=page, pages=pages)
    )
    return [
        _private(
            Reply(
                title=ctx.t("matching.partner.list_title", count=total),
                items=list(rows),
                footer=footer,
            )
        )
    ]
