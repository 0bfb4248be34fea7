"""The shape of the search index: fields, analyzers and the names every other module uses.

Why this layout:
- Text is indexed once per language it is written in, with that language's stemmer and stop
  words (`title_da`, `body_it`...), so "trafiktællinger" finds "trafiktælling" without an English
  stemmer mangling it; and once more in a language-neutral field (`*_all`: lower-cased, accents
  folded, no stemming) that serves untagged text, other languages, fuzzy and prefix matching.
- Three text groups carry the ranking boosts: titles/names/preferred labels, keywords/alternative
  labels, and descriptions; `context` holds publisher and place names at a low weight.
- Facet and filter values are IRIs in raw (untokenized) fast fields: counted with tantivy's terms
  aggregation, filtered with term queries, and independent of any label language.
- Bookkeeping lives in the index as documents of internal types, so a source's documents and the
  record of which version they came from are committed together (one tantivy commit).
"""

from __future__ import annotations

import tantivy

SCHEMA_VERSION = 3
"""Bump whenever fields or analyzers change: an index of another version is rebuilt at start-up."""

LANGUAGES: dict[str, str] = {
    "en": "english", "da": "danish", "nl": "dutch", "it": "italian", "de": "german", "sv": "swedish",
}
"""Languages with their own stemmed fields (tantivy stemmer names). Text in other languages is
still found through the language-neutral fields."""

NEUTRAL = "all"
TEXT_GROUPS = ("title", "kw", "body")
CONTEXT = "context"

# Document types: what a search result can be.
DATASET, SERVICE, STAKEHOLDER, USECASE, CONCEPT, TWIN, DATASPACE = (
    "dataset", "service", "stakeholder", "usecase", "concept", "twin", "dataspace")
RESULT_TYPES = (DATASET, SERVICE, STAKEHOLDER, USECASE, CONCEPT, TWIN, DATASPACE)
MANIFEST, FACTS = "_manifest", "_facts"
"""Internal documents: one per indexed source (its version), one for the cross-source facts."""
INTERNAL_TYPES = (MANIFEST, FACTS)

# Raw (untokenized) fields.
IRI = "iri"
TYPE = "f_type"
SOURCE = "f_source"
SECTOR = "f_sector"
THEME = "f_theme"
CONCEPT_FACET = "f_concept"
ALL_CONCEPTS = "f_concepts"
"""Every concept a document is classified by (themes, sectors, local concepts, itself for concepts):
the field semantic expansion matches against."""
PUBLISHER = "f_publisher"
CITY = "f_city"
COUNTRY = "f_country"
FORMAT = "f_format"
LICENCE = "f_licence"
REFS = "f_refs"
"""IRIs described elsewhere whose facts (names, geometry, country) went into this document."""
USES = "f_uses"
"""Datasets a use case, twin or data flow uses: answers "which use cases does this dataset serve"."""
RAW_FIELDS = (IRI, TYPE, SOURCE, SECTOR, THEME, CONCEPT_FACET, ALL_CONCEPTS, PUBLISHER, CITY, COUNTRY, FORMAT,
              LICENCE, REFS, USES)

# Dates and coordinates.
MODIFIED = "modified"
T_START = "t_start"
T_END = "t_end"
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = "min_lon", "min_lat", "max_lon", "max_lat"
DISPLAY = "display"
"""Stored only: titles, descriptions and keywords per language, for result titles, snippets and why."""


def text_field(group: str, lang: str) -> str:
    return f"{group}_{lang}"


def analyzer_name(lang: str) -> str:
    return f"agora_{lang}"


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=name in (IRI, TYPE, SOURCE, ALL_CONCEPTS), tokenizer_name="raw",
                          fast=name not in (IRI, REFS, USES))
    for group in TEXT_GROUPS:
        for lang in (*LANGUAGES, NEUTRAL):
            sb.add_text_field(text_field(group, lang), tokenizer_name=analyzer_name(lang))
    sb.add_text_field(CONTEXT, tokenizer_name=analyzer_name(NEUTRAL))
    for name in (MODIFIED, T_START, T_END):
        sb.add_date_field(name, indexed=True, fast=True)
    for name in (MIN_LON, MIN_LAT, MAX_LON, MAX_LAT):
        sb.add_float_field(name, indexed=True, fast=True)
    sb.add_bytes_field(DISPLAY, stored=True)
    return sb.build()


def register_analyzers(index: tantivy.Index) -> dict[str, tantivy.TextAnalyzer]:
    """Register (and return) the analyzers the schema names; must run every time an index is opened."""
    analyzers = {lang: language_analyzer(lang) for lang in LANGUAGES}
    analyzers[NEUTRAL] = neutral_analyzer()
    for lang, analyzer in analyzers.items():
        index.register_tokenizer(analyzer_name(lang), analyzer)
    return analyzers


def language_analyzer(lang: str) -> tantivy.TextAnalyzer:
    """Lower-case, drop the language's stop words, stem, then fold accents (after stemming, which
    needs them), so "Trafiktællinger" and "trafiktaelling" meet."""
    name = LANGUAGES[lang]
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.remove_long(60))
            .filter(tantivy.Filter.stopword(name))
            .filter(tantivy.Filter.stemmer(name))
            .filter(tantivy.Filter.ascii_fold())
            .build())


def neutral_analyzer() -> tantivy.TextAnalyzer:
    """Lower-case and fold accents, no stemming; drops the stop words of every indexed language, so
    that "in" or "de" does not match half the catalog (inflating totals and facet counts)."""
    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.lowercase())
               .filter(tantivy.Filter.remove_long(60)))
    for name in LANGUAGES.values():
        builder = builder.filter(tantivy.Filter.stopword(name))
    return builder.filter(tantivy.Filter.ascii_fold()).build()


def plain_analyzer() -> tantivy.TextAnalyzer:
    """Tokens without stop-word removal: to split a query into the words the user typed."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.remove_long(60))
            .build())


def base_language(tag: str | None) -> str | None:
    """'en-GB' -> 'en'; None for untagged text."""
    if not tag:
        return None
    return tag.split("-", 1)[0].lower()
