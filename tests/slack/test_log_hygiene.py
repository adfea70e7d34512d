"""Secrets stay out of the logs at DEBUG: a signed Slack flow shows a KPI token."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.kernel import log_hygiene
from bot.kernel.config import Settings
from tests.slack.harness import BOT_TOKEN, SECRET, Finished, fixture, running


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, through a handler as `accord run` sets one up."""
    root = logging.getLogger()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    settings = Settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        _env_file=None,  # type: ignore[call-arg]
    )
    log_hygiene.install(log_hygiene.configured_secrets(settings))
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_fresh_kpi_token_never_reaches_the_debug_log(app: App, debug_log: io.StringIO) -> None:
    async def scenario() -> list[str]:
        async with running(app) as r:
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            party = "party add Acme <@U0ALICE|alice>"
            await r.command({**base, "command": "/accord", "text": party, "trigger_id": "t0"})
            await finished.wait(1)
            await r.command({**base, "command": "/kpi", "text": "token", "trigger_id": "t1"})
            outcome = (await finished.wait(2))[-1]
            return [s for reply in outcome.replies for s in reply.secrets]

    shown = asyncio.run(scenario())
    log = debug_log.getvalue()
    [token] = shown
    assert token.startswith("acc_kpi_")
    # The flow was logged at DEBUG, the token's answer included, but masked.
    assert "slack_sdk" in log and "DEBUG" in log
    assert "acc_kpi_***" in log
    assert token not in log
    assert BOT_TOKEN not in log and SECRET not in log
    assert not re.search(r"xoxb-\d", log)


def test_redact_masks_every_known_shape() -> None:
    text = (
        "Authorization: Bearer abcdefghijkl token=acc_kpi_AbC-12_x "
        "url=https://hooks.slack.com/commands/T1/2/abc "
        "discord /webhooks/123/aW50ZXJhY3Rpb24 postgresql://u:hunter2@db/x mine=s3cr3t-value"
    )
    out = log_hygiene.redact(text, ["s3cr3t-value"])
    for secret in (
        "abcdefghijkl",
        "AbC-12_x",
        "commands/T1",
        "aW50ZXJhY3Rpb24",
        "hunter2",
        "s3cr3t-value",
    ):
        assert secret not in out
    assert "acc_kpi_***" in out and "/webhooks/123/***" in out
