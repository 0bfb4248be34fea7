"""Explaining results: which words matched where, which concepts and mappings brought a result in,
and the snippet to show. Computed only for the page of results being returned, from the stored
display record, so it costs nothing per matching document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import schema as S
from .expansion import ConceptGraph, Expansion, _distance, best_label
from .query import QueryWord
from .results import MappingStep, Reason

SNIPPET_CHARS = 180


class Explainer:
    def __init__(self) -> None:
        self.neutral = S.neutral_analyzer()
        self.languages = {lang: S.language_analyzer(lang) for lang in S.LANGUAGES}

    def _forms(self, text: str, lang: str | None) -> tuple[set[str], set[str]]:
        neutral = set(self.neutral.analyze(text))
        stems = set(self.languages[lang].analyze(text)) if lang in self.languages else set()
        return neutral, stems

    @staticmethod
    def _matches(w: QueryWord, neutral: set[str], stems: set[str], lang: str | None) -> bool:
        """The word, or one of its spelling corrections, in the text's neutral or stemmed forms (or,
        for the word being typed, as the start of a word)."""
        for form in (w, *w.corrections):
            if form.neutral is not None and form.neutral in neutral:
                return True
            if lang is not None and lang in form.stems and form.stems[lang] in stems:
                return True
        return bool(w.last and w.neutral and any(t.startswith(w.neutral) for t in neutral))

    def text_reason(self, words: list[QueryWord], display: dict[str, Any]) -> Reason | None:
        """The query words found in the title, keywords or description (None when none is found there:
        then the match was in publisher or place names, a typo, or deep in a long description)."""
        parts: list[tuple[str, str, str | None]] = []
        parts += [("title", t, lang or None) for lang, t in display.get("t", {}).items()]
        parts += [("keyword", t, lang or None) for t, lang in display.get("k", [])]
        parts += [("description", t, lang or None) for lang, t in display.get("d", {}).items()]
        forms = [(name, lang, *self._forms(text, lang)) for name, text, lang in parts]
        terms: list[str] = []
        fields: list[str] = []
        for w in words:
            for name, lang, neutral, stems in forms:
                if self._matches(w, neutral, stems, lang):
                    if w.text not in terms:
                        terms.append(w.text)
                    if name not in fields:
                        fields.append(name)
        for w in words:  # typo tolerance: say which indexed word a query word was taken for
            if w.text in terms or w.neutral is None or len(w.neutral) < 5:
                continue
            limit = 1 if len(w.neutral) < 9 else 2
            for name, _lang, neutral, _stems in forms:
                near = next((t for t in sorted(neutral) if abs(len(t) - len(w.neutral)) <= limit
                             and _distance(w.neutral, t, limit) <= limit), None)
                if near is not None:
                    terms.append(f"{w.text}≈{near}")
                    if name not in fields:
                        fields.append(name)
                    break
        if not terms:
            return None
        return Reason(kind="text", terms=terms, fields=fields)

    def snippet(self, words: list[QueryWord], display: dict[str, Any], lang: str | None) -> str:
        """A stretch of the description around the first query word, preferring a description that
        shows a match, then the wanted language, then English."""
        descriptions: dict[str, str] = display.get("d", {})
        if not descriptions:
            return ""
        order = [x for x in dict.fromkeys([lang, "en", "", *sorted(descriptions)]) if x is not None]
        candidates = [(la, descriptions[la]) for la in order if la in descriptions]
        for la, text in candidates:
            start = self._first_match(words, text, la or None)
            if start is not None:
                return _window(text, start)
        return _window(candidates[0][1], 0)

    def _first_match(self, words: list[QueryWord], text: str, lang: str | None) -> int | None:
        if not words:
            return None
        forms = [f for w in words for f in (w, *w.corrections)]
        neutral = {f.neutral for f in forms if f.neutral}
        typed = next((w.neutral for w in words if w.last and w.neutral), None)
        positions = [t.char_offset_from for t in self.neutral.pre_tokenize(text).tokens
                     if t.text in neutral or (typed and t.text.startswith(typed))][:1]
        analyzer = self.languages.get(lang or "")
        if analyzer is not None:
            stems = {f.stems[lang] for f in forms if lang in f.stems}
            positions += [t.char_offset_from for t in analyzer.pre_tokenize(text).tokens if t.text in stems][:1]
        return min(positions) if positions else None


def _window(text: str, start: int) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    begin = max(0, start - 40)
    if begin > 0:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < start else begin
    end = min(len(text), begin + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + SNIPPET_CHARS // 2 else end
    return ("…" if begin > 0 else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


def concept_reasons(concepts: Iterable[str], expansions: dict[str, Expansion], graph: ConceptGraph,
                    lang: str | None, *, kind_direct: str = "concept", kind_mapped: str = "mapping",
                    limit: int = 3) -> list[Reason]:
    """The strongest concepts (at most `limit`) that connect the document to the query."""
    found = sorted((expansions[c] for c in set(concepts) if c in expansions), key=lambda e: (-e.weight, e.concept))
    reasons = []
    for e in found[:limit]:
        via = [MappingStep(step.relation, step.concept, graph.label(step.concept, lang)) for step in e.path]
        kind = "feedback" if e.match.kind == "feedback" else kind_direct if e.direct else kind_mapped
        reasons.append(Reason(kind=kind, concept=e.concept,
                              concept_label=graph.label(e.concept, lang), matched=e.match.label, via=via,
                              weight=round(e.weight, 3)))
    return reasons


def display_title(display: dict[str, Any], lang: str | None, fallback: str) -> tuple[str, str | None]:
    titles: dict[str, str] = display.get("t", {})
    if not titles:
        return fallback, None
    chosen = best_label([(t, la or None) for la, t in titles.items()], lang)
    for la, t in titles.items():
        if t == chosen:
            return t, la or None
    return fallback, None
