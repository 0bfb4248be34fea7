"""Records that two sources both describe: linked once, counted once.

A city's catalog harvested directly and again through a national portal gives two records
with different IRIs for one dataset. They are recognised by a shared `dct:identifier`, a
shared `adms:identifier` notation, or an `owl:sameAs` between them, and linked in the system
source `agora-links`:

    <portal record> owl:sameAs <city record> ; agora:duplicateOf <city record> .

The canonical record of a group is one from a source curated directly (not harvested) if there
is one, else the smallest IRI; search counts and lists only canonical records, and each record's
page shows the links. The links are recomputed after every harvest and load, and rewritten only
when they change.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from .namespaces import AGORA, DCAT, DCT

LINKS_SOURCE = "agora-links"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
ADMS_IDENTIFIER = "http://www.w3.org/ns/adms#identifier"
SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
DUPLICATE_OF = ox.NamedNode(AGORA + "duplicateOf")


def find_duplicates(store: Any, harvested: set[str] | None = None) -> dict[str, str]:
    """{duplicate record IRI: canonical record IRI} across the current curator sources."""
    sources = store.sources(include_system=False)
    if len(sources) < 2:
        return {}
    graphs = " ".join(f"<{s.physical.value}>" for s in sources)
    source_of = {s.physical.value: s.name for s in sources}
    rows = store.ox.query(f"""
        SELECT ?d ?g ?key WHERE {{
          VALUES ?g {{ {graphs} }}
          GRAPH ?g {{
            ?d a <{DCAT}Dataset> .
            {{ ?d <{DCT}identifier> ?id BIND(CONCAT("id:", STR(?id)) AS ?key) }}
            UNION {{ ?d <{ADMS_IDENTIFIER}>/<{SKOS_NOTATION}> ?id BIND(CONCAT("id:", STR(?id)) AS ?key) }}
            UNION {{ ?d <{OWL_SAME_AS}> ?same BIND(CONCAT("iri:", STR(?same)) AS ?key) }}
            UNION {{ ?other <{OWL_SAME_AS}> ?d BIND(CONCAT("iri:", STR(?d)) AS ?key) }}
          }}
        }}""")
    groups: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        d = row["d"]
        if isinstance(d, ox.NamedNode):
            groups[row["key"].value][d.value].add(source_of[row["g"].value])
    # owl:sameAs names the other record by IRI: make the IRI itself a member of its group.
    for key, members in groups.items():
        if key.startswith("iri:"):
            target = key[4:]
            for s in sources:
                if next(iter(store.ox.quads_for_pattern(ox.NamedNode(target), None, None, s.physical)), None):
                    members[target].add(s.name)
    harvested = harvested or set()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    sources_of: dict[str, set[str]] = defaultdict(set)
    for members in groups.values():
        iris = sorted(members)
        for iri in iris:
            sources_of[iri] |= members[iri]
        for other in iris[1:]:
            a, b = find(iris[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    clusters: dict[str, list[str]] = defaultdict(list)
    for iri in sources_of:
        clusters[find(iri)].append(iri)
    out: dict[str, str] = {}
    for members in clusters.values():
        if len(members) < 2:
            continue
        canonical = min(members, key=lambda i: (all(s in harvested for s in sources_of[i]), i))
        for m in members:
            if m != canonical:
                out[m] = canonical
    return out


def current_links(store: Any) -> dict[str, str]:
    info = store.get(LINKS_SOURCE)
    if info is None:
        return {}
    return {q.subject.value: q.object.value
            for q in store.ox.quads_for_pattern(None, DUPLICATE_OF, None, info.physical)}


def relink(store: Any, harvested: set[str] | None = None) -> dict[str, str]:
    """Recompute the duplicate links; write the `agora-links` source only if they changed."""
    from .loader import delete_source, load_documents
    from .rdfio import RDFInput

    with store.write_lock:
        links = find_duplicates(store, harvested)
        if links == current_links(store):
            return links
        if not links:
            delete_source(store, LINKS_SOURCE)
            return links
        lines = []
        for dup, canonical in sorted(links.items()):
            lines.append(f"<{dup}> <{OWL_SAME_AS}> <{canonical}> .")
            lines.append(f"<{dup}> <{DUPLICATE_OF.value}> <{canonical}> .")
        doc = RDFInput.from_bytes("\n".join(lines).encode(), name="duplicate links", fmt=ox.RdfFormat.N_TRIPLES)
        load_documents(store, [doc], name=LINKS_SOURCE, replace=store.get(LINKS_SOURCE) is not None,
                       validate=False, user="agora", system=True, origin="duplicate detection")
        return links


def duplicate_iris(store: Any) -> frozenset[str]:
    """The non-canonical records (cached per store generation): search leaves them out."""
    cache = getattr(store, "_duplicates_cache", None)
    if cache is not None and cache[0] == store.generation:
        return cache[1]  # type: ignore[no-any-return]
    found = frozenset(current_links(store))
    store._duplicates_cache = (store.generation, found)
    return found
