"""The core: turns a neutral Command or Action into Replies, in one transaction.

Every delivery runs as one unit of work: the idempotency row, the tenant
bookkeeping and the handler's writes commit together or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.kernel import i18n, places
from bot.kernel import metrics as m
from bot.kernel.clock import Clock
from bot.kernel.context import Ctx, Limits
from bot.kernel.errors import UserError
from bot.kernel.help import command_help
from bot.kernel.limits import COMMAND_MAX_CHARS, check_length
from bot.kernel.parsing import parse_options
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.tenancy import existing_partnership, load_scope, remember_member
from bot.kernel.types import Action, Command, Outcome, Reply, Tenant, User, Visibility
from storage.models import ProcessedRequest
from storage.types import UTCDateTime

log = logging.getLogger(__name__)

HELP_WORDS = {"help", "aide", "?"}
SUGGESTIONS_MAX = 25  # Discord's limit, and plenty for a person to read

_RECEIPT_REPLIES = (
    update(ProcessedRequest)
    .where(ProcessedRequest.id == bindparam("receipt_id"))  # type: ignore[arg-type]
    .values(replies_json=bindparam("replies"))
)


@cache
def _receipt_insert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ProcessedRequest.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(
            platform=bindparam("r_platform"),
            team_id=bindparam("r_team_id"),
            idempotency_key=bindparam("r_key"),
            name=bindparam("r_name"),
            created_at=bindparam("r_created_at", type_=UTCDateTime()),
        )
        .on_conflict_do_nothing(index_elements=["platform", "team_id", "idempotency_key"])
        .returning(table.c.id)
    )


def _error(text: str, lang: str) -> Reply:
    return Reply(text=f"⚠️ {text}", visibility=Visibility.EPHEMERAL, is_error=True, lang=lang)


@dataclass(frozen=True, slots=True)
class CoreConfig:
    default_locale: str = "en"
    default_timezone: str = "UTC"
    limits: Limits = Limits()


class Core:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: Registry,
        clock: Clock,
        config: CoreConfig | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.registry = registry
        self.clock = clock
        self.config = config or CoreConfig()

    # -- entry points -------------------------------------------------------

    def handle(self, command: Command) -> Outcome:
        spec = self.registry.command(command.name)

        def run(ctx: Ctx) -> list[Reply]:
            if spec is None:
                raise UserError("errors.unknown_command", command=f"/{command.name}")
            # Before any parsing: a huge text must not cost anything (see bot/limits.py).
            check_length(command.text, COMMAND_MAX_CHARS)
            # `/accord help` is the general help, answered by /accord itself.
            if command.text.strip().lower() in HELP_WORDS and spec.name != "accord":
                return command_help(ctx, spec)
            text = command.text
            if ctx.place is not None:  # the record's view of the people mentioned
                text = places.qualify_text(text, ctx.origin)
            parsed = parse_options(text, spec.all_options())
            ctx.text = parsed.text
            ctx.options = {spec.option_aliases.get(k, k): v for k, v in parsed.options.items()}
            return spec.handler(ctx)

        return _counted(
            spec.name if spec is not None else "unknown",
            self._run(
                tenant=command.tenant,
                channel_id=command.channel_id,
                user=command.user,
                locale=command.locale,
                key=command.idempotency_key,
                name=command.name,
                spec=spec,
                prepare=lambda ctx: self._fill(ctx, command),
                work=run,
            ),
        )

    def handle_action(self, action: Action) -> Outcome:
        handler = self.registry.action(action.action_id)

        def run(ctx: Ctx) -> list[Reply]:
            if handler is None:
                raise UserError("errors.unknown_action")
            return handler(ctx, action.value)

        return _counted(
            "action",
            self._run(
                tenant=action.tenant,
                channel_id=action.channel_id,
                user=action.user,
                locale=action.locale,
                key=action.idempotency_key,
                name=f"action:{action.action_id}"[:64],
                spec=None,
                prepare=lambda ctx: None,
                work=run,
            ),
        )

    def suggest(
        self, tenant: Tenant, channel_id: str, command: str, option: str, current: str
    ) -> list[tuple[str, str | int]]:
        """Autocomplete: read-only, from the channel's partnership only; at most 25."""
        suggester = self.registry.suggesters.get((command, option))
        if suggester is None:
            return []
        with self.session_factory() as session:
            partnership = existing_partnership(session, tenant, channel_id)
            if partnership is None:
                return []
            # From a place of another workspace: the partnership's record is in its tenant.
            record = Tenant(partnership.platform, partnership.team_id)
            return suggester(session, record, partnership, current)[:SUGGESTIONS_MAX]

    # -- the unit of work ---------------------------------------------------

    def _run(
        self,
        *,
        tenant: Tenant,
        channel_id: str,
        user: User,
        locale: str | None,
        key: str | None,
        name: str,
        spec: CommandSpec | None,
        prepare: Callable[[Ctx], None],
        work: Callable[[Ctx], list[Reply]],
    ) -> Outcome:
        now = self.clock.now()
        session = self.session_factory()
        ctx: Ctx | None = None
        try:
            receipt_id = None
            if key:
                receipt_id = self._claim(session, tenant, key, name, now)
                if receipt_id is None:
                    session.rollback()
                    stored = self._stored(session, tenant, key)
                    if stored is not None:
                        return stored
                    raise RuntimeError("idempotency receipt vanished")  # pragma: no cover
            ctx = self._context(session, tenant, channel_id, user, locale, now)
            prepare(ctx)
            try:
                replies = work(ctx)
                if ctx.joined:  # announced and logged like any change of companies
                    for hook in self.registry.company_joined:
                        replies += hook(ctx, ctx.joined)
            except UserError as err:
                session.rollback()
                return Outcome([self._error_reply(ctx, err, spec)])
            for reply in replies:
                reply.mentions = {**self._mentions(ctx, reply), **reply.mentions}
                reply.lang = reply.lang or ctx.lang
            # Posts for all partners reach the other places through the outbox.
            places.mirror(ctx, replies)
            replies = [places.for_place(r, ctx.origin, ctx.tenant) for r in replies]
            if receipt_id is not None:
                session.execute(
                    _RECEIPT_REPLIES,
                    {
                        "receipt_id": receipt_id,
                        "replies": json.dumps(
                            [r.stored_json() for r in replies], ensure_ascii=False
                        ),
                    },
                )
            session.commit()
            return Outcome(replies)
        except IntegrityError:
            session.rollback()
            # Another instance handled the same delivery first: answer as it did.
            if key and (stored := self._stored(session, tenant, key)) is not None:
                return stored
            # Two people created the same thing at the same moment: nothing was saved.
            log.info("concurrent write conflict handling %s", name)
            t = ctx.t if ctx is not None else i18n.translator(locale or self.config.default_locale)
            return Outcome([_error(t("errors.conflict"), t.lang)])
        except Exception:
            session.rollback()
            log.exception("unexpected error handling %s", name)
            t = ctx.t if ctx is not None else i18n.translator(locale or self.config.default_locale)
            return Outcome([_error(t("errors.internal"), t.lang)])
        finally:
            session.close()

    def _stored(self, session: Session, tenant: Tenant, key: str) -> Outcome | None:
        row = session.exec(
            select(ProcessedRequest).where(
                ProcessedRequest.platform == tenant.platform,
                ProcessedRequest.team_id == tenant.team_id,
                ProcessedRequest.idempotency_key == key,
            )
        ).first()
        if row is None:
            return None
        replies = [Reply.from_json(r) for r in json.loads(row.replies_json or "[]")]
        for reply in replies:
            if reply.withheld_files:
                # Files are not kept for retries: say so rather than answer without them.
                t = i18n.translator(reply.lang or self.config.default_locale)
                files = ", ".join(reply.withheld_files)
                reply.sections.append(t("receipts.file_not_kept", files=files))
        return Outcome(replies, duplicate=True)

    def _claim(
        self, session: Session, tenant: Tenant, key: str, name: str, now: datetime
    ) -> int | None:
        """Insert the delivery's receipt first; None when it was handled already.

        On PostgreSQL a concurrent delivery of the same key blocks on the unique
        index until the first transaction ends, then finds nothing inserted and
        reads the first one's replies.
        """
        stmt = _receipt_insert(session.get_bind().dialect.name)
        params = {
            "r_platform": tenant.platform,
            "r_team_id": tenant.team_id,
            "r_key": key[:200],
            "r_name": name,
            "r_created_at": now,
        }
        return session.execute(stmt, params).scalar_one_or_none()

    def _context(
        self,
        session: Session,
        tenant: Tenant,
        channel_id: str,
        user: User,
        locale: str | None,
        now: datetime,
    ) -> Ctx:
        scope = load_scope(session, tenant, channel_id, user, now)
        team, channel, partnership = scope.team, scope.channel, scope.partnership
        origin = tenant
        if scope.place is not None:  # a place of another workspace: the record's view
            assert scope.tenant is not None and scope.user is not None
            tenant, user = scope.tenant, scope.user
        lang = (
            i18n.normalize_locale(channel.locale)
            or i18n.normalize_locale(locale)
            or i18n.normalize_locale(team.locale)
            or i18n.normalize_locale(self.config.default_locale)
            or i18n.DEFAULT
        )
        zone = self._zone(channel.timezone or team.timezone or self.config.default_timezone)
        return Ctx(
            session=session,
            tenant=tenant,
            user=user,
            team=team,
            channel=channel,
            partnership=partnership,
            now=now,
            lang=lang,
            t=i18n.Translator(lang, today=now.astimezone(zone).date()),
            tz=zone,
            registry=self.registry,
            limits=self.config.limits,
            joined=scope.joined,
            place=scope.place,
            origin_tenant=origin,
        )

    @staticmethod
    def _zone(name: str) -> ZoneInfo:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @staticmethod
    def _fill(ctx: Ctx, command: Command) -> None:
        ctx.source_link = command.source_link
        ctx.mentioned = command.mentioned
        if ctx.place is not None:
            # People mentioned in a place are people of that place, so of its company.
            ctx.mentioned = tuple(places.qualify_user(u, ctx.origin) for u in command.mentioned)
        for user in ctx.mentioned:
            if user.name:
                remember_member(
                    ctx.session, ctx.tenant, ctx.partnership, user, ctx.now, joined=ctx.joined
                )

    @staticmethod
    def _mentions(ctx: Ctx, reply: Reply) -> dict[str, str]:
        from bot.kernel.parsing import mentions
        from bot.kernel.tenancy import people

        text = "\n".join(
            [reply.title or "", reply.text, *reply.sections, *reply.items, reply.footer or ""]
            + [f.value for f in reply.fields]
        )
        ids = mentions(text)
        return people(ctx.session, ctx.tenant, ctx.partnership, ids) if ids else {}

    @staticmethod
    def _error_reply(ctx: Ctx, err: UserError, spec: CommandSpec | None) -> Reply:
        text = ctx.t(err.key, **err.params)
        footer = None
        if spec is not None and err.key.startswith("errors."):
            footer = ctx.t("errors.usage_hint", usage=ctx.t(spec.usage_key))
        return Reply(
            text=f"⚠️ {text}",
            footer=footer,
            visibility=Visibility.EPHEMERAL,
            is_error=True,
            lang=ctx.lang,
        )


def _counted(name: str, outcome: Outcome) -> Outcome:
    """Count the command by name and outcome for `GET /metrics`."""
    if outcome.duplicate:
        label = "duplicate"
    elif any(r.is_error for r in outcome.replies):
        label = "error"
    else:
        label = "ok"
    m.COMMANDS.labels(name[:32], label).inc()
    return outcome
