"""Configuration from the environment and `.env` (documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///var/accord.db", alias="DATABASE_URL")
    default_locale: str = Field(default="en", alias="ACCORD_DEFAULT_LOCALE")
    default_timezone: str = Field(default="UTC", alias="ACCORD_DEFAULT_TIMEZONE")
    log_level: str = Field(default="INFO", alias="ACCORD_LOG_LEVEL")
    # How often the dispatcher wakes to send due pings and digests.
    dispatch_interval_seconds: float = Field(default=30.0, alias="ACCORD_DISPATCH_INTERVAL")
    # Overrides of the matching weights, e.g. "audience=0.4,objectives=0.2".
    # How long a dispatcher holds the rows it claimed (renewed while it posts); the backoff after a
    # transient failure (doubling from the base, never longer than the cap).
    dispatch_lease_seconds: float = Field(default=120.0, gt=0, alias="ACCORD_DISPATCH_LEASE")
    retry_base_seconds: float = Field(default=30.0, gt=0, alias="ACCORD_RETRY_BASE")
    retry_max_seconds: float = Field(default=900.0, gt=0, alias="ACCORD_RETRY_MAX")
    match_weights: str = Field(default="", alias="ACCORD_MATCH_WEIGHTS")
    http_host: str = Field(default="127.0.0.1", alias="ACCORD_HTTP_HOST")
    http_port: int | None = Field(default=None, alias="ACCORD_HTTP_PORT")

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_public_key: str | None = Field(default=None, alias="DISCORD_PUBLIC_KEY")
    discord_application_id: str | None = Field(default=None, alias="DISCORD_APPLICATION_ID")
    discord_api_url: str = Field(default="https://discord.com/api/v10", alias="DISCORD_API_URL")

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_app_token or self.slack_signing_secret)

    @property
    def discord_configured(self) -> bool:
        return bool(self.discord_token or (self.discord_public_key and self.discord_application_id))
