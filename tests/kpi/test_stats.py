"""Aggregation across week boundaries and time zones; attribution adds up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.kpi.points import NewPoint, store_points
from bot.kpi.stats import figures, iso_week, reviewed_week, trend, week_of, weekly_series
from storage import db
from storage.models import Partnership
from storage.models.kpi import Metric, Objective

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _setup(engine: Engine, team: str = "t1") -> tuple[Partnership, Metric]:
    factory = db.make_session_factory(engine)
    with factory() as s:
        p = Partnership(platform="console", team_id=team, channel_id="launch", created_at=NOW)
        s.add(p)
        s.flush()
        o = Objective(
            platform="console",
            team_id=team,
            partnership_id=p.id,
            name="Launch",
            name_key="launch",
            created_by="u",
            created_at=NOW,
        )
        s.add(o)
        s.flush()
        m = Metric(
            platform="console",
            team_id=team,
            partnership_id=p.id,
            objective_id=o.id,
            name="leads",
            name_key="leads",
            target=100,
            created_by="u",
            created_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        s.add(m)
        s.commit()
        return p, m


def test_week_bounds_follow_the_channel_time_zone(engine: Engine) -> None:
    p, m = _setup(engine)
    factory = db.make_session_factory(engine)
    # Sunday 8 March 23:30 in Paris is Sunday 22:30 UTC: week 10 in Paris.
    # Monday 9 March 00:30 in Paris is Sunday 23:30 UTC: week 11 in Paris, week 10 in UTC.
    points = [
        NewPoint(m, 1, datetime(2026, 3, 8, 22, 30, tzinfo=UTC)),
        NewPoint(m, 10, datetime(2026, 3, 8, 23, 30, tzinfo=UTC)),
        NewPoint(m, 100, datetime(2026, 3, 2, 0, 30, tzinfo=UTC)),  # Mon 2 Mar 01:30 Paris
        NewPoint(m, 1000, datetime(2026, 3, 1, 22, 30, tzinfo=UTC)),  # Sun 1 Mar 23:30 Paris
    ]
    with factory() as s:
        store_points(s, points, NOW)
        s.commit()
        paris = iso_week(date(2026, 3, 9), "Europe/Paris")
        assert (paris.year, paris.week) == (2026, 11)
        [f] = figures(s, p, paris)
        assert f.this_week == 10
        assert f.last_week == 101  # 1 + 100: Sunday 23:30 Paris is still week 10
        assert f.cumulative == 1111
        utc = iso_week(date(2026, 3, 9), "UTC")
        [g] = figures(s, p, utc)
        assert g.this_week == 0
        assert g.last_week == 111  # 1 + 10 + 100 all fall in UTC week 10
        assert g.cumulative == 1111


def test_dst_week_has_the_right_length() -> None:
    week = iso_week(date(2026, 3, 30), "Europe/Paris").previous()  # week of the DST switch
    assert week.end - week.start == timedelta(days=7, hours=-1)
    assert week.start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)


def test_attribution_totals_add_up(engine: Engine) -> None:
    p, m = _setup(engine)
    factory = db.make_session_factory(engine)
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    rows = [
        ("Acme", "newsletter", 5),
        ("Acme", "shop", 7),
        ("Beta", "newsletter", 11),
        (None, None, 2),
        ("Beta", None, 3),
        ("Acme", "newsletter", 1),
    ]
    with factory() as s:
        store_points(s, [NewPoint(m, v, at, partner=pa, channel=ch) for pa, ch, v in rows], NOW)
        s.commit()
        [f] = figures(s, p, week_of(at, "Europe/Paris"))
        assert f.this_week == 29
        assert sum(f.by_partner.values()) == f.this_week
        assert sum(f.by_channel.values()) == f.this_week
        assert f.by_partner == {"Acme": 13, "Beta": 14, None: 2}
        assert f.by_channel == {"newsletter": 17, "shop": 7, None: 5}


def test_weekly_series_and_tenant_isolation(engine: Engine) -> None:
    p, m = _setup(engine, "t1")
    p2, m2 = _setup(engine, "t2")
    factory = db.make_session_factory(engine)
    with factory() as s:
        store_points(
            s,
            [
                NewPoint(m, 2, datetime(2026, 2, 3, tzinfo=UTC)),
                NewPoint(m, 3, datetime(2026, 3, 3, tzinfo=UTC)),
            ],
            NOW,
        )
        store_points(s, [NewPoint(m2, 50, datetime(2026, 3, 3, tzinfo=UTC))], NOW)
        s.commit()
        weeks = [iso_week(date(2026, 2, 23), "UTC"), iso_week(date(2026, 3, 2), "UTC")]
        series = weekly_series(s, p, [m.id, m2.id], weeks)  # m2 belongs to another team
        assert series[m.id] == (2.0, [0.0, 3.0])
        assert series[m2.id] == (0.0, [0.0, 0.0])
        assert [f.metric.id for f in figures(s, p2, weeks[1])] == [m2.id]
        assert s.exec(select(Metric).where(Metric.team_id == "t2")).one().id == m2.id


def test_store_points_is_idempotent_by_source_and_id(engine: Engine) -> None:
    _, m = _setup(engine)
    factory = db.make_session_factory(engine)
    at = datetime(2026, 3, 3, tzinfo=UTC)
    with factory() as s:
        first = store_points(
            s,
            [
                NewPoint(m, 1, at, source="crm", external_id="a"),
                NewPoint(m, 1, at, source="crm", external_id="b"),
            ],
            NOW,
        )
        again = store_points(
            s,
            [
                NewPoint(m, 1, at, source="crm", external_id="a"),
                NewPoint(m, 1, at, source="shop", external_id="a"),
                NewPoint(m, 1, at),
                NewPoint(m, 1, at),
            ],
            NOW,
        )
        s.commit()
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (3, 1)


def test_reviewed_week_and_trend() -> None:
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 Paris
    assert reviewed_week(monday, "Europe/Paris").week == 10
    assert reviewed_week(monday + timedelta(days=4), "Europe/Paris").week == 11
    start = datetime(2026, 3, 1, tzinfo=UTC)
    as_of = datetime(2026, 3, 11, tzinfo=UTC)  # 10 days, 10 per day
    assert trend(100, 300, start, as_of, date(2026, 4, 1), "UTC").status == "on_track"
    assert trend(100, 500, start, as_of, date(2026, 4, 1), "UTC").status == "behind"
    assert trend(100, 100, start, as_of, None, "UTC").status == "reached"
    assert trend(10, 100, start, as_of, date(2026, 3, 5), "UTC").status == "missed"
