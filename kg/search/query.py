"""Turning a search request into a tantivy query.

Ranking (BM25 throughout):
- per query word, the best of its matches across fields (dis-max, so a word found in twelve
  fields does not count twelve times): stemmed in each language's fields, verbatim in the neutral
  ones, titles weighing most, then keywords and labels, then descriptions, then publisher and place
  names; a typo-tolerant (fuzzy) and, for the word being typed, a prefix alternative weigh less;
- words are combined with "should" (and for longer queries a minimum number of them), and a
  phrase match of the whole query in titles or keywords adds a bonus;
- semantic expansion adds, for documents classified by a reached concept, a constant score
  proportional to the concept's expansion weight (dis-max over concepts).
Filters never score: they are "must" clauses of the same boolean query, which is also the query
the facet counts are computed on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import tantivy

from . import schema as S
from .expansion import Expansion, _distance
from .geo import BBox

TITLE_BOOST = 3.0
KEYWORD_BOOST = 2.0
BODY_BOOST = 1.0
NEUTRAL_FACTOR = 0.8
CONTEXT_BOOST = 0.5
FUZZY_BOOST = 1.2
PREFIX_BOOST = 0.8
PHRASE_BOOST = 2.0
CONCEPT_BOOST = 8.0
CORRECTION_FACTOR = 0.8
TEXT_GROUPS_FOR_SPELLING = ("title", "kw", "body")
TIE_BREAKER = 0.2


@dataclass
class QueryWord:
    """One word of the query in every form the index may hold it."""

    text: str
    neutral: str | None
    stems: dict[str, str] = field(default_factory=dict)
    last: bool = False
    corrections: list[QueryWord] = field(default_factory=list)
    """Indexed words one typo away, used when the word itself occurs nowhere (spelling correction)."""


@dataclass
class TextPlan:
    words: list[QueryWord]
    query: tantivy.Query | None


class QueryBuilder:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self.plain = S.plain_analyzer()
        self.neutral = S.neutral_analyzer()
        self.languages = {lang: S.language_analyzer(lang) for lang in S.LANGUAGES}
        self.fold = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase())
                     .filter(tantivy.Filter.ascii_fold()).build())

    # -- words -----------------------------------------------------------------------------------
    def words(self, q: str, *, typing: bool = False) -> list[QueryWord]:
        """The query's words; stop words (in every indexed language) are dropped unless that leaves
        nothing. `typing` marks the last word as unfinished (prefix matching for type-ahead)."""
        raw = self.plain.analyze(q)
        out = []
        for text in raw:
            neutral = self.neutral.analyze(text)
            stems = {lang: toks[0] for lang, a in self.languages.items() if (toks := a.analyze(text))}
            out.append(QueryWord(text, neutral[0] if neutral else None, stems))
        content = [w for w in out if w.neutral is not None]
        if not content and out:
            for w in out:  # a query made only of stop words: search them as typed
                w.neutral = self.neutral_fold(w.text)
            content = out
        if content and typing:
            content[-1].last = True
        return content

    def neutral_fold(self, word: str) -> str:
        folded = self.fold.analyze(word)
        return folded[0] if folded else word

    def _word_forms(self, text: str) -> QueryWord:
        neutral = self.neutral.analyze(text)
        stems = {lang: toks[0] for lang, a in self.languages.items() if (toks := a.analyze(text))}
        return QueryWord(text, neutral[0] if neutral else None, stems)

    def correct(self, words: list[QueryWord], searcher: tantivy.Searcher) -> None:
        """Give words that occur nowhere in the index their closest indexed spellings, which then
        score like the real thing (BM25): "trafic" searches as "traffic" and "trafik"."""
        neutral_fields = [S.text_field(g, S.NEUTRAL) for g in TEXT_GROUPS_FOR_SPELLING]
        for w in words:
            n = w.neutral
            if n is None or len(n) < 4 or any(searcher.doc_freq(f, n) for f in (*neutral_fields, S.CONTEXT)):
                continue
            limit = 1 if len(n) < 8 else 2
            found: dict[str, int] = {}
            for name in neutral_fields:
                for term, df in searcher.terms_with_prefix(name, n[:2], limit=20_000):
                    if abs(len(term) - len(n)) <= limit and _distance(n, term, limit) <= limit:
                        found[term] = found.get(term, 0) + df
            if found:
                best = min(_distance(n, t, limit) for t in found)
                chosen = sorted((t for t in found if _distance(n, t, limit) == best), key=lambda t: -found[t])[:3]
                w.corrections = [self._word_forms(t) for t in chosen]

    # -- text --------------------------------------------------------------------------------------
    def text(self, q: str, *, fuzzy: bool = True, prefix: bool = True,
             searcher: tantivy.Searcher | None = None) -> TextPlan:
        typing = prefix and bool(q) and not q[-1].isspace()
        words = self.words(q, typing=typing)
        if not words:
            return TextPlan([], None)
        if fuzzy and searcher is not None:
            self.correct(words, searcher)
        clauses = [(tantivy.Occur.Should, self._word(w, fuzzy=fuzzy)) for w in words]
        n = len(words)
        minimum = 1 if n <= 3 else math.ceil(0.5 * n)
        text = tantivy.Query.boolean_query(clauses, minimum_number_should_match=minimum)
        parts = [(tantivy.Occur.Should, text)]
        if n >= 2:
            tokens = [w.neutral for w in words if w.neutral]
            for name in (S.text_field("title", S.NEUTRAL), S.text_field("kw", S.NEUTRAL)):
                phrase = tantivy.Query.phrase_query(self.schema, name, tokens, slop=1)
                parts.append((tantivy.Occur.Should, tantivy.Query.boost_query(phrase, PHRASE_BOOST)))
        return TextPlan(words, tantivy.Query.boolean_query(parts) if len(parts) > 1 else text)

    def _word(self, w: QueryWord, *, fuzzy: bool) -> tantivy.Query:
        alternatives: list[tantivy.Query] = []
        for corrected in w.corrections:
            alternatives.append(tantivy.Query.boost_query(self._word(corrected, fuzzy=False), CORRECTION_FACTOR))
        for lang, stem in w.stems.items():
            for group, boost in (("title", TITLE_BOOST), ("kw", KEYWORD_BOOST), ("body", BODY_BOOST)):
                alternatives.append(self._term(S.text_field(group, lang), stem, boost))
        if w.neutral:
            n = w.neutral
            for group, boost in (("title", TITLE_BOOST), ("kw", KEYWORD_BOOST), ("body", BODY_BOOST)):
                alternatives.append(self._term(S.text_field(group, S.NEUTRAL), n, boost * NEUTRAL_FACTOR))
            alternatives.append(self._term(S.CONTEXT, n, CONTEXT_BOOST))
            if fuzzy and len(n) >= 5:
                distance = 1 if len(n) < 9 else 2
                for group, boost in (("title", TITLE_BOOST), ("kw", KEYWORD_BOOST)):
                    q = tantivy.Query.fuzzy_term_query(self.schema, S.text_field(group, S.NEUTRAL), n,
                                                       distance=distance, transposition_cost_one=True)
                    alternatives.append(tantivy.Query.boost_query(q, boost * FUZZY_BOOST))
            if w.last and len(n) >= 2:
                for group, boost in (("title", TITLE_BOOST), ("kw", KEYWORD_BOOST)):
                    q = tantivy.Query.fuzzy_term_query(self.schema, S.text_field(group, S.NEUTRAL), n,
                                                       distance=0, prefix=True)
                    alternatives.append(tantivy.Query.boost_query(q, boost * PREFIX_BOOST))
        return tantivy.Query.disjunction_max_query(alternatives, tie_breaker=TIE_BREAKER)

    def _term(self, field_name: str, value: str, boost: float) -> tantivy.Query:
        return tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, field_name, value), boost)

    # -- concepts ----------------------------------------------------------------------------------
    def concepts(self, expansions: Iterable[Expansion], searcher: tantivy.Searcher,
                 boost: float = CONCEPT_BOOST) -> tantivy.Query | None:
        """A constant score per reached concept: its expansion weight times its specificity (an
        IDF: being filed under a concept that covers a third of the catalog says less than being
        filed under one that covers three datasets)."""
        total = max(searcher.num_docs, 2)
        parts = []
        for e in expansions:
            df = searcher.doc_freq(S.ALL_CONCEPTS, e.concept)
            if df == 0:
                continue
            specificity = min(1.0, max(0.2, (1 + math.log(total / (df + 1))) / (1 + math.log(total))))
            term = tantivy.Query.term_query(self.schema, S.ALL_CONCEPTS, e.concept)
            parts.append(tantivy.Query.const_score_query(term, e.weight * specificity))
        if not parts:
            return None
        return tantivy.Query.boost_query(tantivy.Query.disjunction_max_query(parts, tie_breaker=0.1), boost)

    # -- filters -----------------------------------------------------------------------------------
    def any_of(self, field_name: str, values: Iterable[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self.schema, field_name, sorted(set(values)))

    def intersects(self, box: BBox) -> tantivy.Query:
        """Documents whose coverage box meets `box`."""
        f = tantivy.FieldType.Float
        r = tantivy.Query.range_query
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, r(self.schema, S.MIN_LON, f, None, box.max_lon)),
            (tantivy.Occur.Must, r(self.schema, S.MAX_LON, f, box.min_lon, None)),
            (tantivy.Occur.Must, r(self.schema, S.MIN_LAT, f, None, box.max_lat)),
            (tantivy.Occur.Must, r(self.schema, S.MAX_LAT, f, box.min_lat, None)),
        ])

    def inside(self, box: BBox) -> tantivy.Query:
        """Documents whose coverage box lies within `box`."""
        f = tantivy.FieldType.Float
        r = tantivy.Query.range_query
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, r(self.schema, S.MIN_LON, f, box.min_lon, box.max_lon)),
            (tantivy.Occur.Must, r(self.schema, S.MAX_LON, f, box.min_lon, box.max_lon)),
            (tantivy.Occur.Must, r(self.schema, S.MIN_LAT, f, box.min_lat, box.max_lat)),
            (tantivy.Occur.Must, r(self.schema, S.MAX_LAT, f, box.min_lat, box.max_lat)),
        ])

    def overlaps(self, start: datetime | None, end: datetime | None) -> tantivy.Query:
        """Documents whose temporal coverage overlaps [start, end] (either end may be open)."""
        d = tantivy.FieldType.Date
        parts = []
        if end is not None:
            parts.append((tantivy.Occur.Must, tantivy.Query.range_query(self.schema, S.T_START, d, None, end)))
        if start is not None:
            parts.append((tantivy.Occur.Must, tantivy.Query.range_query(self.schema, S.T_END, d, start, None)))
        if not parts:
            parts.append((tantivy.Occur.Must, tantivy.Query.exists_query(S.T_START)))
        return tantivy.Query.boolean_query(parts)

    def since(self, when: datetime) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, S.MODIFIED, tantivy.FieldType.Date, when, None)
