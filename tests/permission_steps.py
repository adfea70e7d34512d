"""One conversation that tries every row of the permission table, allowed and refused,
and the issue's attacks; replayed through signed Slack and Discord payloads.

Two companies: Acme (alice represents it, bob is a member) and Beta (cara represents it,
dan is a member); gus is a guest in the channel, root a workspace admin in no company.
In Slack Connect, Acme is the host workspace and Beta a guest workspace (erin is a
Beta user nobody has added yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import App
from tests.contract.helpers import TERMS

OK = "ok"
DENIED = "Only "  # the permission refusal ("Only … may …"): nothing changes


@dataclass(frozen=True, slots=True)
class Step:
    user: str
    command: str
    text: str
    # OK, DENIED, or a part of a refusal for another reason (nothing changes either)
    expect: str
    platforms: tuple[str, ...] = ("slack", "discord")
    # "main": the partnership's channel; "other": a stranger's channel, another partnership.
    channel: str = "main"


_TERM_STEPS = tuple(Step("bob", "contract", line.removeprefix("/contract "), OK) for line in TERMS)
STEPS: tuple[Step, ...] = (
    # Bootstrapping: each creator represents the company they create.
    Step("alice", "accord", "party add Acme {bob}", OK),
    Step("cara", "accord", "party add Beta {dan}", OK),
    # read
    Step("gus", "decisions", "", OK),
    Step("gus", "plan", "", OK),
    # decide
    Step("gus", "decide", "we launch in May", DENIED),
    Step("bob", "decide", "we launch in May", OK),
    # plan
    Step("gus", "plan", "launch 2026-05-04", DENIED),
    Step("dan", "plan", "launch 2026-05-04", OK),
    Step("dan", "plan", 'add "Press kit" 2026-04-20 {dan}', OK),
    # Buttons ("!" presses `action|value`): the ping's Snooze and Done.
    Step("gus", "!", "plan.snooze|1:1", DENIED),
    Step("gus", "!", "plan.done|1", DENIED),
    Step("bob", "!", "plan.snooze|1:1", OK),
    Step("dan", "!", "plan.done|1", OK),
    # log_kpi
    Step("gus", "kpi", 'objective "Co-launch"', DENIED),
    Step("dan", "kpi", 'objective "Co-launch"', OK),
    # edit_directory
    Step("gus", "partner", "add Velo Vert --audience parents", DENIED),
    Step("bob", "partner", "add Velo Vert --audience parents", OK),
    # draft_contract
    Step("gus", "contract", "set objectives 900 leads", DENIED),
    *_TERM_STEPS,
    Step("gus", "contract", "recap", DENIED),
    Step("dan", "contract", "recap", OK),
    # confirm_contract: a representative, for their own company
    Step("bob", "contract", "confirm", DENIED),
    Step("gus", "contract", "confirm", DENIED),
    Step("alice", "contract", "confirm", OK),
    # The attacks: self-insertion, moving people, switching company to confirm twice.
    Step("gus", "accord", "party add Beta {gus}", DENIED),
    Step("bob", "accord", "party add Beta {bob}", DENIED),
    Step("alice", "accord", "party add Beta {alice}", DENIED),
    Step("alice", "accord", "party add Acme {dan}", "is in Beta"),
    Step("cara", "accord", "party add Beta {bob}", "is in Acme"),
    Step("cara", "accord", "party remove {bob}", DENIED),
    Step("alice", "accord", "party add Gamma", DENIED),
    # Where the platform knows the company, it wins (Slack Connect home workspaces).
    Step("cara", "accord", "party add Beta {gus}", "another workspace", ("slack",)),
    Step("alice", "accord", "party add Acme {erin}", "Beta", ("slack",)),
    # Beta confirms: now, and only now, everyone did.
    Step("dan", "contract", "confirm", DENIED),
    Step("cara", "contract", "confirm", OK),
    # sign_contract, end_contract
    Step("dan", "contract", "sign https://docs.example.com/signed.pdf", DENIED),
    Step("gus", "contract", "sign https://docs.example.com/signed.pdf", DENIED),
    Step("cara", "contract", "sign https://docs.example.com/signed.pdf", OK),
    Step("bob", "contract", "end because we stop", DENIED),
    Step("alice", "contract", "end", "needs a reason"),
    Step("alice", "contract", "end because the campaign is over", OK),
    # manage_kpi_token
    Step("dan", "kpi", "token rotate", DENIED),
    Step("gus", "kpi", "token", DENIED),
    Step("cara", "kpi", "token rotate", OK),
    # manage_settings
    Step("bob", "accord", "tz Europe/Paris", DENIED),
    Step("gus", "accord", "reminders 5 1", DENIED),
    Step("dan", "accord", "digest pause", DENIED),
    Step("alice", "accord", "tz Europe/Paris", OK),
    Step("cara", "accord", "digest friday 16:00", OK),
    # manage_links
    Step("bob", "accord", "channel off", DENIED),
    Step("gus", "accord", "channel off", DENIED),
    # create_company
    Step("bob", "accord", "party add Gamma", DENIED),
    Step("gus", "accord", "party add Gamma", OK),
    # manage_company
    Step("bob", "accord", "party rep {bob}", DENIED),
    Step("cara", "accord", "party rep {bob}", DENIED),
    Step("alice", "accord", "party add Acme {ivy}", OK),
    Step("alice", "accord", "party rep {bob}", OK),
    # leave_company
    Step("root", "accord", "party leave", DENIED),
    Step("ivy", "accord", "party leave", OK),
    # A workspace admin repairs: takes the representative out, names another.
    Step("root", "accord", "party remove {alice}", OK),
    Step("root", "accord", "party rep {dan}", OK),
    # Repair is all an admin may do.
    Step("root", "decide", "all settled", DENIED),
    # A stranger, in another channel, builds her own partnership; here she is a guest.
    Step("mal", "accord", "party add Beta {mal}", OK, channel="other"),
    Step("mal", "decide", "Beta gives up", OK, channel="other"),
    Step("mal", "decide", "Beta gives up", DENIED),
    Step("mal", "accord", "party add Beta {mal}", DENIED),
)

# What the audit trail (the decision log) holds afterwards, by source.
AUDIT_SOURCES = {"accord.party", "contract.status", "kpi.token", "decide"}

# (user, command, text, channel) -> everything the platform received in answer
Send = Callable[[str, str, str, str], Awaitable[str]]


async def replay(platform: str, send: Send, app: App) -> list[str]:
    """Every step; returns the answers. Refused steps must leave the data unchanged."""
    from tests.test_permissions import snapshot

    answers = []
    for step in STEPS:
        if platform not in step.platforms or not step.expect:
            continue
        before = snapshot(app)
        answer = await send(step.user, step.command, step.text, step.channel)
        answers.append(answer)
        where = f"{platform}: {step.user} /{step.command} {step.text}"
        if step.expect == OK:
            assert "⚠️" not in answer, f"{where} → {answer}"
            if step.command not in ("decisions", "plan") or step.text:
                assert snapshot(app) != before, f"{where} changed nothing"
        else:
            assert "⚠️" in answer and step.expect in answer, f"{where} → {answer}"
            assert snapshot(app) == before, f"{where} changed something"
    return answers
