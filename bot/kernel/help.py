"""The usage of one command, answered by the core for `/<command> help`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kernel.types import Reply, Visibility

if TYPE_CHECKING:
    from bot.kernel.context import Ctx
    from bot.kernel.registry import CommandSpec


def command_help(ctx: Ctx, spec: CommandSpec) -> list[Reply]:
    return [
        Reply(
            title=f"/{spec.name} — {ctx.t(spec.summary_key)}",
            text=ctx.t(spec.usage_key),
            visibility=Visibility.EPHEMERAL,
        )
    ]
