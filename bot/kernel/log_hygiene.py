"""Secrets never reach the logs, at any level (DEBUG included).

Third-party libraries log requests at DEBUG: slack_sdk's webhook client logs
the body of every `response_url` answer (a freshly shown KPI token with it),
its Web API client the JSON bodies, aiohttp and discord.py URLs that carry
interaction tokens. A filter on every handler of the root logger rewrites each
record before it is written: known token shapes and the configured secrets
become `***`, tracebacks included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Accord's KPI ingest tokens: keep the prefix so a reader knows what was there.
    (re.compile(r"acc_kpi_[A-Za-z0-9_\-]+"), "acc_kpi_" + MASK),
    # Slack tokens (bot, user, app-level, refresh, config).
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]+"), "xox?-" + MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9\-]+"), "xapp-" + MASK),
    # Authorization headers.
    (re.compile(r"\b(Bearer|Bot|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 " + MASK),
    # Slack response_url / incoming webhooks: the path is the credential.
    (re.compile(r"(https://hooks\.slack(?:-gov)?\.com/)[^\s'\"<>]+"), r"\1" + MASK),
    # Discord interaction and webhook tokens in URLs.
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9._\-]+"), r"\1" + MASK),
    # Passwords in database URLs.
    (re.compile(r"(://[^:/\s@]+:)[^@\s]+@"), r"\1" + MASK + "@"),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with the secrets masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Very short values would mask ordinary words; real secrets are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def configured_secrets(settings: object) -> list[str]:
    """Every `SecretStr` value of the settings (tokens, signing and client secrets)."""
    from pydantic import SecretStr

    values = [getattr(settings, name, None) for name in type(settings).model_fields]  # type: ignore[attr-defined]
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]


def install(secrets: Iterable[str] = (), logger: logging.Logger | None = None) -> RedactingFilter:
    """Put one redacting filter on every handler of `logger` (the root by default)."""
    target = logger or logging.getLogger()
    flt = RedactingFilter(secrets)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(flt)
    return flt
