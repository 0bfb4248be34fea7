"""Records: the unit of harvesting, quarantine and the change feed.

A record is one dataset (or dataset series, or data service) with everything a page says about
what it reaches through its own properties: distributions, contact points, agents, blank-node
structures; it stops at other records and catalogs. Records are computed page by page, so
memory stays bounded by the page size, not the catalog size.

A record's digest does not depend on blank-node labels (each harvest relabels them), so a
record whose description did not change keeps its digest from one harvest to the next, and the
change feed reports only real changes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

DCAT = "http://www.w3.org/ns/dcat#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
HYDRA = "http://www.w3.org/ns/hydra/core#"
RECORD_TYPES = frozenset(ox.NamedNode(DCAT + t) for t in ("Dataset", "DatasetSeries", "DataService"))
CATALOG_TYPES = frozenset({ox.NamedNode(DCAT + "Catalog")})
CATALOG_LINKS = frozenset(ox.NamedNode(DCAT + p) for p in ("dataset", "service", "catalog", "record"))
HYDRA_TYPES = frozenset(ox.NamedNode(HYDRA + t) for t in
                        ("PartialCollectionView", "PagedCollection", "Collection", "PagedCollectionView"))
MAX_DEPTH = 6
_DCT = "http://purl.org/dc/terms/"
_ODRL = "http://www.w3.org/ns/odrl/2/"
RECORD_LINKS = frozenset(ox.NamedNode(p) for p in (
    DCAT + "distribution", DCAT + "contactPoint", DCAT + "accessService", DCAT + "theme",
    DCAT + "qualifiedRelation", _DCT + "publisher", _DCT + "creator", _DCT + "rightsHolder", _DCT + "spatial",
    _DCT + "temporal", _DCT + "conformsTo", _DCT + "license", _DCT + "rights", _DCT + "provenance",
    _ODRL + "hasPolicy", "http://www.w3.org/ns/prov#qualifiedAttribution", "http://www.w3.org/ns/adms#identifier",
    "http://www.w3.org/ns/adms#sample", "http://xmlns.com/foaf/0.1/page", "http://spdx.org/rdf/terms#checksum",
))
"""Links along which a record's description continues into other named resources (two steps at most:
a dataset's distribution's licence); blank nodes are always followed. Other links (an agent's
memberships, a concept's broader concepts) lead to resources with descriptions of their own."""
MAX_NAMED_DEPTH = 2

Node = ox.NamedNode | ox.BlankNode


@dataclass
class Record:
    iri: str
    nodes: set[Node] = field(default_factory=set)
    """Subjects whose description belongs to the record (itself included)."""
    digest: str = ""


@dataclass
class Page:
    """One page's triples, split: what goes into the source, and its records."""

    triples: list[tuple[Node, ox.NamedNode, object]]
    """What goes into the source: the page without its paging controls."""
    records: dict[str, Record]
    catalogs: set[Node]


def _term(t: object) -> str:
    return str(t)


def split_page(triples: list[tuple[Node, ox.NamedNode, object]]) -> Page:
    """Drop paging controls, find the records of one page and digest them.

    Works on (subject, predicate, object) tuples: reading the parts of a pyoxigraph Quad
    allocates a new object per access, which at a million triples is most of the cost.
    """
    by_subject: dict[Node, list[tuple[ox.NamedNode, object]]] = defaultdict(list)
    types = [(s, o) for s, p, o in triples if p == RDF_TYPE]
    hydra_nodes = {s for s, o in types if o in HYDRA_TYPES}
    hydra_preds = {p for p in {p for _s, p, _o in triples} if p.value.startswith(HYDRA)}
    if hydra_nodes or hydra_preds:
        kept = [t for t in triples if t[1] not in hydra_preds and t[0] not in hydra_nodes]
    else:
        kept = triples
    for s, p, o in kept:
        by_subject[s].append((p, o))
    roots = {s for s, o in types if o in RECORD_TYPES and s not in hydra_nodes}
    catalogs = {s for s, o in types if o in CATALOG_TYPES and s not in hydra_nodes}
    stops = roots | catalogs
    records: dict[str, Record] = {}
    bnode_hash: dict[ox.BlankNode, str] = {}
    for root in roots:
        if not isinstance(root, ox.NamedNode):
            continue  # a blank-node dataset cannot be followed across harvests
        rec = Record(root.value, _closure(root, by_subject, stops))
        lines = sorted(_lines(rec.nodes, by_subject, bnode_hash))
        rec.digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
        records[root.value] = rec
    return Page(kept, records, catalogs)


def _closure(root: Node, by_subject: dict[Node, list[tuple[ox.NamedNode, object]]], stops: set[Node]) -> set[Node]:
    seen: set[Node] = {root}
    frontier: list[tuple[Node, int, int]] = [(root, 0, 0)]
    while frontier:
        node, depth, named = frontier.pop()
        if depth >= MAX_DEPTH:
            continue
        for p, o in by_subject.get(node, ()):
            if p == RDF_TYPE or not isinstance(o, ox.NamedNode | ox.BlankNode):
                continue
            if o in seen or o in stops or o not in by_subject:
                continue
            steps = named
            if isinstance(o, ox.NamedNode):
                if p not in RECORD_LINKS or named >= MAX_NAMED_DEPTH:
                    continue
                steps += 1
            seen.add(o)
            frontier.append((o, depth + 1, steps))
    return seen


def _lines(nodes: set[Node], by_subject: dict[Node, list[tuple[ox.NamedNode, object]]],
           bnode_hash: dict[ox.BlankNode, str]) -> list[str]:
    out = []
    for n in nodes:
        if isinstance(n, ox.BlankNode):
            continue  # described inside the hash of whoever points at it
        for p, o in by_subject.get(n, ()):
            out.append(f"{n} {p} {_object_key(o, by_subject, bnode_hash, set())}")
    return out


def _object_key(o: object, by_subject: dict[Node, list[tuple[ox.NamedNode, object]]],
                bnode_hash: dict[ox.BlankNode, str], path: set[ox.BlankNode]) -> str:
    if not isinstance(o, ox.BlankNode):
        return _term(o)
    cached = bnode_hash.get(o)
    if cached is not None:
        return cached
    if o in path:
        return "_:cycle"
    path.add(o)
    inner = sorted(f"{p} {_object_key(x, by_subject, bnode_hash, path)}" for p, x in by_subject.get(o, ()))
    path.discard(o)
    key = "_:" + hashlib.sha256("\n".join(inner).encode()).hexdigest()[:24]
    bnode_hash[o] = key
    return key


def diff(old: dict[str, str], new: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) record IRIs between two {record: digest} states."""
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    return added, changed, removed


class _GraphView:
    """`by_subject` over one stored graph, read lazily (a source can be larger than memory allows)."""

    def __init__(self, store: ox.Store, graph: ox.NamedNode | list[ox.NamedNode]) -> None:
        self.store = store
        self.graphs = graph if isinstance(graph, list) else [graph]
        self.cache: dict[Node, list[tuple[ox.NamedNode, object]]] = {}

    def get(self, node: Node, default: object = ()) -> list[tuple[ox.NamedNode, object]]:
        found = self.cache.get(node)
        if found is None:
            found = [(q.predicate, q.object) for g in self.graphs
                     for q in self.store.quads_for_pattern(node, None, None, g)]
            if len(self.cache) > 50_000:
                self.cache.clear()
            self.cache[node] = found
        return found

    def __contains__(self, node: object) -> bool:
        return bool(self.get(node))  # type: ignore[arg-type]

    def prefetch(self, roots: list[Node], stops: set[Node], levels: int = 3) -> None:
        """Read the descriptions of `roots` and what they link to, a level per query, into the cache.

        One SPARQL query per level instead of one index lookup per node: serving a catalog page
        of 1,000 records is then a handful of queries. The closure walk that follows finds
        everything it needs here (and reads the rest itself).
        """
        frontier = [n for n in roots if n not in self.cache]
        for _level in range(levels):
            if not frontier:
                return
            found: dict[Node, list[tuple[ox.NamedNode, object]]] = {n: [] for n in frontier}
            values = " ".join(str(n) for n in frontier if isinstance(n, ox.NamedNode))
            for g in self.graphs if values else ():
                # VALUES inside GRAPH: Oxigraph looks each subject up in the index (outside, it scans).
                for row in self.store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g.value}> {{ "
                                            f"VALUES ?s {{ {values} }} ?s ?p ?o }} }}"):
                    found[row[0]].append((row[1], row[2]))
            for n in frontier:
                if isinstance(n, ox.BlankNode):
                    found[n] = self.get(n)
            self.cache.update(found)
            nxt: set[Node] = set()
            for pairs in found.values():
                for p, o in pairs:
                    if p != RDF_TYPE and isinstance(o, ox.NamedNode | ox.BlankNode) and o not in stops \
                            and o not in self.cache:
                        nxt.add(o)
            frontier = list(nxt)


def graph_digests(store: ox.Store, graph: ox.NamedNode) -> dict[str, str]:
    """{record IRI: digest} of a stored graph, computed the same way as for harvested pages."""
    view = _GraphView(store, graph)
    roots: set[Node] = set()
    for t in RECORD_TYPES:
        roots.update(q.subject for q in store.quads_for_pattern(None, RDF_TYPE, t, graph))  # type: ignore[misc]
    stops = roots | {q.subject for t in CATALOG_TYPES  # type: ignore[misc]
                     for q in store.quads_for_pattern(None, RDF_TYPE, t, graph)}
    out: dict[str, str] = {}
    bnode_hash: dict[ox.BlankNode, str] = {}
    for root in roots:
        if not isinstance(root, ox.NamedNode):
            continue
        nodes = _closure(root, view, stops)  # type: ignore[arg-type]
        lines = sorted(_lines(nodes, view, bnode_hash))  # type: ignore[arg-type]
        out[root.value] = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
    return out
