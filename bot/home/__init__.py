"""The overview on a platform's home surface (Slack's App Home), served through
`registry.home_view`: the user's partnerships, their latest decisions, next deadlines
and decisive metrics."""

from functools import partial

from bot.home.view import overview
from bot.kernel.registry import Registry


def register(registry: Registry) -> None:
    # The view opens each partnership with the sections other capabilities add (the health).
    registry.home_view = partial(overview, registry=registry)


__all__ = ["overview", "register"]
