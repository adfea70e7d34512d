"""`/accord health` in both languages, the digest's and the home's section, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from adapters import discord_render, slack_render
from adapters.console import ConsoleAdapter
from bot import home
from bot.app import App
from bot.cli import main
from bot.health import commands, rules
from bot.kernel.config import Settings
from bot.kernel.i18n import Translator
from bot.kernel.registry import RenderContext
from bot.kernel.types import Tenant
from bot.kpi.digest import preview
from storage.models import Partnership
from tests.conftest import say
from tests.contract.helpers import PARTIES
from tests.discord.test_render import assert_within_limits

SINS_EN = ("Partner choice", "Agreement", "Plan", "Decisions", "Tracking")
SINS_FR = ("Choix du partenaire", "Accord", "Planning", "Décisions", "Suivi")


def setup(console: ConsoleAdapter) -> None:
    say(
        console,
        *PARTIES,
        "/plan launch 2026-04-01",
        '/plan add "Landing page" 2026-02-25 @alice',  # 5 days late on 2 March
        "@alice: /decide we launch on 1 April",
        '/kpi objective "Co-launch"',
        '/kpi metric "Co-launch" leads target 100 by 2026-03-31',
        "/kpi log leads 40",
    )


def test_five_lines_with_evidence_command_and_rule(console: ConsoleAdapter) -> None:
    setup(console)
    out = say(console, "/accord health")
    assert "(only you)" in out  # read-only, private
    assert "✅ 1 covered · ⚠️ 2 at risk · ❌ 2 exposed" in out
    for sin in SINS_EN:
        assert f"*{sin}*" in out
    assert out.count("_Rule: ") == 5
    assert "❌ *Partner choice* — your own company's profile is missing" in out
    assert "❌ *Agreement* — no agreement started: 0 of 8 terms written" in out
    assert "⚠️ *Plan* — D-day 2026-04-01, in 30 days" in out
    assert "1 overdue, the oldest #1 Landing page by 5 days" in out
    assert "⚠️ *Decisions* — 1 decision in 14 days, by Acme (1); none by Beta" in out
    assert "✅ *Tracking*" in out and "→ see: `/kpi`" in out
    assert "a milestone more than 7 days late" in out  # the threshold, explained


def test_in_french(console: ConsoleAdapter) -> None:
    setup(console)
    say(console, "/accord lang fr")
    out = say(console, "/accord santé")
    for sin in SINS_FR:
        assert f"*{sin}*" in out
    assert "✅ 1 couvert · ⚠️ 2 à risque · ❌ 2 exposés" in out
    assert "jour J le 01/04/2026, dans 30 jours" in out
    assert "→ à faire\u00a0: `/match profil`" in out and "_Règle\u00a0: " in out
    assert "`/plan fait 1`, ou `/plan déplacer 1 <date> parce que <raison>`" in out


def test_refuses_extra_words(console: ConsoleAdapter) -> None:
    out = say(console, "/accord health please")
    assert "takes nothing after it" in out and "please" in out


def test_the_digest_opens_with_the_health_section(app: App, console: ConsoleAdapter) -> None:
    setup(console)
    with app.session_factory() as session:
        partnership = session.exec(select(Partnership)).one()
        now = app.clock.now()
        reply = preview(
            session,
            partnership,
            now,
            RenderContext("fr", "Europe/Paris", now),
            app.registry,
            with_chart=False,
        )
    first = reply.sections[0]
    assert first.startswith("🩺 Santé\u00a0: ✅ 1 couvert · ⚠️ 2 à risque · ❌ 2 exposés")
    rows = first.splitlines()[1:]
    assert [row.split(" — ")[0] for row in rows] == [
        "❌ Choix du partenaire",
        "❌ Accord",
        "⚠️ Planning",
        "⚠️ Décisions",
        "✅ Suivi",
    ]
    assert "→ `/plan fait 1`" in rows[2]


def test_the_home_opens_each_partnership_with_its_health(app: App, console: ConsoleAdapter) -> None:
    setup(console)
    _, partnership = home.overview(
        app.session_factory,
        Tenant("console", "acme-beta"),
        "alice",
        "en",
        app.clock.now(),
        app.registry,
    )
    health, decisions = partnership.sections[0], partnership.sections[1]
    assert health.startswith("🩺 Health: ✅ 1 covered")
    assert "❌ Partner choice" in health and "✅ Tracking" in health
    assert "#3 · we launch on 1 April" in decisions  # #1, #2: the companies created
    # Without a registry (older callers) the overview is unchanged.
    _, plain = home.overview(
        app.session_factory, Tenant("console", "acme-beta"), "alice", "en", app.clock.now()
    )
    assert not plain.sections[0].startswith("🩺")


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "Europe/Paris")
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_cli_text_and_json(
    env: None, console: ConsoleAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(console)
    assert main(["health", "--channel", "launch", "--team", "acme-beta"]) == 0
    text = capsys.readouterr().out
    for sin in SINS_EN:
        assert f"*{sin}*" in text
    assert main(["health", "--channel", "launch", "--team", "acme-beta", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["channel"] == "launch" and data["lang"] == "en"
    assert [f["sin"] for f in data["findings"]] == [
        "partner",
        "agreement",
        "plan",
        "decisions",
        "tracking",
    ]
    partner = data["findings"][0]
    assert partner["state"] == "exposed" and partner["icon"] == "❌"
    assert partner["fix"]["text"] == "`/match profile`"
    # The CLI runs on the real clock: the decision of March 2026 is long past.
    decisions = data["findings"][3]
    assert decisions["evidence"][0]["key"] == "decisions.none_recent"
    assert decisions["evidence"][0]["params"] == {"days": 14, "number": 3, "date": "2026-03-02"}
    assert main(["health", "--channel", "launch", "--team", "acme-beta", "--lang", "fr"]) == 0
    assert "*Choix du partenaire*" in capsys.readouterr().out


def test_cli_unknown_channel(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--channel", "nowhere"]) == 2
    assert "no partnership in channel nowhere" in capsys.readouterr().err


def test_slack_and_discord_show_five_rows() -> None:
    """Rendered natively: a header and one block (Slack) or paragraph (Discord) per sin."""
    facts = rules.Facts(
        partner=rules.PartnerFacts(False, [], [], []),
        agreement=rules.AgreementFacts(None, 8, 0, "parties", [], [], [], [], None, None),
        plan=rules.PlanFacts(None, [], []),
        decisions=rules.DecisionFacts([], [], None, []),
        tracking=rules.TrackingFacts([], None),
    )
    found = rules.check(facts, datetime(2026, 3, 2, tzinfo=UTC), date(2026, 3, 2))
    for lang in ("en", "fr"):
        reply = commands.reply(Translator(lang), found)
        [message] = slack_render.render(reply)
        blocks = message.blocks
        assert blocks[0]["type"] == "header"
        rows = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        # The summary, then one row per sin: its state, evidence, command and rule.
        assert len(rows) == 6 and all(row.startswith("❌ *") for row in rows[1:])
        [discord] = discord_render.render(reply)
        assert_within_limits(discord.payload)
        [embed] = discord.payload["embeds"]
        paragraphs = embed["description"].split("\n\n")
        assert len(paragraphs) == 6 and all(p.startswith("❌ *") for p in paragraphs[1:])
