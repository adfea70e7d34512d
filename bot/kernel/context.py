"""What a handler gets: the session, who asked where, the time and the language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.kernel import formatting
from bot.kernel.i18n import Translator
from bot.kernel.registry import Registry
from bot.kernel.types import Tenant, User
from storage.models import Channel, Partnership, Party, Place, Team


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits users meet; documented in the README."""

    decision_max_chars: int = 2000
    list_size: int = 10
    search_size: int = 20


@dataclass(slots=True)
class Ctx:
    session: Session
    tenant: Tenant
    user: User
    team: Team
    channel: Channel
    partnership: Partnership
    now: datetime
    lang: str
    t: Translator
    tz: ZoneInfo
    registry: Registry
    limits: Limits
    text: str = ""
    options: dict[str, object] = field(default_factory=dict)
    source_link: str | None = None
    mentioned: tuple[User, ...] = ()
    # People who joined a company in this unit of work because the platform says their
    # workspace belongs to it (Slack Connect): the audit trail records it.
    joined: list[tuple[str, Party]] = field(default_factory=list)
    # Set when the command comes from a place of another workspace or platform than
    # the partnership's record (`tenant`): `origin` is that place's tenant, `user` and
    # mentions are qualified (bot/kernel/places.py). Otherwise `origin` is `tenant`.
    place: Place | None = None
    origin_tenant: Tenant | None = None

    @property
    def origin(self) -> Tenant:
        """The workspace or guild the command came from."""
        return self.origin_tenant or self.tenant

    @property
    def shared_channel_id(self) -> str:
        """The partnership's shared channel: where posts for all partners go."""
        return self.partnership.channel_id

    @property
    def target_channel(self) -> str | None:
        """`Reply.target_channel` for posts to all partners, None when it is here.

        A place of another workspace posts here: the mirror takes it to the others.
        """
        if self.place is not None:
            return None
        shared = self.shared_channel_id
        return None if shared == self.channel.channel_id else shared

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def format_datetime(self, when: datetime) -> str:
        return formatting.moment(self.local(when), self.lang)

    def format_date(self, when: datetime) -> str:
        return formatting.day(self.local(when).date(), self.lang)


def drawing_context(
    session: Session,
    registry: Registry,
    partnership: Partnership,
    channel: Channel,
    *,
    lang: str,
    timezone: str,
    now: datetime,
) -> Ctx:
    """A context to draw a post of `partnership` for one of its places, outside any command.

    The mirror uses it: the same card functions the commands use, in the place's
    language and zone. Nothing is written through it.
    """
    tz = ZoneInfo(timezone)
    tenant = Tenant(partnership.platform, partnership.team_id)
    return Ctx(
        session=session,
        tenant=tenant,
        user=User("accord", "Accord"),
        team=Team(platform=tenant.platform, team_id=tenant.team_id, created_at=now),
        channel=channel,
        partnership=partnership,
        now=now,
        lang=lang,
        t=Translator(lang, today=now.astimezone(tz).date()),
        tz=tz,
        registry=registry,
        limits=Limits(),
    )
