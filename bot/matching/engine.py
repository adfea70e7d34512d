"""The matching engine: a directory index and an explainable score.

Every profile becomes a few sparse rows (one matrix per criterion: audience,
objectives, culture, channels, resources, needs, sectors, geography) plus a
TF-IDF row of its description. Scoring a query is a handful of sparse
matrix-vector products over the whole directory (numpy/scipy), so 100,000
profiles answer in milliseconds; only the top N are then explained in words.

Tags and words are compared after the same normalisation: accents and case
folded, then stemmed with the Snowball English and French stemmers in turn, so
"Familles" matches "famille" and "events" matches "event". Free text is
tokenised by scikit-learn's TfidfVectorizer (accents stripped by it too).

No part of the score is learnt: each is a ratio of overlapping tags or a
cosine, weighted by `bot.matching.weights.Weights`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import snowballstemmer
from scipy import sparse

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

from bot.matching.profiles import Contact, Profile
from bot.matching.vocabulary import FRENCH_TO_ENGLISH
from bot.matching.weights import CULTURE_CONFLICTS, PARTS, ROLE_KEYWORDS, Weights
from bot.parsing import fold

# Tag-like fields indexed as binary matrices.
TAG_FIELDS = ("audience", "objectives", "culture", "sectors", "resources", "needs")
# Short French function words: TF-IDF would mostly discount them anyway, but
# they would show up as "matching words" in the reasons.
FRENCH_STOP_WORDS = frozenset(
    [
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "m",
        "n",
        "s",
        "t",
        "y",
        "est",
        "sont",
        "tres",
        "plus",
        "chez",
        "entre",
        "aussi",
    ]
)
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


class Normaliser:
    """Folding and stemming with a memo: directories repeat the same words."""

    def __init__(self) -> None:
        # scikit-learn is imported here, not at the top: it takes a second or two
        # and only `/match` needs it.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

        self.stop_words = frozenset(ENGLISH_STOP_WORDS) | FRENCH_STOP_WORDS
        self._en = snowballstemmer.stemmer("english")
        self._fr = snowballstemmer.stemmer("french")
        self._stems: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._base = TfidfVectorizer(strip_accents="unicode", lowercase=True).build_analyzer()
        # French words mapped to their English counterpart, compared as stems.
        self._synonyms: dict[str, str] = {}
        for french, english in FRENCH_TO_ENGLISH:
            fr_words = [w for w in _WORD_SPLIT.split(fold(french)) if w]
            en_words = [w for w in _WORD_SPLIT.split(fold(english)) if w]
            if len(fr_words) == len(en_words):
                for fr_word, en_word in zip(fr_words, en_words, strict=True):
                    self._synonyms[self._chain(fr_word)] = self._chain(en_word)

    def _chain(self, word: str) -> str:
        return self._fr.stemWord(self._en.stemWord(word))

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            # English then French: plurals and inflections of both collapse,
            # and the same chain runs on both sides of every comparison.
            stem = self._chain(word)
            stem = self._synonyms.get(stem, stem)
            self._stems[word] = stem
        return stem

    def tag(self, tag: str) -> str:
        """'Éco-Conscious ' -> 'eco-consc'; '25-34' -> '25-34'."""
        key = self._tags.get(tag)
        if key is None:
            words = [w for w in _WORD_SPLIT.split(fold(tag)) if w]
            key = "-".join(self.stem(w) for w in words)
            self._tags[tag] = key
        return key

    def words(self, text: str) -> list[str]:
        """The analyzer given to TfidfVectorizer: sklearn tokenises, Snowball stems."""
        return [self.stem(w) for w in self._base(text) if w not in self.stop_words]


@dataclass(slots=True)
class TagMatrix:
    """One criterion over the directory: a sparse n x vocabulary matrix."""

    matrix: sparse.csr_matrix
    vocab: dict[str, int]
    labels: list[str]  # column -> the tag as first typed, for the reasons
    counts: np.ndarray  # distinct tags per row

    def columns(self, keys: Iterable[str]) -> list[int]:
        return sorted({self.vocab[k] for k in keys if k in self.vocab})

    def mask(self, columns: Sequence[int]) -> np.ndarray:
        vector = np.zeros(len(self.labels), dtype=np.float32)
        vector[list(columns)] = 1.0
        return vector

    def row_columns(self, row: int) -> np.ndarray:
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        return self.matrix.indices[start:end]


def _build_tags(
    rows: Iterable[Sequence[str]], norm: Normaliser, n: int, *, keep_case: bool = False
) -> TagMatrix:
    vocab: dict[str, int] = {}
    labels: list[str] = []
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices: list[int] = []
    for i, tags in enumerate(rows):
        seen: set[int] = set()
        for tag in tags:
            key = tag.upper() if keep_case else norm.tag(tag)
            if not key:
                continue
            col = vocab.get(key)
            if col is None:
                col = vocab[key] = len(labels)
                labels.append(tag)
            if col not in seen:
                seen.add(col)
                indices.append(col)
        indptr[i + 1] = len(indices)
    index_array = np.asarray(indices, dtype=np.int32)
    data = np.ones(len(index_array), dtype=np.float32)
    matrix = sparse.csr_matrix((data, index_array, indptr), shape=(n, max(len(labels), 1)))
    matrix.sort_indices()
    return TagMatrix(matrix, vocab, labels or [""], np.diff(indptr).astype(np.float32))


@dataclass(slots=True)
class Index:
    """A tenant's directory, ready to score. Immutable once built."""

    ids: np.ndarray  # database ids (or positions) of the profiles
    names: list[str]
    tags: dict[str, TagMatrix]
    geography: TagMatrix
    channels: sparse.csc_matrix  # n x channels, audience size (0 = size unknown)
    channel_vocab: dict[str, int]
    channel_present: sparse.csr_matrix  # n x channels, 1 where the channel is listed
    channel_counts: np.ndarray
    total_audience: np.ndarray
    text: sparse.csr_matrix  # TF-IDF rows, L2-normalised
    vectorizer: TfidfVectorizer | None
    normaliser: Normaliser

    @property
    def size(self) -> int:
        return len(self.names)


