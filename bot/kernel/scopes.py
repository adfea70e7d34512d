"""Where data lives: when an operator command finds nothing in the scope it was
given (`--platform`, `--team`, `--channel`), it says which scopes do hold some,
rather than printing an empty file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from bot.kernel.i18n import Translator

MAX_SHOWN = 10


def held(session: Session, model: Any, *, channel: Any = None, join: Any = None) -> list[str]:
    """'slack/T0ACME', or 'slack/T0ACME #C0LAUNCH' with `channel`: scopes holding rows of
    `model` (at most `MAX_SHOWN`, sorted). `join` is (model, on) when the channel is elsewhere."""
    columns = [model.platform, model.team_id] + ([channel] if channel is not None else [])
    query = select(*columns).distinct()
    if join is not None:
        query = query.join(*join)
    rows = session.execute(query.order_by(*columns).limit(MAX_SHOWN + 1)).all()
    found = [f"{r[0]}/{r[1]}" + (f" #{r[2]}" if channel is not None else "") for r in rows]
    return found[:MAX_SHOWN] + (["…"] if len(found) > MAX_SHOWN else [])


def nothing_here(t: Translator, what: str, scope: str, where: list[str]) -> str:
    """The operator's message for an empty scope, naming the scopes that hold `what`."""
    if not where:
        return t("core.edges.empty_everywhere", what=t(f"core.edges.what.{what}"), scope=scope)
    return t(
        "core.edges.empty_scope",
        what=t(f"core.edges.what.{what}"),
        scope=scope,
        where=", ".join(where),
    )
