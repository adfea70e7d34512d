"""The overview on a platform's home surface (Slack's App Home), served through
`registry.home_view`: the user's partnerships, their latest decisions, next deadlines
and decisive metrics."""

from bot.home.view import overview
from bot.kernel.registry import Registry


def register(registry: Registry) -> None:
    registry.home_view = overview


__all__ = ["overview", "register"]
