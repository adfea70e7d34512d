"""`/plan`: the dated retroplanning toward D-day, its reminders and its files.

- `commands`: the chat command; `dates`: reading due dates (`D-10`, `2026-05-01`, `next monday`);
- `reminders`: the pings before each deadline (outbox rows, rendered at send time);
- `files`: CSV and iCalendar, `accord import|export plan`.

Public entry for other capabilities: `milestones` and `date_label` (the contract recap),
`zone_name`/`zone`/`local_today` (a partnership's time zone and today there).
"""

from bot.planning.commands import date_label, milestones, register
from bot.planning.dates import local_today
from bot.planning.files import add_cli
from bot.planning.reminders import zone, zone_name

__all__ = ["add_cli", "date_label", "local_today", "milestones", "register", "zone", "zone_name"]
