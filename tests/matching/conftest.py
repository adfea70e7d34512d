from __future__ import annotations

import json

import pytest

from bot.matching import profiles
from bot.matching.directory import demo_data
from bot.matching.engine import Index, build_index


@pytest.fixture(scope="session")
def demo() -> profiles.Parsed:
    return profiles.parse_text(json.dumps(demo_data()), "json")


@pytest.fixture(scope="session")
def demo_index(demo: profiles.Parsed) -> Index:
    return build_index(demo.profiles)
