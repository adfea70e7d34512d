"""`/contract`: the agreement's key terms, confirmed by each company.

- `commands`: the chat command and `accord export contract`; `terms`: the checklist and its state;
- `export`: Markdown and PDF; `links`: the plan and the KPIs shown in the recap;
- `reminders`: nudging the companies that have not confirmed.
"""

from bot.contract.commands import add_cli, register
from bot.contract.terms import checklist, find_contract, load_state

__all__ = ["add_cli", "checklist", "find_contract", "load_state", "register"]
