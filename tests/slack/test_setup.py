"""`accord run` wiring: which mode the settings select, and what it mounts."""

from __future__ import annotations

from bot.app import App
from bot.kernel.config import Settings
from bot.runner import adapter_setups


def _app_with(app: App, **env: str) -> App:
    base = {"DATABASE_URL": app.settings.database_url}
    app.settings = Settings(**base, **env, _env_file=None)  # type: ignore[arg-type, call-arg]
    return app


def test_http_mode_mounts_the_events_route_and_needs_the_server(app: App) -> None:
    app = _app_with(app, SLACK_SIGNING_SECRET="s3cret", SLACK_BOT_TOKEN="xoxb-1")
    [slack] = adapter_setups(app)
    assert slack.name == "slack" and slack.needs_http and slack.background == []
    assert [(r.method, r.path) for r in slack.routes] == [("POST", "/slack/events")]  # type: ignore[attr-defined]
    assert slack.notifier is not None and slack.notifier.platform == "slack"


def test_oauth_adds_the_install_routes(app: App) -> None:
    app = _app_with(
        app, SLACK_SIGNING_SECRET="s3cret", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="shh"
    )
    [slack] = adapter_setups(app)
    paths = {r.path for r in slack.routes}  # type: ignore[attr-defined]
    assert paths == {"/slack/events", "/slack/install", "/slack/oauth_redirect"}


def test_socket_mode_needs_no_http_route(app: App) -> None:
    app = _app_with(app, SLACK_APP_TOKEN="xapp-1", SLACK_BOT_TOKEN="xoxb-1")
    [slack] = adapter_setups(app)
    assert slack.routes == [] and not slack.needs_http and len(slack.background) == 1


def test_no_slack_settings_no_slack_adapter(app: App) -> None:
    assert adapter_setups(_app_with(app)) == []
