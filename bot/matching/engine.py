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
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import snowballstemmer
from scipy import sparse

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from bot.kernel.parsing import fold
from bot.matching.profiles import Contact, Profile
from bot.matching.vocabulary import FRENCH_TO_ENGLISH
from bot.matching.weights import CULTURE_CONFLICTS, PARTS, ROLE_KEYWORDS, Weights

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
            if any(c.isdigit() for c in word):
                return word  # numbers and codes: nothing to stem, nothing to remember
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

    matrix: sparse.csr_matrix  # rows: what a profile lists (explanations)
    by_column: sparse.csc_matrix  # columns: who lists a tag (scoring)
    vocab: dict[str, int]
    labels: list[str]  # column -> the tag as first typed
    counts: np.ndarray  # distinct tags per row

    def hits(self, columns: Sequence[int]) -> np.ndarray:
        """How many of `columns` each row lists: touches only those columns' entries."""
        return column_sum(self.by_column, columns, self.matrix.shape[0])

    def columns(self, keys: Iterable[str]) -> list[int]:
        return sorted({self.vocab[k] for k in keys if k in self.vocab})

    def row_columns(self, row: int) -> np.ndarray:
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        return self.matrix.indices[start:end]


def _build_tags(
    rows: Iterable[Sequence[str]], norm: Normaliser, n: int, *, keep_case: bool = False
) -> TagMatrix:
    rows = list(rows)
    vocab: dict[str, int] = {}
    labels: list[str] = []
    # Tag as typed -> column (-1: empty once normalised). Directories repeat the
    # same tags: each distinct string is normalised once, then looked up in C.
    flat = list(chain.from_iterable(rows))
    column_of: dict[str, int] = {}
    for tag in dict.fromkeys(flat):
        key = tag.upper() if keep_case else norm.tag(tag)
        if not key:
            column_of[tag] = -1
            continue
        col = vocab.get(key)
        if col is None:
            col = vocab[key] = len(labels)
            labels.append(tag)
        column_of[tag] = col
    cols = np.fromiter(map(column_of.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    row_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keep = cols >= 0
    shape = (n, max(len(labels), 1))
    matrix = sparse.coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (row_of[keep], cols[keep])), shape=shape
    ).tocsr()
    # Two tags that normalise alike ("parent", "parents") count once.
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    counts = np.diff(matrix.indptr).astype(np.float32)
    return TagMatrix(matrix, matrix.tocsc(), vocab, labels or [""], counts)


