"""Scripted conversations shared by the contract tests."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import App
from tests.conftest import say

PARTIES = (
    "@alice: /accord party add Acme @alice",
    "@bob: /accord party add Beta @bob",
)
# Every default term, French and English keys mixed as people type them.
TERMS = (
    "/contract set parties Acme (Alice, CEO) and Beta (Bob, CMO)",
    "/contract set objectifs 500 inscriptions d’ici juin, KPI : coût par inscription",
    "/contract set deliverables Acme: landing page by 1 April; Beta: newsletter by 15 April",
    "/contract set ressources 10 000 € each side",
    "/contract set droits Logos only, no video",
    "/contract set communication Alice speaks for Acme, Bob for Beta; this channel is the record",
    "/contract set données No personal data leaves either company",
    "/contract set durée 12 months, renewable, 30 days’ notice to exit",
)


def filled(console: ConsoleAdapter) -> str:
    """Two companies and every term written by Alice."""
    return say(console, *PARTIES, "@alice: /contract", *TERMS)


def confirmed(console: ConsoleAdapter) -> str:
    """Filled, recapped and confirmed by both companies."""
    return filled(console) + say(
        console, "/contract recap", "@alice: /contract confirm", "@bob: /contract confirm"
    )


def console_in(app: App, tmp_path: Path, team_id: str, channel_id: str) -> ConsoleAdapter:
    """Another console on the same bot: another team, or another channel."""
    return ConsoleAdapter(
        app.core,
        team_id=team_id,
        channel_id=channel_id,
        user="alice",
        out=io.StringIO(),
        files_dir=tmp_path / f"{team_id}-{channel_id}",
        run_id=f"{team_id}-{channel_id}",
    )