def build_index(
    profiles: Sequence[Profile],
    ids: Sequence[int] | None = None,
    normaliser: Normaliser | None = None,
) -> Index:
    from sklearn.feature_extraction.text import TfidfVectorizer

    norm = normaliser or Normaliser()
    n = len(profiles)
    tag_matrices = {
        name: _build_tags((getattr(p, name) for p in profiles), norm, n) for name in TAG_FIELDS
    }
    geography = _build_tags((p.geography for p in profiles), norm, n, keep_case=True)
    # Channels: sizes in one matrix, presence in another (a listed channel of unknown size).
    channel_vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    sizes: list[float] = []
    for i, p in enumerate(profiles):
        for channel, size in p.channels.items():
            col = channel_vocab.setdefault(norm.tag(channel), len(channel_vocab))
            rows.append(i)
            cols.append(col)
            sizes.append(float(size))
    shape = (n, max(len(channel_vocab), 1))
    row_array = np.asarray(rows, dtype=np.int32)
    col_array = np.asarray(cols, dtype=np.int32)
    size_array = np.asarray(sizes, dtype=np.float64)
    channels = sparse.csc_matrix((size_array, (row_array, col_array)), shape=shape)
    present = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (row_array, col_array)), shape=shape
    )
    present.data[:] = 1.0  # a channel listed twice is still one channel
    total = np.asarray(channels.sum(axis=1)).ravel()
    vectorizer: TfidfVectorizer | None = TfidfVectorizer(
        analyzer=norm.words, sublinear_tf=True, dtype=np.float32
    )
    documents = [_document(p) for p in profiles]
    try:
        text = vectorizer.fit_transform(documents).tocsr()  # type: ignore[union-attr]
    except ValueError:  # every description empty: no vocabulary
        vectorizer, text = None, sparse.csr_matrix((n, 1), dtype=np.float32)
    return Index(
        ids=np.asarray(list(ids) if ids is not None else range(n), dtype=np.int64),
        names=[p.name for p in profiles],
        tags=tag_matrices,
        geography=geography,
        channels=channels,
        channel_vocab=channel_vocab,
        channel_present=present,
        channel_counts=np.diff(present.indptr).astype(np.float32),
        total_audience=total,
        text=text,
        vectorizer=vectorizer,
        normaliser=norm,
    )


def _document(p: Profile) -> str:
    """What free words are compared with: the description and the descriptive tags."""
    return " ".join([p.name, p.description, *p.sectors, *p.resources, *p.audience, *p.objectives])


# -- queries ------------------------------------------------------------------


@dataclass(slots=True)
class Query:
    own: Profile | None = None
    words: str = ""
    sector: str | None = None
    geo: str | None = None
    min_audience: int | None = None
    top: int = 5


