"""`/accord`: help, language, time zone, the companies, and the link handshake between channels.

- `commands`: `/accord` itself; `links`: `/accord link` and `/accord unlink` (one-time codes).
"""

from bot.kernel.registry import Registry
from bot.settings import commands, links


def register(registry: Registry) -> None:
    commands.register(registry)
    links.register(registry)  # /accord link and /accord unlink


__all__ = ["register"]
