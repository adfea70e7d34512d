"""Outbox rows and a renderer for the delivery tests."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.app import App
from bot.kernel.types import Reply
from storage.models import Notification

KIND = "test.ping"


def queue(
    app: App,
    key: str,
    *,
    due: datetime,
    platform: str = "console",
    channel: str = "C0LAUNCH",
    team: str = "T0ACME",
    series: str | None = None,
) -> None:
    payload: dict[str, object] = {"text": key}
    if series:
        payload["series"] = series
    with Session(app.engine) as session:
        session.add(
            Notification(
                platform=platform,
                team_id=team,
                channel_id=channel,
                kind=KIND,
                idempotency_key=key,
                payload=payload,
                due_at=due,
                created_at=due,
            )
        )
        session.commit()


def queue_many(app: App, rows: list[dict[str, object]]) -> None:
    with Session(app.engine) as session:
        for row in rows:
            session.add(Notification(kind=KIND, created_at=row["due_at"], **row))  # type: ignore[arg-type]
        session.commit()


def register(app: App) -> None:
    def render(session: Session, rows: list[Notification], ctx: object) -> Reply:
        return Reply(text=" / ".join(str(r.payload["text"]) for r in rows))

    app.registry.add_renderer(KIND, render)


def rows(app: App) -> list[Notification]:
    with Session(app.engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]
