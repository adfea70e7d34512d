"""What a handler gets: the session, who asked where, the time and the language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot import formatting
from bot.i18n import Translator
from bot.registry import Registry
from bot.types import Tenant, User
from storage.models import Channel, Partnership, Team


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