@dataclass(slots=True)
class Note:
    """A reason or a warning: a catalog key (under `matching.`) and its values."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Match:
    row: int
    id: int
    name: str
    score: int  # 0-100
    # part -> (value in [0, 1], points it adds to the score); judged parts only.
    parts: dict[str, tuple[float, float]]
    reasons: list[Note]
    warnings: list[Note]
    total_audience: int
    unknown: list[str]


def _geo_columns(index: Index, codes: Iterable[str]) -> list[int]:
    """Codes match exactly or by region prefix: FR matches FR-IDF and back."""
    wanted = [c.upper() for c in codes if c]
    cols = []
    for code, col in index.geography.vocab.items():
        for w in wanted:
            if code == w or code.startswith(w + "-") or w.startswith(code + "-"):
                cols.append(col)
                break
    return cols


def _safe_div(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(np.asarray(b) > 0, a / np.maximum(b, 1e-9), 0.0)
    return out.astype(np.float32)


@dataclass(slots=True)
class _Scored:
    parts: dict[str, np.ndarray]
    unknown: dict[str, np.ndarray]  # criterion -> rows where the candidate left it blank
    audience_tags: np.ndarray | None
    weights: dict[str, float]


def _own_columns(index: Index, field_name: str, own: Profile) -> tuple[list[int], int]:
    tags = getattr(own, field_name)
    keys = {index.normaliser.tag(t) for t in tags}
    keys.discard("")
    return index.tags[field_name].columns(keys), len(keys)


def _score_parts(index: Index, query: Query, w: Weights) -> _Scored:
    parts: dict[str, np.ndarray] = {}
    unknown: dict[str, np.ndarray] = {}
    own = query.own
    weights: dict[str, float] = {}
    audience_tags = None
    credit = np.float32(w.unknown_credit)
    if own is not None:
        # Audience affinity: how much of OUR persona they reach.
        aud = index.tags["audience"]
        cols, wanted = _own_columns(index, "audience", own)
        geo_cols = _geo_columns(index, own.geography)
        if wanted:
            inter = aud.matrix @ aud.mask(cols)
            coverage = inter / wanted
            precision = _safe_div(inter, aud.counts)
            audience_tags = (
                w.audience_coverage_share * coverage + (1 - w.audience_coverage_share) * precision
            ).astype(np.float32)
            blank = aud.counts == 0
            audience_tags[blank] = credit
            unknown["audience"] = blank
            value = audience_tags
            if own.geography:
                geo = index.geography
                geo_hit = (geo.matrix @ geo.mask(geo_cols)) > 0
                geo_score = np.where(geo.counts == 0, credit, geo_hit.astype(np.float32))
                share = w.audience_geography_share
                value = ((1 - share) * audience_tags + share * geo_score).astype(np.float32)
            parts["audience"] = value
        for name in ("objectives", "culture"):
            matrix = index.tags[name]
            cols, wanted = _own_columns(index, name, own)
            if not wanted:
                continue
            inter = matrix.matrix @ matrix.mask(cols)
            value = _safe_div(inter, np.sqrt(matrix.counts * wanted))
            if name == "culture":
                conflicts = _conflict_columns(index, own)
                if conflicts:
                    hits = matrix.matrix @ matrix.mask(conflicts)
                    value = np.clip(value - w.culture_conflict_penalty * hits, 0.0, 1.0)
            blank = matrix.counts == 0
            value[blank] = credit
            unknown[name] = blank
            parts[name] = value.astype(np.float32)
        if own.channels:
            parts["equivalence"] = _equivalence(index, own, w)
            unknown["channels"] = index.channel_counts == 0
            parts["equivalence"][unknown["channels"]] = credit
        complement = _complementarity(index, own, w)
        if complement is not None:
            parts["complementarity"], unknown["resources"] = complement
    text_query = query.words.strip()
    if not text_query and own is not None:
        text_query = " ".join([own.description, *own.needs, *own.objectives])
    if text_query and index.vectorizer is not None:
        vector = index.vectorizer.transform([text_query])
        if vector.nnz:
            parts["relevance"] = (
                np.asarray((index.text @ vector.T).todense()).ravel().astype(np.float32)
            )
    for name in parts:
        weights[name] = w.part(name)
    if query.words.strip() and "relevance" in weights:
        weights["relevance"] = max(weights["relevance"], w.relevance_with_words)
    return _Scored(parts, unknown, audience_tags, weights)


def _conflict_columns(index: Index, own: Profile) -> list[int]:
    norm = index.normaliser
    mine = {norm.tag(t) for t in own.culture}
    opposite: set[str] = set()
    for a, b in CULTURE_CONFLICTS:
        ka, kb = norm.tag(a), norm.tag(b)
        if ka in mine and kb not in mine:
            opposite.add(kb)
        if kb in mine and ka not in mine:
            opposite.add(ka)
    return index.tags["culture"].columns(opposite)


def _equivalence(index: Index, own: Profile, w: Weights) -> np.ndarray:
    """Same channels, comparable sizes: 1 for equal sizes, 0 at `comparable_size_factor`."""
    total = np.zeros(index.size, dtype=np.float32)
    span = math.log10(max(w.comparable_size_factor, 1.0001))
    counted = 0
    for channel, size in own.channels.items():
        counted += 1
        col = index.channel_vocab.get(index.normaliser.tag(channel))
        if col is None:
            continue
        start, end = index.channels.indptr[col], index.channels.indptr[col + 1]
        rows = index.channels.indices[start:end]
        theirs = index.channels.data[start:end]
        if size > 0:
            with np.errstate(divide="ignore"):
                gap = np.abs(np.log10(np.maximum(theirs, 1.0)) - math.log10(size)) / span
            value = np.clip(1.0 - gap, 0.0, 1.0)
            value[theirs <= 0] = 0.5  # listed, size unknown: half credit
        else:
            value = np.full(len(rows), 0.5)
        total[rows] += value.astype(np.float32)
    return total / max(counted, 1)


def _complementarity(
    index: Index, own: Profile, w: Weights
) -> tuple[np.ndarray, np.ndarray] | None:
    resources, needs = index.tags["resources"], index.tags["needs"]
    norm = index.normaliser
    our_needs = {norm.tag(t) for t in own.needs} - {""}
    our_resources = {norm.tag(t) for t in own.resources} - {""}
    if not our_needs and not our_resources:
        return None
    # They bring what we need: share of our needs found in their resources.
    they_bring = (
        (resources.matrix @ resources.mask(resources.columns(our_needs))) / len(our_needs)
        if our_needs
        else None
    )
    # We bring what they need: share of their needs found in our resources.
    we_bring = (
        _safe_div(needs.matrix @ needs.mask(needs.columns(our_resources)), needs.counts)
        if our_resources
        else None
    )
    if they_bring is None:
        value = we_bring
    elif we_bring is None:
        value = they_bring
    else:
        share = w.complementarity_ours_share
        value = share * they_bring + (1 - share) * we_bring
    assert value is not None
    blank = (resources.counts == 0) & (needs.counts == 0)
    value = value.astype(np.float32)
    value[blank] = w.unknown_credit
    return value, blank


def _filter_mask(index: Index, query: Query) -> np.ndarray | None:
    keep: np.ndarray | None = None

    def both(mask: np.ndarray) -> None:
        nonlocal keep
        keep = mask if keep is None else keep & mask

    if query.sector:
        sectors = index.tags["sectors"]
        key = index.normaliser.tag(query.sector)
        cols = [c for k, c in sectors.vocab.items() if key and (k == key or key in k.split("-"))]
        both((sectors.matrix @ sectors.mask(cols)) > 0)
    if query.geo:
        geo = index.geography
        both((geo.matrix @ geo.mask(_geo_columns(index, [query.geo]))) > 0)
    if query.min_audience:
        both(index.total_audience >= query.min_audience)
    return keep


def rank(index: Index, query: Query, weights: Weights | None = None) -> list[Match]:
    """The top `query.top` candidates, best first, each explained."""
    w = weights or Weights()
    if index.size == 0:
        return []
    scored = _score_parts(index, query, w)
    total_weight = sum(scored.weights.values())
    if total_weight <= 0:
        return []
    score = np.zeros(index.size, dtype=np.float32)
    for name, value in scored.parts.items():
        score += (scored.weights[name] / total_weight) * value
    keep = _filter_mask(index, query)
    if keep is not None:
        score = np.where(keep, score, -1.0).astype(np.float32)
    top = max(1, query.top)
    candidates = (
        np.argpartition(-score, top - 1)[:top] if top < index.size else np.arange(index.size)
    )
    # Ties broken by name so results are stable.
    best = sorted(candidates.tolist(), key=lambda r: (-float(score[r]), index.names[r]))
    return [
        explain(index, query, scored, row, float(score[row]), total_weight, w)
        for row in best
        if score[row] >= 0
    ]


def explain(
    index: Index,
    query: Query,
    scored: _Scored,
    row: int,
    score: float,
    total_weight: float,
    w: Weights,
) -> Match:
    parts = {
        name: (float(value[row]), 100 * scored.weights[name] / total_weight * float(value[row]))
        for name, value in scored.parts.items()
    }
    ordered = {name: parts[name] for name in PARTS if name in parts}
    evidence = _evidence(index, query, row, w)
    reasons: list[Note] = []
    for name, _ in sorted(ordered.items(), key=lambda kv: -kv[1][1]):
        for note in evidence.get(name, []):
            if len(reasons) < 3:
                reasons.append(note)
    unknown = [c for c, rows in scored.unknown.items() if bool(rows[row])]
    warnings: list[Note] = []
    total = int(index.total_audience[row])
    if (
        scored.audience_tags is not None
        and total >= w.trendy_min_audience
        and float(scored.audience_tags[row]) < w.trendy_max_affinity
    ):
        warnings.append(
            Note(
                "warn.trendy",
                {"audience": total, "affinity": round(100 * float(scored.audience_tags[row]))},
            )
        )
    if unknown:
        warnings.append(Note("warn.unknown", {"criteria": unknown}))
    return Match(
        row=row,
        id=int(index.ids[row]),
        name=index.names[row],
        score=int(round(100 * max(0.0, min(1.0, score)))),
        parts=ordered,
        reasons=reasons,
        warnings=warnings,
        total_audience=total,
        unknown=unknown,
    )


def _shared(index: Index, field_name: str, row: int, ours: Iterable[str]) -> list[str]:
    """Our tags (as we typed them) that the candidate's `field_name` also has."""
    matrix = index.tags[field_name]
    theirs = set(matrix.row_columns(row).tolist())
    shared = []
    for tag in ours:
        col = matrix.vocab.get(index.normaliser.tag(tag))
        if col is not None and col in theirs:
            shared.append(tag)
    return shared


