"""Two stateless instances behind a load balancer share one database: a duplicate records once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nacl.signing import SigningKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.kernel.config import Settings
from storage import db
from storage.models import Decision, ProcessedRequest
from tests.discord import payloads as p
from tests.discord.conftest import Endpoint
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_http_interactions import CODE_RE


def test_same_interaction_on_two_instances_records_and_posts_once(
    app: App, settings: Settings, engine: Engine, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    # A second process: its own engine and core on the same database.
    other_engine = db.make_engine(engine.url.render_as_string(hide_password=False))
    other = build_app(settings, clock=app.clock, migrate=False, engine=other_engine)
    given = p.slash("accord", "link", channel=p.SHARED)
    decide = p.slash("decide", "we launch on 3 March")
    link: dict[str, Any] = {}

    async def scenario() -> Any:
        async with (
            Endpoint(app, fake, signing_key) as one,
            Endpoint(other, fake, signing_key) as two,
        ):
            code = CODE_RE.search(json.dumps(await one.send(given)))
            assert code is not None
            link.update(p.slash("accord", f"link {code.group(0)}"))
            await one.send(link)
            await one.service.drain()
            answers = await asyncio.gather(one.send(decide), two.send(decide), two.send(decide))
            return list(answers)

    try:
        answers = asyncio.run(scenario())
    finally:
        other_engine.dispose()
    assert len({json.dumps(a, sort_keys=True) for a in answers}) == 1
    with Session(engine) as session:
        # The link's decision, then the decision delivered three times, recorded once.
        assert len(session.exec(select(Decision)).all()) == 2
        keys = session.exec(select(ProcessedRequest.idempotency_key)).all()
        assert sorted(keys) == sorted([given["id"], link["id"], decide["id"]])
    posts = fake.matching("POST", f"/channels/{p.SHARED}/messages")
    assert len(posts) == 2, [r.body for r in posts]
