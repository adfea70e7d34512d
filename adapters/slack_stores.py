"""slack_sdk's own SQLAlchemy installation and OAuth state stores, for bolt's AsyncApp.

The library's stores are synchronous (its async twins need an async engine,
which SQLite here has not); these thin wrappers run the very same stores off
the event loop so that a database round trip never blocks an ack.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import desc, select
from sqlalchemy.engine import Engine

from storage.models.slack import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

STATE_EXPIRATION_SECONDS = 600


def installation_store(client_id: str, engine: Engine) -> SQLAlchemyInstallationStore:
    """Tables come from migration 0100; never `create_tables()` at run time."""
    return SQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, table_name=OAUTH_STATES_TABLE
    )


def bot_token(store: SQLAlchemyInstallationStore, team_id: str) -> str | None:
    """The bot token of a workspace (`T…`) or of an org-wide install (`E…`).

    The store looks bots up by (enterprise, team); a tenant is only the team, so
    the enterprise of a workspace inside an Enterprise Grid is read first from
    the store's own table.
    """
    if team_id.startswith("E"):
        bot = store.find_bot(enterprise_id=team_id, team_id=None, is_enterprise_install=True)
        return bot.bot_token if bot else None
    c = store.bots.c
    with store.engine.connect() as conn:
        enterprise_id = conn.execute(
            select(c.enterprise_id)
            .where(c.client_id == store.client_id, c.team_id == team_id)
            .order_by(desc(c.installed_at))
            .limit(1)
        ).scalar()
    bot = store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
    return bot.bot_token if bot else None


class AsyncInstallationStoreAdapter(AsyncInstallationStore):
    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> Any:
        return self.store.logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        return await asyncio.to_thread(lambda: self.store.find_bot(**kwargs))

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        return await asyncio.to_thread(lambda: self.store.find_installation(**kwargs))

    async def async_delete_bot(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_bot(**kwargs))

    async def async_delete_installation(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_installation(**kwargs))

    async def async_delete_all(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_all(**kwargs))


class AsyncStateStoreAdapter(AsyncOAuthStateStore):
    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> Any:
        return self.store.logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)
