"""A tenant's directory as an index, cached per process, and the demo directory.

Building the index of 100,000 profiles takes seconds, scoring it milliseconds,
so each process keeps the last few tenants' indexes. The cache is keyed on the
tenant's directory revision (a counter every write bumps in the same
transaction), so an import on another instance is seen on the next `/match`.
The cache belongs to the registry built for one App: no module-level state.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from importlib import resources
from typing import Any

from sqlmodel import Session

from bot.kernel.types import Tenant
from bot.matching import profiles as store
from bot.matching.engine import Index, Normaliser, build_index

DEMO_FILE = "demo_partners.json"


class IndexCache:
    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Tenant, tuple[int, Index]] = OrderedDict()
        self._lock = threading.Lock()
        # Stems are shared across tenants: the memo only grows with the vocabulary.
        self._normaliser: Normaliser | None = None

    def get(self, session: Session, tenant: Tenant) -> Index:
        revision = store.revision(session, tenant)
        with self._lock:
            cached = self._items.get(tenant)
            if cached is not None and cached[0] == revision:
                self._items.move_to_end(tenant)
                return cached[1]
        rows = list(store.directory_rows(session, tenant))
        with self._lock:
            if self._normaliser is None:
                self._normaliser = Normaliser()
            index = build_index(
                [p for _, p in rows], [i for i, _ in rows], normaliser=self._normaliser
            )
            self._items[tenant] = (revision, index)
            self._items.move_to_end(tenant)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return index


def demo_data() -> dict[str, Any]:
    raw = resources.files("bot.matching").joinpath("data", DEMO_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def load_demo(session: Session, tenant: Tenant, now: datetime) -> tuple[int, bool]:
    """Store the demo directory; set the demo own profile if the team has none.

    Returns (number of demo partners, whether the own profile was set).
    Loading twice updates the same rows.
    """
    parsed = store.parse_text(json.dumps(demo_data()), "json")
    if parsed.errors:  # the packaged file is checked by a test; this is a bug
        raise ValueError(f"demo directory invalid: {parsed.errors[0].error.key}")
    store.store(session, tenant, parsed.profiles, now, source="demo")
    own_set = False
    if parsed.own is not None and store.own_profile(session, tenant) is None:
        store.store(session, tenant, [parsed.own], now, source="demo", own=True)
        own_set = True
    return len(parsed.rows), own_set
