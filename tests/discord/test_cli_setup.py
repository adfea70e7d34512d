"""`accord discord sync` (the explicit registration step) and what `accord run` mounts."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey
from pydantic import SecretStr

from adapters.discord_adapter import INTERACTIONS_PATH, DiscordNotifier, setup
from bot.app import App, build_registry
from bot.cli import main
from tests.discord.fake_discord import APP_ID, FakeDiscord


@pytest.fixture
def discord_env(monkeypatch: pytest.MonkeyPatch, fake: FakeDiscord, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))  # no stray .env
    monkeypatch.setenv("DISCORD_TOKEN", "cli-token")
    monkeypatch.setenv("DISCORD_API_URL", fake.url)
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)


def test_sync_overwrites_guild_commands_in_bulk(discord_env: None, fake: FakeDiscord) -> None:
    assert main(["discord", "sync", "--guild", "700000000000000001"]) == 0
    (put,) = fake.matching("PUT", "/commands")
    assert put.path == f"/applications/{APP_ID}/guilds/700000000000000001/commands"
    assert put.headers["Authorization"] == "Bot cli-token"
    slash = {c["name"]: c for c in put.body if c["type"] == 1}
    assert set(slash) == set(build_registry().commands)
    for command in slash.values():
        assert command["options"][0]["name"] == "text" and command["options"][0]["type"] == 3
        assert command["contexts"] == [0]
        assert command["description_localizations"]["fr"]
    decide = {o["name"]: o for o in slash["decide"]["options"]}
    assert decide["supersedes"]["type"] == 4 and decide["supersedes"]["autocomplete"] is True
    (menu,) = [c for c in put.body if c["type"] == 3]
    assert menu["name"] == "Log as decision"
    assert menu["name_localizations"] == {"fr": "Consigner comme décision"}


def test_sync_without_guild_is_global(discord_env: None, fake: FakeDiscord) -> None:
    assert main(["discord", "sync"]) == 0
    assert [r.path for r in fake.matching("PUT", "/commands")] == [
        f"/applications/{APP_ID}/commands"
    ]


def test_sync_clear_removes_a_guild_copy(discord_env: None, fake: FakeDiscord) -> None:
    assert main(["discord", "sync", "--guild", "7", "--clear"]) == 0
    (put,) = fake.matching("PUT", "/commands")
    assert put.path == f"/applications/{APP_ID}/guilds/7/commands" and put.body == []


def test_sync_reports_a_refusal(discord_env: None, fake: FakeDiscord) -> None:
    fake.fail_next(
        f"/applications/{APP_ID}/commands", 403, {"message": "Missing Access", "code": 50001}
    )
    assert main(["discord", "sync"]) == 1


def test_setup_mounts_the_http_endpoint_or_the_gateway(app: App) -> None:
    app.settings.discord_public_key = SigningKey.generate().verify_key.encode().hex()
    app.settings.discord_application_id = APP_ID
    http = setup(app)
    assert [(r.method, r.path) for r in http.routes] == [("POST", INTERACTIONS_PATH)]  # type: ignore[attr-defined]
    assert http.needs_http and http.background == [] and http.notifier is None
    app.settings.discord_public_key = None
    app.settings.discord_token = SecretStr("t")
    gateway = setup(app)
    assert gateway.routes == [] and len(gateway.background) == 1
    assert isinstance(gateway.notifier, DiscordNotifier)


def test_a_malformed_public_key_is_a_clear_startup_error() -> None:
    from adapters.discord_adapter import interactions_handler

    with pytest.raises(ValueError, match="DISCORD_PUBLIC_KEY must be"):
        interactions_handler(None, "not-hex")  # type: ignore[arg-type]
