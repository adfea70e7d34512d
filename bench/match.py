"""Benchmark `/match` on 100,000 generated profiles.

Prints: index build time, p50/p95 latency of 200 top-10 queries, peak memory
(maximum resident set size of the process), the time to import 100,000 rows
from a CSV file into SQLite (and PostgreSQL when reachable, in a scratch
schema dropped afterwards), and the cold first `/match` that loads the index
from the database. Targets: p95 <= 50 ms, build <= 10 s, memory <= 1 GB,
import < 60 s.

    python bench/match.py [--profiles 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bot.kernel.types import Tenant  # noqa: E402
from bot.matching import profiles  # noqa: E402
from bot.matching.directory import IndexCache  # noqa: E402
from bot.matching.engine import Query, build_index, rank  # noqa: E402
from bot.matching.profiles import Contact, Profile  # noqa: E402
from storage import db  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

AUDIENCE = [
    "parents",
    "familles",
    "urbains",
    "urban",
    "eco-conscious",
    "éco-conscients",
    "students",
    "étudiants",
    "seniors",
    "retraités",
    "18-24",
    "25-34",
    "35-44",
    "45-54",
    "55-64",
    "65+",
    "women",
    "men",
    "gamers",
    "cyclists",
    "hikers",
    "runners",
    "foodies",
    "gourmets",
    "travellers",
    "voyageurs",
    "freelancers",
    "restaurateurs",
    "chefs",
    "developers",
    "designers",
    "pet owners",
    "homeowners",
    "teachers",
    "enseignants",
    "readers",
    "music fans",
    "sneakerheads",
    "luxury buyers",
    "rural",
    "suburban",
]
SECTORS = [
    "food",
    "baby",
    "kids",
    "outdoor",
    "bike",
    "tourism",
    "fashion",
    "saas",
    "restaurants",
    "education",
    "media",
    "retail",
    "fintech",
    "insurance",
    "health",
    "sport",
    "music",
    "books",
    "gaming",
    "energy",
    "housing",
    "logistics",
    "beauty",
    "pets",
    "crafts",
    "events",
    "coworking",
    "consulting",
    "drinks",
    "luxury",
]
GEO = [
    "FR",
    "FR-IDF",
    "FR-ARA",
    "BE",
    "CH",
    "GB",
    "IE",
    "DE",
    "NL",
    "ES",
    "IT",
    "US",
    "CA",
    "NO",
    "PT",
]
CHANNELS = [
    "instagram",
    "newsletter",
    "events",
    "linkedin",
    "tiktok",
    "youtube",
    "facebook",
    "podcast",
]
THINGS = [
    "events",
    "newsletter",
    "retail space",
    "content",
    "samples",
    "budget",
    "audience",
    "venue",
    "workshops",
    "data",
    "software",
    "delivery",
    "training",
    "community",
    "equipment",
    "sponsors",
    "awareness",
    "distribution",
    "influencers",
    "photography",
    "recipes",
    "local community",
    "integrations",
    "repair",
    "booking platform",
]
CULTURE = [
    "agile",
    "formal",
    "data-driven",
    "collaborative",
    "informal",
    "transparent",
    "corporate",
    "craft",
    "fast",
    "slow",
    "remote",
]
OBJECTIVES = [
    "awareness",
    "new customers",
    "retention",
    "revenue",
    "community",
    "impact",
    "prestige",
    "market share",
]
ROLES = ("CEO", "Head of partnerships", "Marketing manager", "Responsable partenariats", "Sales")
WORDS = [
    "atelier",
    "ateliers",
    "vélo",
    "vélos",
    "famille",
    "familles",
    "enfant",
    "enfants",
    "bébé",
    "bio",
    "local",
    "durable",
    "recyclé",
    "seconde",
    "main",
    "réparation",
    "événement",
    "événements",
    "festival",
    "concert",
    "musique",
    "lecture",
    "livre",
    "école",
    "formation",
    "cuisine",
    "restaurant",
    "chef",
    "produits",
    "saison",
    "marché",
    "boutique",
    "magasin",
    "livraison",
    "logiciel",
    "plateforme",
    "application",
    "données",
    "sport",
    "randonnée",
    "montagne",
    "plage",
    "voyage",
    "hôtel",
    "workshop",
    "workshops",
    "bike",
    "bikes",
    "family",
    "families",
    "child",
    "children",
    "baby",
    "organic",
    "sustainable",
    "recycled",
    "repair",
    "event",
    "events",
    "festival",
    "music",
    "reading",
    "book",
    "school",
    "training",
    "cooking",
    "restaurant",
    "market",
    "shop",
    "store",
    "delivery",
    "software",
    "platform",
    "app",
    "data",
    "sport",
    "hiking",
    "mountain",
    "beach",
    "travel",
    "hotel",
    "community",
    "newsletter",
    "podcast",
    "coaching",
    "design",
    "fashion",
    "jewellery",
    "tea",
    "coffee",
    "bakery",
    "garden",
    "plants",
    "pets",
    "dogs",
    "cats",
    "yoga",
    "wellness",
    "running",
    "climbing",
    "kayak",
    "ski",
]


def generate(count: int, seed: int) -> list[Profile]:
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        channels = {
            c: int(10 ** rnd.uniform(2.5, 6.3)) for c in rnd.sample(CHANNELS, rnd.randint(1, 4))
        }
        out.append(
            Profile(
                name=f"Bench Org {i:06d}",
                description=" ".join(rnd.choices(WORDS, k=rnd.randint(12, 25))),
                sectors=rnd.sample(SECTORS, rnd.randint(1, 3)),
                audience=rnd.sample(AUDIENCE, rnd.randint(2, 6)),
                geography=rnd.sample(GEO, rnd.randint(1, 3)),
                channels=channels,
                resources=rnd.sample(THINGS, rnd.randint(1, 4)),
                needs=rnd.sample(THINGS, rnd.randint(1, 4)),
                culture=rnd.sample(CULTURE, rnd.randint(1, 3)),
                objectives=rnd.sample(OBJECTIVES, rnd.randint(1, 3)),
                contacts=[Contact(f"Person {i}", rnd.choice(ROLES), f"p{i}@bench.example.org")],
                website=f"https://org{i}.example.org",
            )
        )
    return out


def queries(count: int, seed: int) -> list[Query]:
    rnd = random.Random(seed)
    owns = generate(count, seed + 1)
    out = []
    for own in owns:
        out.append(
            Query(
                own=own,
                words=" ".join(rnd.choices(WORDS, k=rnd.randint(1, 4)))
                if rnd.random() < 0.6
                else "",
                sector=rnd.choice(SECTORS) if rnd.random() < 0.2 else None,
                geo=rnd.choice(GEO) if rnd.random() < 0.2 else None,
                min_audience=rnd.choice([1000, 10000, 100000]) if rnd.random() < 0.2 else None,
                top=10,
            )
        )
    return out


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_import(
    url: str, label: str, csv_path: Path, n: int, schema: str | None = None, full: bool = True
) -> None:
    if schema is not None:
        admin = db.make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{url}?options=-csearch_path%3D{schema}"
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        factory = db.make_session_factory(engine)
        tenant = Tenant("console", "bench")
        started = time.perf_counter()
        parsed = profiles.parse_file(csv_path)
        parsed_at = time.perf_counter()
        with db.transaction(factory) as session:
            result = profiles.import_parsed(session, tenant, parsed, NOW)
        done = time.perf_counter()
        assert result.created == n, result
        print(
            f"import {n:,} rows into {label}: {done - started:.1f} s "
            f"(parse {parsed_at - started:.1f} s, store {done - parsed_at:.1f} s)"
        )
        if not full:  # keeps the whole benchmark near two minutes
            return
        started = time.perf_counter()
        with db.transaction(factory) as session:
            result = profiles.import_parsed(session, tenant, profiles.parse_file(csv_path), NOW)
        print(f"re-import (all updates) into {label}: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with factory() as session:
            index = IndexCache().get(session, tenant)
        print(
            f"cold first /match on {label} (load {index.size:,} profiles + build index): "
            f"{time.perf_counter() - started:.1f} s"
        )
    finally:
        engine.dispose()
        if schema is not None:
            admin = db.make_engine(url.split("?")[0])
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    n = args.profiles

    started = time.perf_counter()
    directory = generate(n, seed=7)
    print(f"generated {n:,} profiles in {time.perf_counter() - started:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    index = build_index(directory)
    build = time.perf_counter() - started
    # CPU time too: on a shared machine the wall time includes waiting for a core.
    print(
        f"index build: {build:.2f} s wall, {time.process_time() - cpu:.2f} s CPU (target <= 10 s)"
    )

    batch = queries(args.queries, seed=11)
    rank(index, batch[0])  # first call pays lazy imports
    latencies = []
    cpu = time.process_time()
    for query in batch:
        started = time.perf_counter()
        matches = rank(index, query)
        latencies.append((time.perf_counter() - started) * 1000)
        assert len(matches) <= 10
    cpu_per_query = (time.process_time() - cpu) / len(batch) * 1000
    p50, p95, p99 = (pct(latencies, p) for p in (50, 95, 99))
    print(
        f"/match top-10 over {n:,} profiles, {len(batch)} queries: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target <= 50 ms), p99 {p99:.1f} ms, "
        f"median {statistics.median(latencies):.1f} ms, mean CPU {cpu_per_query:.1f} ms"
    )
    print(f"peak memory (max RSS) after build and queries: {peak_mb():.0f} MB (target <= 1024 MB)")

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "partners.csv"
        csv_path.write_text(profiles.export_text(directory, "csv"), encoding="utf-8")
        del index, directory
        bench_import(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", csv_path, n)
        try:
            probe = db.make_engine(PG_URL)
            with probe.connect():
                pass
            probe.dispose()
        except Exception as err:  # noqa: BLE001 - any failure means "not reachable"
            print(f"PostgreSQL not reachable ({type(err).__name__}): import part skipped")
        else:
            schema = f"bench_match_{uuid.uuid4().hex[:8]}"
            bench_import(PG_URL, "PostgreSQL", csv_path, n, schema=schema, full=False)
    print(f"peak memory (max RSS) overall: {peak_mb():.0f} MB")
    ok = build <= 10 and p95 <= 50 and peak_mb() <= 1024
    # Reported, not enforced: on a machine shared with other jobs the wall times
    # include waiting for a core (compare the CPU figures), and `make bench` runs on.
    print("targets met" if ok else "TARGETS MISSED (see the CPU figures on a busy machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
