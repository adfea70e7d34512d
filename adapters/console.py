"""The console adapter: Accord in a terminal, and scripted conversations.

A line starting with `/` is a slash command; `@name:` speaks as another user
(so two companies can talk in one script); `!N` presses button N of the last
reply; `# ` starts a comment in scripts; anything else is a plain message.
`@name` inside a command is a mention.
"""

from __future__ import annotations

import re
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.kernel.core import Core
from bot.kernel.types import Action, Command, Reply, User, Visibility

PLATFORM = "console"
_SPEAKER_RE = re.compile(r"^@([\w.\-]+):\s?(.*)$")
_MENTION_RE = re.compile(r"(?<![\w<])@([\w.\-]*\w)")
_PRESS_RE = re.compile(r"^!(\d+)$")
_CHANNEL_REF_RE = re.compile(r"(?<![\w<])#([a-z][\w\-]*)\b")


@dataclass
class ConsoleAdapter:
    core: Core
    team_id: str = "local"
    channel_id: str = "general"
    user: str = "me"
    locale: str | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    files_dir: Path = Path("var/console-files")
    # Distinguishes the idempotency keys of two runs of the same script.
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    platform: str = PLATFORM
    # Console users who stand for workspace admins (they may repair companies).
    admins: frozenset[str] = frozenset()
    _last_buttons: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _line_no: int = 0

    # -- input ----------------------------------------------------------------

    def run_script(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.feed(line.rstrip("\n"), echo=True)

    def run_interactive(self, stdin: TextIO = sys.stdin) -> None:
        # Both languages: the channel's language is not known before the first command.
        self._print(
            f"Accord console — team {self.team_id}, #{self.channel_id}. "
            "Type /accord help, or Ctrl-D to quit. · Tapez /accord aide, ou Ctrl-D pour quitter."
        )
        while True:
            try:
                line = input(f"{self.user}> ") if stdin is sys.stdin else stdin.readline()
            except (EOFError, KeyboardInterrupt):
                self._print("")
                return
            if line == "" and stdin is not sys.stdin:
                return
            self.feed(line.rstrip("\n"), echo=False)

    def feed(self, line: str, *, echo: bool) -> None:
        self._line_no += 1
        if not line.strip() or line.startswith("# "):
            if echo and line.startswith("# "):
                self._print(line)
            return
        speaker = self.user
        if (match := _SPEAKER_RE.match(line)) is not None:
            speaker, line = match.group(1), match.group(2)
            self.user = speaker
        if echo:
            self._print(f"{speaker}> {line}")
        if not line.strip():
            return
        key = f"{self.run_id}:{self._line_no}"
        user = User(speaker, speaker, is_workspace_admin=speaker in self.admins)
        if (press := _PRESS_RE.match(line.strip())) is not None:
            self._press(int(press.group(1)), user, key)
        elif line.startswith("/"):
            self._command(line, user, key)
        # Plain messages are part of the conversation; no capability reads them yet.

    def _command(self, line: str, user: User, key: str) -> None:
        name, _, text = line[1:].partition(" ")
        names = list(dict.fromkeys(_MENTION_RE.findall(text)))
        text = _MENTION_RE.sub(lambda m: f"<@{m.group(1)}>", text)
        text = _CHANNEL_REF_RE.sub(
            lambda m: f"<#{m.group(1)}>" if name == "accord" else m.group(0), text
        )
        command = Command(
            platform=self.platform,
            team_id=self.team_id,
            channel_id=self.channel_id,
            user=user,
            name=name.lower(),
            text=text.strip(),
            locale=self.locale,
            idempotency_key=key,
            mentioned=tuple(User(n, n) for n in names),
        )
        self._show(self.core.handle(command).replies)

    def _press(self, number: int, user: User, key: str) -> None:
        if not 1 <= number <= len(self._last_buttons):
            self._print(f"  (no button {number} on the last message)")
            return
        action_id, value = self._last_buttons[number - 1]
        action = Action(
            platform=self.platform,
            team_id=self.team_id,
            channel_id=self.channel_id,
            user=user,
            action_id=action_id,
            value=value,
            locale=self.locale,
            idempotency_key=key,
        )
        self._show(self.core.handle_action(action).replies)

    # -- output ---------------------------------------------------------------

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        """Notifier: pings and digests for console channels are printed."""
        self._show([reply], channel_override=channel_id)
        return f"console:{channel_id}:{idempotency_key}"

    def _show(self, replies: list[Reply], channel_override: str | None = None) -> None:
        with self._lock:
            for reply in replies:
                buttons = [(b.action_id, b.value) for b in reply.buttons]
                if buttons:
                    self._last_buttons = buttons
                self._print(self.render(reply, channel_override))

    def render(self, reply: Reply, channel_override: str | None = None) -> str:
        where = channel_override or reply.target_channel or self.channel_id
        french = reply.lang == "fr"
        if reply.visibility is Visibility.EPHEMERAL:
            head = "Accord (visible par vous seul)\u00a0:" if french else "Accord (only you):"
        elif reply.replace_original:
            head = (
                f"Accord (modifié) → #{where}\u00a0:" if french else f"Accord (updated) → #{where}:"
            )
        else:
            head = f"Accord → #{where}\u00a0:" if french else f"Accord → #{where}:"
        body: list[str] = []
        if reply.title:
            body.append(f"*{reply.title}*")
        if reply.text:
            body.extend(reply.text.splitlines())
        body.extend(f"{f.label}{reply.colon} {f.value}" for f in reply.fields)
        for section in reply.sections:
            body.extend(section.splitlines())
        body.extend(f"• {item}" for item in reply.items)
        if reply.footer:
            body.extend(f"_{line}_" for line in reply.footer.splitlines())
        if reply.buttons:
            body.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, 1)))
        for attachment in ([reply.image] if reply.image else []) + reply.attachments:
            body.append(
                f"📎 {attachment.filename} → {self._save(attachment.filename, attachment.content)}"
            )
        text = reply.render_mentions("\n".join(body))
        return head + "\n" + "\n".join(f"  {line}" for line in text.splitlines())

    def _save(self, filename: str, content: bytes) -> str:
        """Write a reply's file under `files_dir`; never over an earlier one (plan-2.csv...)."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = Path(filename)
        path = self.files_dir / name.name
        number = 1
        while True:
            try:
                with path.open("xb") as fh:  # exclusive: two consoles never share a file
                    fh.write(content)
                return str(path)
            except FileExistsError:
                number += 1
                path = self.files_dir / f"{name.stem}-{number}{name.suffix}"

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
