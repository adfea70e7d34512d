"""The layout is the architecture: the kernel stands alone, `bot/` lists the capabilities.

`make lint` checks every import rule with import-linter (contracts in pyproject.toml);
these tests prove the two facts a reader relies on most, at run time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
CAPABILITIES = {
    "decisions", "planning", "matching", "kpi", "contract", "settings", "health", "home"
}
COMPOSITION_ROOT = {"app.py", "cli.py", "runner.py", "__main__.py", "__init__.py"}

_LOADED = """
import json, pkgutil, sys
import bot.kernel
for info in pkgutil.iter_modules(bot.kernel.__path__, "bot.kernel."):
    __import__(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("bot", "adapters"))))
"""


def test_importing_every_kernel_module_loads_no_capability_and_no_adapter() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True, cwd=BOT.parent
    )
    loaded = json.loads(out.stdout)
    assert "bot.kernel.core" in loaded and "bot.kernel.tenancy" in loaded
    kernel = ("bot", "bot.kernel")
    outside = [m for m in loaded if m not in kernel and not m.startswith("bot.kernel.")]
    assert outside == []


def test_bot_lists_the_kernel_delivery_the_capabilities_and_the_composition_root() -> None:
    packages = {p.name for p in BOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.name for p in BOT.glob("*.py")}
    assert packages == CAPABILITIES | {"kernel", "delivery"}
    assert modules == COMPOSITION_ROOT


def test_every_capability_has_its_register_entry_and_its_own_catalogs() -> None:
    for name in sorted(CAPABILITIES):
        init = (BOT / name / "__init__.py").read_text(encoding="utf-8")
        assert "register" in init, name
        catalogs = sorted(p.name.split(".")[1] for p in (BOT / name / "locales").glob("*.toml"))
        assert set(catalogs) == {"en", "fr"}, name
