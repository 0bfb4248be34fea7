"""Cross-sector discovery search: a tantivy index beside the store, kept in sync with it.

Modules, one job each:
- schema.py     fields, languages and analyzers of the index;
- extract.py    reading searchable resources (and facts borrowed from other sources) out of the store;
- indexer.py    the on-disk index, per-source incremental updates, start-up repair, rebuild;
- parallel.py   reading a large source in worker processes, each from a checkpoint of the store;
- expansion.py  SKOS concepts: matching query words to labels, expanding over mappings and hierarchy;
- query.py      building the ranked tantivy query and the filters;
- facets.py     facet counts and reading filter values (IRI, code or label);
- labels.py     display labels for facet values;
- explain.py    why a result matched, snippets, titles in the wanted language;
- geo.py        bounding boxes from WKT; params.py  parsing what people type; results.py  the answers;
- service.py    SearchService: what the API, the CLI and the policy engine use.

Why tantivy rather than SQLite FTS5: FTS5 has one tokenizer per table and only the Porter (English)
stemmer, so per-language stemming means one table per language and merging their bm25() scores by
hand; it has no fuzzy (edit-distance) term matching, no field boosts inside one query beyond column
weights, and no facet aggregation (each count is a GROUP BY over a join). tantivy gives BM25 with
per-field boosts, Snowball stemmers for every EU language, fuzzy and prefix queries over its term
dictionary, dis-max/boolean composition, fast fields with terms aggregations for facets, range
queries on dates and coordinates, and it is a library in the process (no server to run), like
Oxigraph.

Moving to OpenSearch later: the index is derived data with a narrow interface. `to_json()` already
produces one JSON document per resource with the same field names; an OpenSearch mapping would
declare `title_<lang>` etc. with the matching language analyzers, the `f_*` fields as `keyword`,
dates and the four box coordinates (or a `geo_shape`). `SearchIndex.apply/rebuild` become bulk
requests (delete by `f_source`, index the documents, and the manifest document, in one bulk call),
and `QueryBuilder` maps one to one onto the query DSL (`dis_max`, `bool` with `should`/`filter`,
`fuzzy`, `prefix`, `match_phrase`, `constant_score` per concept, `range`), with facets as `terms`
aggregations. `SearchService`, the HTTP API and the CLI stay as they are.
"""

from .results import SearchHit, SearchRequest, SearchResponse
from .service import SearchService

__all__ = ["SearchHit", "SearchRequest", "SearchResponse", "SearchService"]