def _evidence(index: Index, query: Query, row: int, w: Weights) -> dict[str, list[Note]]:
    """The overlapping tags behind each part, as reasons in waiting."""
    out: dict[str, list[Note]] = {}
    own = query.own
    norm = index.normaliser
    if own is not None:
        for name, key in (
            ("audience", "audience"),
            ("objectives", "objectives"),
            ("culture", "culture"),
        ):
            shared = _shared(index, key, row, getattr(own, key))
            if shared:
                out[name] = [Note(f"reason.{name}", {"tags": shared})]
        channels = []
        for channel, size in own.channels.items():
            col = index.channel_vocab.get(norm.tag(channel))
            if col is None:
                continue
            theirs = float(index.channels[row, col])
            if not index.channel_present[row, col]:
                continue
            if (
                size <= 0
                or theirs <= 0
                or max(theirs, size) / max(min(theirs, size), 1.0) < w.comparable_size_factor
            ):
                channels.append((channel, int(theirs), size))
        if channels:
            out["equivalence"] = [Note("reason.equivalence", {"channels": channels})]
        notes = []
        bring = _shared(index, "resources", row, own.needs)
        if bring:
            notes.append(Note("reason.they_bring", {"tags": bring}))
        want = _shared(index, "needs", row, own.resources)
        if want:
            notes.append(Note("reason.we_bring", {"tags": want}))
        if notes:
            out["complementarity"] = notes
    if query.words.strip() and index.vectorizer is not None:
        stems = {s: word for word in query.words.split() for s in norm.words(word)}
        vocabulary = index.vectorizer.vocabulary_
        start, end = index.text.indptr[row], index.text.indptr[row + 1]
        present_cols = set(index.text.indices[start:end].tolist())
        words = [word for s, word in stems.items() if vocabulary.get(s) in present_cols]
        if words:
            out["relevance"] = [Note("reason.relevance", {"tags": list(dict.fromkeys(words))})]
    return out


# -- whom to contact ------------------------------------------------------------


def role_closeness(role: str) -> float:
    folded = " ".join(_WORD_SPLIT.split(fold(role)))
    return sum(weight for word, weight in ROLE_KEYWORDS if word in folded)


def best_contact(contacts: Sequence[Contact]) -> Contact | None:
    """The contact whose role is closest to partnerships, marketing or business development."""
    if not contacts:
        return None
    return max(contacts, key=lambda c: (role_closeness(c.role), -contacts.index(c)))
