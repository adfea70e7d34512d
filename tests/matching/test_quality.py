"""The labelled evaluation set: precision@3, rejects kept out, the trendy-brand trap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.matching import profiles
from bot.matching.engine import Index, Query, rank

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "eval_set.json").read_text(encoding="utf-8")
)["cases"]


def _ranking(index: Index, case: dict[str, Any]) -> list[str]:
    own = profiles.profile_from_mapping(case["profile"])
    return [m.name for m in rank(index, Query(own=own, top=index.size))]


def test_labels_name_real_demo_partners(demo: profiles.Parsed) -> None:
    names = {p.name for p in demo.profiles}
    for case in CASES:
        assert set(case["shortlist"]) <= names
        assert set(case["reject"]) <= names
        assert not set(case["shortlist"]) & set(case["reject"])


def test_precision_at_3(demo_index: Index, record_property: Any) -> None:
    scores = {}
    for case in CASES:
        top3 = _ranking(demo_index, case)[:3]
        scores[case["profile"]["name"]] = len(set(top3) & set(case["shortlist"])) / 3
    mean = sum(scores.values()) / len(scores)
    record_property("precision_at_3", round(mean, 3))
    print(f"\nprecision@3 on {len(scores)} labelled cases: {mean:.2f}")
    for name, value in scores.items():
        print(f"  {name}: {value:.2f}")
    # 0.80 when written; 0.70 leaves room for weight tuning, not for regressions.
    assert mean >= 0.7
    assert min(scores.values()) >= 2 / 3


@pytest.mark.parametrize("case", CASES, ids=[c["profile"]["name"] for c in CASES])
def test_no_rejected_partner_in_top_5(demo_index: Index, case: dict[str, Any]) -> None:
    top5 = _ranking(demo_index, case)[:5]
    assert not set(top5) & set(case["reject"])


def test_trendy_brands_rank_below_every_affine_partner(demo_index: Index) -> None:
    case = CASES[0]
    own = profiles.profile_from_mapping(case["profile"])
    matches = rank(demo_index, Query(own=own, top=demo_index.size))
    order = [m.name for m in matches]
    worst_affine = max(order.index(name) for name in case["shortlist"])
    for name in case["trendy"]:
        assert order.index(name) > worst_affine, name
        match = matches[order.index(name)]
        assert match.total_audience >= 1_000_000
        assert "warn.trendy" in [w.key for w in match.warnings]
    # ...even when the user's words favour them.
    matches = rank(demo_index, Query(own=own, words="kids fashion clothes", top=10))
    assert not {m.name for m in matches[:5]} & set(case["trendy"])
