"""Drawing the posts mirrored to the other places of a partnership.

Two kinds of `mirror` rows reach the dispatcher (see bot/kernel/places.py):

- a post a command made for all partners (`payload.reply`): drawn again natively
  by the capability's mirror renderer when the post says how (`Reply.mirror`),
  else shown as it was written;
- a copy of a ping, digest or reminder planned for the partnership's own channel
  (`payload.parent`): drawn by that row's own renderer, in this place's language
  and zone, and moot when the original is (cancelled, done meanwhile).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from bot.kernel.context import drawing_context
from bot.kernel.i18n import Translator
from bot.kernel.places import COPY, MIRROR_KIND, SAID
from bot.kernel.registry import BATCH_INFO_KEY, Registry, RenderContext
from bot.kernel.types import Reply
from storage.models import Channel, Notification, Partnership
from storage.models.notifications import CANCELLED


def register(registry: Registry) -> None:
    def render(session: Session, rows: list[Notification], rc: RenderContext) -> Reply | None:
        return draw(session, rows, rc, registry)

    registry.add_renderer(MIRROR_KIND, render)


def draw(
    session: Session, rows: list[Notification], rc: RenderContext, registry: Registry
) -> Reply | None:
    first = rows[0]
    drawn = (
        _post(session, first, rc, registry)
        if "reply" in first.payload
        else _copy(session, rows, rc, registry)
    )
    if drawn is not None:
        # The row says where: this place. A copy kept its origin's target (the shared
        # channel of another workspace), which means nothing here.
        drawn.target_channel = None
    return drawn


def _post(session: Session, row: Notification, rc: RenderContext, registry: Registry) -> Reply:
    reply = Reply.from_json(str(row.payload["reply"]))
    spec: dict[str, Any] = reply.mirror or {}
    if spec.get("kind") == SAID:
        return _translated(reply, spec, rc.lang)
    renderer = registry.mirror_renderers.get(str(spec.get("kind", COPY)))
    if renderer is None:
        return reply
    partnerships, channels = _batch(session, row)
    partnership = partnerships.get(int(str(row.payload["partnership"])))
    if partnership is None:
        return reply
    channel = channels.get((row.platform, row.team_id, row.channel_id)) or Channel(
        platform=row.platform,
        team_id=row.team_id,
        channel_id=row.channel_id,
        created_at=row.created_at,
    )
    ctx = drawing_context(
        session,
        registry,
        partnership,
        channel,
        lang=rc.lang,
        timezone=rc.timezone,
        now=rc.now,  # type: ignore[arg-type]
    )
    drawn = renderer(ctx, spec)
    if drawn is None:
        return reply
    drawn.mentions = {**reply.mentions, **drawn.mentions}
    drawn.lang = rc.lang
    return drawn


_BATCH_KEY = "mirror.batch"
ChannelKey = tuple[str, str, str]


def _batch(
    session: Session, row: Notification
) -> tuple[dict[int, Partnership], dict[ChannelKey, Channel]]:
    """The partnerships and place channels of every mirror row of the batch, read once.

    The dispatcher puts its batch in `session.info`: two queries for the whole
    batch instead of two per copy.
    """
    cached = session.info.get(_BATCH_KEY)
    if cached is not None and row.id in cached[0]:
        return cached[1], cached[2]
    batch = [r for r in session.info.get(BATCH_INFO_KEY) or [] if r.kind == MIRROR_KIND]
    if row not in batch:
        batch = [row]
    ids = {int(str(r.payload["partnership"])) for r in batch}
    partnerships = {
        p.id: p
        for p in session.exec(select(Partnership).where(col(Partnership.id).in_(ids)))
        if p.id is not None
    }
    keys = list({(r.platform, r.team_id, r.channel_id) for r in batch})
    place = tuple_(col(Channel.platform), col(Channel.team_id), col(Channel.channel_id))
    channels = {
        (c.platform, c.team_id, c.channel_id): c
        for c in session.exec(select(Channel).where(place.in_(keys)))
    }
    session.info[_BATCH_KEY] = ({r.id for r in batch}, partnerships, channels)
    return partnerships, channels


def _translated(reply: Reply, spec: dict[str, Any], lang: str) -> Reply:
    """A post made of catalog messages, said again in this place's language."""
    t = Translator(lang)

    def say(part: str) -> str | None:
        if part not in spec:
            return None
        key, params = spec[part]
        return t(str(key), **dict(params))

    return Reply(
        title=say("title"),
        text=say("text") or "",
        sections=[t(str(key), **dict(params)) for key, params in spec.get("sections", [])],
        footer=say("footer"),
        mentions=reply.mentions,
        lang=lang,
    )


def _copy(
    session: Session, rows: list[Notification], rc: RenderContext, registry: Registry
) -> Reply | None:
    ids = [int(str(r.payload["parent"])) for r in rows]
    parents = list(
        session.exec(
            select(Notification)
            .where(col(Notification.id).in_(ids), col(Notification.status) != CANCELLED)
            .order_by(col(Notification.due_at), col(Notification.id))
        ).all()
    )
    if not parents:
        return None
    kind = parents[0].kind
    renderer = registry.renderers.get(kind)
    if renderer is None or kind == MIRROR_KIND:
        return None
    return renderer(session, [p for p in parents if p.kind == kind], rc)
