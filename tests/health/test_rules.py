"""The rules alone: pure functions of facts, at their thresholds' edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.health import rules

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TH = rules.Thresholds()


def plan_with(overdue_days: int) -> rules.PlanFacts:
    return rules.PlanFacts(
        launch=date(2026, 4, 1),
        milestones=[
            rules.MilestoneFact(
                1, "Landing page", TODAY - timedelta(days=overdue_days), False, True
            )
        ],
        moves=[],
    )


def test_overdue_is_a_risk_up_to_seven_days_then_exposure() -> None:
    assert rules.plan(plan_with(0), TODAY, TH).state == rules.OK  # due today: not late
    assert rules.plan(plan_with(1), TODAY, TH).state == rules.RISK
    assert rules.plan(plan_with(7), TODAY, TH).state == rules.RISK
    exposed = rules.plan(plan_with(8), TODAY, TH)
    assert exposed.state == rules.EXPOSED
    assert exposed.fix == rules.Say("fix.plan_overdue", {"number": 1})
    assert rules.plan(
        plan_with(8), TODAY, rules.Thresholds(plan_overdue_exposed_days=10)
    ).state == (rules.RISK)


def partner(score: int, affinity: float | None, trendy: bool = False) -> rules.Finding:
    facts = rules.PartnerFacts(
        own_profile=True,
        partners=["Beta"],
        scored=[rules.PartnerScore("Beta", score, affinity, trendy, 1000)],
        unprofiled=[],
    )
    return rules.partner_choice(facts, TH)


def test_partner_score_and_affinity_bars() -> None:
    assert partner(50, 0.34).state == rules.OK
    assert partner(49, 0.9).state == rules.RISK
    assert partner(90, 0.33).state == rules.RISK
    assert partner(90, None).state == rules.RISK  # their audience is unknown
    assert partner(90, 0.9, trendy=True).state == rules.RISK


def test_the_worst_check_decides_and_names_the_command() -> None:
    facts = rules.AgreementFacts(
        status="signed",
        terms_total=8,
        terms_written=8,
        first_missing=None,
        parties=["Acme", "Beta"],
        confirmed_by=["Acme", "Beta"],
        awaiting=[],
        changed=[],
        signed_link="https://example.com/s.pdf",
        end_date=TODAY + timedelta(days=30),
    )
    near = rules.agreement(facts, TODAY, TH)
    assert near.state == rules.RISK and near.fix.key == "fix.contract_date"
    assert [e.key for e in near.decisive] == ["agreement.end_near"]
    assert len(near.evidence) == 3  # confirmed, signed, end date: all shown
    far = rules.agreement(facts, TODAY - timedelta(days=1), TH)  # 31 days before
    assert far.state == rules.OK and far.fix.key == "fix.contract_show"


def test_decisions_window_and_chain_length() -> None:
    def facts(days_ago: int, chain: int) -> rules.DecisionFacts:
        recent = [
            rules.DecisionFact(1, "Acme", NOW - timedelta(days=days_ago)),
            rules.DecisionFact(2, "Beta", NOW - timedelta(days=days_ago)),
        ]
        return rules.DecisionFacts(
            parties=["Acme", "Beta"],
            recent=recent,
            last=recent[-1],
            chains=[list(range(1, chain + 1))] if chain > 1 else [],
        )

    assert rules.decisions(facts(1, 2), TH).state == rules.OK
    risky = rules.decisions(facts(1, 3), TH)
    assert risky.state == rules.RISK and risky.fix == rules.Say("fix.decisions_show", {"number": 3})
    none = rules.DecisionFacts(["Acme", "Beta"], [], None, [])
    assert rules.decisions(none, TH).state == rules.EXPOSED


def test_tracking_staleness_edges() -> None:
    def facts(days: float) -> rules.TrackingFacts:
        metric = rules.MetricFact("leads", vanity=False, trend="on_track")
        return rules.TrackingFacts(
            [rules.ObjectiveFact("Co-launch", [metric])], NOW - timedelta(days=days)
        )

    assert rules.tracking(facts(6.9), NOW, TH).state == rules.OK
    assert rules.tracking(facts(7), NOW, TH).state == rules.RISK
    assert rules.tracking(facts(13.9), NOW, TH).state == rules.RISK
    assert rules.tracking(facts(14), NOW, TH).state == rules.EXPOSED


def test_five_findings_in_the_order_of_the_sins() -> None:
    facts = rules.Facts(
        partner=rules.PartnerFacts(False, [], [], []),
        agreement=rules.AgreementFacts(None, 8, 0, "parties", [], [], [], [], None, None),
        plan=rules.PlanFacts(None, [], []),
        decisions=rules.DecisionFacts([], [], None, []),
        tracking=rules.TrackingFacts([], None),
    )
    found = rules.check(facts, NOW, TODAY)
    assert [f.sin for f in found] == list(rules.SINS)
    assert {f.state for f in found} == {rules.EXPOSED}
    assert [f.icon for f in found] == ["❌"] * 5


def test_decisions_by_people_in_no_company() -> None:
    recent = [rules.DecisionFact(1, None, NOW)]
    facts = rules.DecisionFacts(["Acme", "Beta"], recent, recent[0], [])
    finding = rules.decisions(facts, TH)
    assert finding.state == rules.RISK
    assert [e.key for e in finding.evidence] == ["decisions.no_company"]
    assert finding.fix == rules.Say("fix.party_add")
