"""Slack's OAuth tables: slack_sdk's own SQLAlchemy installation and state stores.

The stores (`SQLAlchemyInstallationStore`, `SQLAlchemyOAuthStateStore`) own these
tables; they are declared here too, with the library's own column definitions,
so that the migration `0100` creates them and the metadata knows every table of
the database (Alembic autogenerate, the test truncation).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Column, DateTime, Integer, String, Table
from sqlmodel import SQLModel

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"

slack_installations: Table = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, INSTALLATIONS_TABLE
)
slack_bots: Table = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS_TABLE)
# Same columns as `SQLAlchemyOAuthStateStore.build_oauth_states_table`.
slack_oauth_states = Table(
    OAUTH_STATES_TABLE,
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