def column_sum(
    by_column: sparse.csc_matrix,
    columns: Sequence[int],
    n: int,
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """Row sums of the chosen columns (optionally weighted), as a dense vector.

    Cost is the number of entries in those columns, not the size of the
    matrix: a query for "parents" reads only the rows that list it.
    """
    if len(columns) == 0:
        return np.zeros(n, dtype=np.float32)
    indptr, indices, data = by_column.indptr, by_column.indices, by_column.data
    rows = np.concatenate([indices[indptr[c] : indptr[c + 1]] for c in columns])
    values = np.concatenate(
        [
            data[indptr[c] : indptr[c + 1]] * (1.0 if weights is None else weights[i])
            for i, c in enumerate(columns)
        ]
    )
    return np.bincount(rows, weights=values, minlength=n).astype(np.float32)


@dataclass(slots=True)
class Index:
    """A tenant's directory, ready to score. Immutable once built."""

    ids: np.ndarray  # database ids (or positions) of the profiles
    names: list[str]
    tags: dict[str, TagMatrix]
    geography: TagMatrix
    channels: sparse.csc_matrix  # n x channels, audience size (0 = size unknown)
    channel_rows: sparse.csr_matrix  # the same by row, 1 added: listed with size unknown > 0
    channel_vocab: dict[str, int]
    channel_counts: np.ndarray
    total_audience: np.ndarray
    text: sparse.csr_matrix  # TF-IDF rows, L2-normalised
    text_by_column: sparse.csc_matrix
    text_model: TextModel | None
    normaliser: Normaliser

    @property
    def size(self) -> int:
        return len(self.names)


def build_index(
    profiles: Sequence[Profile],
    ids: Sequence[int] | None = None,
    normaliser: Normaliser | None = None,
) -> Index:
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
    # Sizes plus one, so that a channel listed without a size is still stored.
    channel_rows = sparse.csr_matrix((size_array + 1.0, (row_array, col_array)), shape=shape)
    channel_counts = np.diff(channel_rows.indptr).astype(np.float32)
    total = np.asarray(channels.sum(axis=1)).ravel()
    text_model, text = _fit_text([_document(p) for p in profiles], norm)
    return Index(
        ids=np.asarray(list(ids) if ids is not None else range(n), dtype=np.int64),
        names=[p.name for p in profiles],
        tags=tag_matrices,
        geography=geography,
        channels=channels,
        channel_vocab=channel_vocab,
        channel_rows=channel_rows,
        channel_counts=channel_counts,
        total_audience=total,
        text=text,
        text_by_column=text.tocsc(),
        text_model=text_model,
        normaliser=norm,
    )


def _preprocess(text: str) -> str:
    from sklearn.feature_extraction.text import strip_accents_ascii

    # The ASCII accent stripper is C-speed; French ligatures first, or it drops them.
    return strip_accents_ascii(text.lower().replace("œ", "oe").replace("æ", "ae"))


@dataclass(slots=True)
class TextModel:
    """TF-IDF over stems: scikit-learn counts words, columns of one stem are merged.

    Stemming the vocabulary (tens of thousands of words) instead of every
    token (millions) keeps the build of 100,000 descriptions to seconds.
    """

    counter: CountVectorizer
    merge: sparse.csr_matrix  # words x stems, 1 where a word has that stem
    tfidf: TfidfTransformer
    stems: dict[str, int]  # stem -> column of the text matrix

    def vector(self, text: str, norm: Normaliser) -> tuple[list[int], list[float]]:
        """The query's TF-IDF entries (columns, weights), L2-normalised like the rows.

        Query words are stemmed directly, so "famille" finds "familles" even if
        no description has the word "famille" itself.
        """
        counts: dict[int, int] = {}
        for stem in norm.words(text):
            col = self.stems.get(stem)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return [], []
        cols = list(counts)
        tf = 1.0 + np.log(np.asarray([counts[c] for c in cols], dtype=np.float64))
        weights = tf * self.tfidf.idf_[cols]
        weights /= np.linalg.norm(weights)
        return cols, weights.tolist()


def _fit_text(documents: list[str], norm: Normaliser) -> tuple[TextModel | None, sparse.csr_matrix]:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    counter = CountVectorizer(
        preprocessor=_preprocess, stop_words=sorted(norm.stop_words), dtype=np.float32
    )
    try:
        counts = counter.fit_transform(documents)
    except ValueError:  # no description has a word: no text part
        return None, sparse.csr_matrix((len(documents), 1), dtype=np.float32)
    stems: dict[str, int] = {}
    stem_of_word = np.empty(len(counter.vocabulary_), dtype=np.int64)
    for word, col in counter.vocabulary_.items():
        stem_of_word[col] = stems.setdefault(norm.stem(word), len(stems))
    words = len(stem_of_word)
    merge = sparse.csr_matrix(
        (np.ones(words, dtype=np.float32), (np.arange(words), stem_of_word)),
        shape=(words, len(stems)),
    )
    tfidf = TfidfTransformer(sublinear_tf=True)
    text = tfidf.fit_transform(counts @ merge).astype(np.float32).tocsr()
    return TextModel(counter, merge, tfidf, stems), text


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
            inter = aud.hits(cols)
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
                geo_hit = geo.hits(geo_cols) > 0
                geo_score = np.where(geo.counts == 0, credit, geo_hit.astype(np.float32))
                share = w.audience_geography_share
                value = ((1 - share) * audience_tags + share * geo_score).astype(np.float32)
            parts["audience"] = value
        for name in ("objectives", "culture"):
            matrix = index.tags[name]
            cols, wanted = _own_columns(index, name, own)
            if not wanted:
                continue
            inter = matrix.hits(cols)
            value = _safe_div(inter, np.sqrt(matrix.counts * wanted))
            if name == "culture":
                conflicts = _conflict_columns(index, own)
                if conflicts:
                    hits = matrix.hits(conflicts)
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
    if text_query and index.text_model is not None:
        cols, values = index.text_model.vector(text_query, index.normaliser)
        if cols:
            # Cosine of L2-normalised rows: only the query terms' columns are read.
            parts["relevance"] = column_sum(index.text_by_column, cols, index.size, values)
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
        resources.hits(resources.columns(our_needs)) / len(our_needs) if our_needs else None
    )
    # We bring what they need: share of their needs found in our resources.
    we_bring = (
        _safe_div(needs.hits(needs.columns(our_resources)), needs.counts) if our_resources else None
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
        both(sectors.hits(cols) > 0)
    if query.geo:
        geo = index.geography
        both(geo.hits(_geo_columns(index, [query.geo])) > 0)
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
    unknown = [c for c, rows in scored.unknown.items() if bool(rows[row])]
    total = int(index.total_audience[row])
    trendy = (
        scored.audience_tags is not None
        and "audience" not in unknown  # a blank audience is "unknown", not "not affine"
        and total >= w.trendy_min_audience
        and float(scored.audience_tags[row]) < w.trendy_max_affinity
    )
    if trendy:
        # The trendy-brand warning says the audience is not affine: no "✓ affine" beside it.
        evidence.pop("audience", None)
    reasons: list[Note] = []
    for name, _ in sorted(ordered.items(), key=lambda kv: -kv[1][1]):
        for note in evidence.get(name, []):
            if len(reasons) < 3:
                reasons.append(note)
    warnings: list[Note] = []
    if trendy:
        assert scored.audience_tags is not None
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
            start, end = index.channel_rows.indptr[row], index.channel_rows.indptr[row + 1]
            where = np.flatnonzero(index.channel_rows.indices[start:end] == col)
            if len(where) == 0:
                continue
            theirs = float(index.channel_rows.data[start + where[0]]) - 1.0
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
    if query.words.strip() and index.text_model is not None:
        stems = {s: word for word in query.words.split() for s in norm.words(word)}
        vocabulary = index.text_model.stems
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
