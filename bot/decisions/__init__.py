"""`/decide` and `/decisions`: the append-only decision log every partner sees.

Public entry for other capabilities: `record_decision` and `announce` (log a decision in
the same transaction, e.g. a moved milestone), `recent` (the App Home).
"""

from bot.decisions.cli import add_cli
from bot.decisions.commands import announce, export, recent, record_decision, register

__all__ = ["add_cli", "announce", "export", "recent", "record_decision", "register"]
