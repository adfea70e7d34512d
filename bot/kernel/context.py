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
from storage.models import Channel, Partnership, Party, Team


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

    @property
    def shared_channel_id(self) -> str:
        """The partnership's shared channel: where posts for all partners go."""
        return self.partnership.channel_id

    @property
    def target_channel(self) -> str | None:
        """`Reply.target_channel` for posts to all partners, None when it is here."""
        shared = self.shared_channel_id
        return None if shared == self.channel.channel_id else shared

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def format_datetime(self, when: datetime) -> str:
        return formatting.moment(self.local(when), self.lang)

    def format_date(self, when: datetime) -> str:
        return formatting.day(self.local(when).date(), self.lang)
