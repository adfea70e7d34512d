from __future__ import annotations

import struct

from bot.kernel.i18n import Translator
from bot.kpi import charts


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_png_of_the_expected_size() -> None:
    series = [
        charts.Series(
            name=name,
            unit=unit,
            target=target,
            labels=[f"W{w}" for w in range(3, 11)],
            weekly=[float(w) for w in range(8)],
            cumulative=[float(sum(range(w + 1))) for w in range(8)],
        )
        for name, unit, target in (("leads", "", 50.0), ("revenue", "€", 20000.0))
    ]
    png = charts.render(series, Translator("fr"))
    assert _png_size(png) == charts.size_for(2) == (800, 400)
    assert png.endswith(b"IEND\xaeB`\x82")
    assert _png_size(charts.render(series[:1], Translator("en"))) == (800, 400)


def test_chart_labels_follow_the_language() -> None:
    revenue = charts.Series(
        name="revenue",
        unit="€",
        target=20000.0,
        labels=["W1", "W2"],
        weekly=[1000.5, 250.0],
        cumulative=[1000.5, 1250.5],
    )
    assert charts.tick_label(1.0, "fr") == "100\u00a0%"
    assert charts.tick_label(1.0, "en") == "100%"
    assert charts.legend_label(revenue, Translator("fr")) == (
        "revenue\u00a0: 1\u202f250,50\u00a0€ / 20\u202f000\u00a0€"
    )
    assert charts.legend_label(revenue, Translator("en")) == "revenue: €1,250.50 / €20,000"
    leads = charts.Series("leads", "", 1.5, ["W1"], [0.5], [0.5])
    assert charts.legend_label(leads, Translator("fr")) == "leads\u00a0: 0,5 / 1,5"
