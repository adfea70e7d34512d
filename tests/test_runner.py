"""The composition root picks adapters and notifiers from the settings."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.app import build_app
from bot.kernel.clock import FixedClock
from bot.kernel.config import Settings
from bot.runner import adapter_setups, notifiers_for


def _settings(engine: Engine, **env: str) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        _env_file=None,  # type: ignore[call-arg]
        **env,
    )


def test_console_only_without_credentials(engine: Engine, clock: FixedClock) -> None:
    app = build_app(_settings(engine), clock=clock, migrate=False, engine=engine)
    assert adapter_setups(app) == []
    assert set(notifiers_for(app)) == {"console"}


def test_standalone_dispatcher_posts_to_every_configured_platform(
    engine: Engine, clock: FixedClock
) -> None:
    settings = _settings(
        engine,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s3cret",
        DISCORD_TOKEN="discord-test",
    )
    app = build_app(settings, clock=clock, migrate=False, engine=engine)
    assert set(notifiers_for(app)) == {"console", "slack", "discord"}
