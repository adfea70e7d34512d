"""`/accord`: help, language, time zone, the shared-channel link and the companies."""

from bot.settings.commands import register

__all__ = ["register"]
