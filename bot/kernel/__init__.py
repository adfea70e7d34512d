"""The kernel: what every capability uses, and nothing of any one of them.

- `types`: the neutral `Command`, `Action`, `Reply`, `Notifier`...
- `registry`: the explicit registry (the data structure only; `bot.app` fills it).
- `core`: `Core`, the unit of work: one command, one transaction.
- `context`, `errors`, `help`, `i18n` (catalogs), `clock`, `parsing` (options, mentions),
  `config` (settings), `tenancy` (teams, channels, partnerships, parties),
  `cli_args` and `services` (what operator commands are handed).

The kernel imports no capability and no adapter (`make lint` checks it).
"""
