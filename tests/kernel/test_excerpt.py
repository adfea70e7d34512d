"""Cut texts never break a mention or a channel reference (it would show raw)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.formatting import excerpt
from bot.kernel.types import MENTION_RE

WORDS = st.sampled_from(["budget", "launch", "<@console~nido~david>", "<@U0ALICE>", "<#C1>", "é"])


@given(st.lists(WORDS, max_size=40), st.integers(min_value=10, max_value=120))
def test_an_excerpt_is_short_and_cuts_no_token(words: list[str], limit: int) -> None:
    text = " ".join(words)
    cut = excerpt(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith("…") and text.startswith(cut[:-1])
        body = cut[:-1]
        assert body.count("<") == body.count(">")  # every token it starts, it ends
        assert all(m in text for m in MENTION_RE.findall(body))


def test_the_cut_falls_before_a_mention_it_would_split() -> None:
    text = "created Nido; also in Nido: <@console~nido~david>"
    assert excerpt(text, 40) == "created Nido; also in Nido:…"
