"""The application commands, built explicitly from the core's registry.

Every command in `registry.commands` becomes a slash command with a string
option `text` (what a Slack user types after the command) and one typed
option per option the core parses (`--supersedes 12` -> `supersedes: 12`).
The message context menu "Log as decision" is added beside them. The same
`CommandTree` serves the gateway (dispatch) and `accord discord sync` (the
JSON definitions, localized from the catalogs by `CatalogTranslator`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from adapters.discord_interactions import LOG_AS_DECISION, TEXT_OPTION
from bot.kernel.i18n import Translator
from bot.kernel.registry import CommandSpec, Registry

Handler = Callable[[discord.Interaction[Any]], Awaitable[None]]
# (interaction, command, option, current) -> [(name, value)]
Suggest = Callable[[discord.Interaction[Any], str, str, str], Awaitable[list[tuple[str, Any]]]]

_KIND_TYPES: dict[str, Any] = {"int": int | None, "str": str | None, "flag": bool | None}
DESCRIPTION_MAX = 100
NAME_MAX = 32


class CatalogTranslator(app_commands.Translator):
    """French names and descriptions for Discord clients set to French, from the catalogs."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if not key or not locale.value.startswith("fr"):
            return None
        text = Translator("fr")(key)
        if text == key:
            return None
        location = context.location
        if location is app_commands.TranslationContextLocation.command_name:
            # Slash command and option names stay as they are in every language;
            # only the context menu (free-form name) is translated.
            return text[:NAME_MAX] if string.extras.get("menu") else None
        if location is app_commands.TranslationContextLocation.parameter_name:
            return None
        return _one_line(text)[:DESCRIPTION_MAX]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _en(key: str) -> str:
    return _one_line(Translator("en")(key))


def _description(key: str) -> locale_str:
    return locale_str(_en(key)[:DESCRIPTION_MAX], key=key)


def _option_description(command: str, option: str) -> locale_str:
    key = f"discord.option.{option}"
    specific = f"discord.option.{command}.{option}"
    if Translator("en").has(specific):
        key = specific
    return _description(key)


def _callback(spec: CommandSpec, handler: Handler) -> Callable[..., Awaitable[None]]:
    """A callback whose signature lists the typed options (discord.py reads it)."""

    async def callback(interaction: discord.Interaction[Any], **_options: Any) -> None:
        # The raw interaction data holds the options; the handler reads them from there.
        await handler(interaction)

    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        ),
        inspect.Parameter(
            TEXT_OPTION,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=None,
            annotation=str | None,
        ),
    ]
    for name, kind in spec.options.items():
        params.append(
            inspect.Parameter(
                _param(name),
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None,
                annotation=_KIND_TYPES[kind],
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = f"accord_{spec.name}"
    callback.__qualname__ = f"accord_{spec.name}"
    descriptions = {TEXT_OPTION: _option_description(spec.name, TEXT_OPTION)}
    descriptions.update(
        {_param(name): _option_description(spec.name, name) for name in spec.options}
    )
    described: Callable[..., Awaitable[None]] = app_commands.describe(**descriptions)(callback)
    # Discord option names may hold '-' (`keep-vanity`), Python parameters may not.
    renames = {_param(name): name for name in spec.options if _param(name) != name}
    if renames:
        described = app_commands.rename(**renames)(described)
    return described


def _param(option: str) -> str:
    return option.replace("-", "_")


def _suggester(command: str, option: str, suggest: Suggest) -> Any:
    async def autocomplete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[Any]]:
        pairs = await suggest(interaction, command, option, current)
        return [app_commands.Choice(name=name, value=value) for name, value in pairs[:25]]

    return autocomplete


def build_tree(
    client: discord.Client, registry: Registry, handler: Handler, suggest: Suggest
) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    for spec in registry.commands.values():
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=spec.name,
            description=_description(spec.summary_key),
            callback=_callback(spec, handler),  # type: ignore[arg-type]
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        # Options whose values are stored things the user picks from (the core says which).
        for option in (TEXT_OPTION, *spec.options):
            if (spec.name, option) in registry.suggesters:
                command.autocomplete(_param(option))(_suggester(spec.name, option, suggest))
        tree.add_command(command)

    async def log_as_decision(
        interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        await handler(interaction)

    tree.add_command(
        app_commands.ContextMenu(
            name=locale_str(LOG_AS_DECISION, key="discord.menu.log_decision", menu=True),
            callback=log_as_decision,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
    )
    return tree


async def definitions(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The JSON Discord's bulk-overwrite endpoint takes, localized."""
    translator = CatalogTranslator()
    commands = tree.get_commands()
    return [await c.get_translated_payload(tree, translator) for c in commands]
