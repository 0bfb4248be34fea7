"""The source registry: which sources exist and which physical graph currently holds each.

It lives in the metadata graph of the store itself (PROV-O), so that switching a source to a new
version is one Oxigraph transaction: readers see the old version or the new one, never a mix,
and a crash before the switch leaves only unreferenced graphs that start-up removes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from .errors import BadInput
from .namespaces import (
    AGORA,
    DCT,
    FIDELITY_PREFIX,
    META_GRAPH,
    PHYSICAL_PREFIX,
    PROV,
    QUARANTINE_PREFIX,
    REPORT_PREFIX,
    XSD,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SOURCE_PREFIX = "urn:agora:source:"


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadInput(f"source name {name!r} is not valid: use letters, digits, '.', '_' or '-' "
                       "(up to 100 characters, starting with a letter or digit)")
    return name


def physical_graph(name: str, version: int) -> ox.NamedNode:
    return ox.NamedNode(f"{PHYSICAL_PREFIX}{name}/{version}")


def fidelity_graph(name: str, version: int) -> ox.NamedNode:
    return ox.NamedNode(f"{FIDELITY_PREFIX}{name}/{version}")


def report_graph(name: str, version: int) -> ox.NamedNode:
    return ox.NamedNode(f"{REPORT_PREFIX}{name}/{version}")


def quarantine_graph(name: str, version: int) -> ox.NamedNode:
    return ox.NamedNode(f"{QUARANTINE_PREFIX}{name}/{version}")


def version_graphs(name: str, version: int) -> tuple[ox.NamedNode, ...]:
    """Every internal graph that belongs to one version of a source."""
    return (physical_graph(name, version), fidelity_graph(name, version), report_graph(name, version),
            quarantine_graph(name, version))


@dataclass
class Version:
    """One loaded state of a source, with its provenance."""

    number: int
    loaded_at: str = ""
    loaded_by: str = ""
    origin: str = ""
    checksum: str = ""
    triples: int = 0
    profile: str = ""
    validation: str = "not validated"
    violations: int = 0
    warnings: int = 0
    activity: str = ""

    def physical(self, name: str) -> ox.NamedNode:
        return physical_graph(name, self.number)


@dataclass
class SourceInfo:
    name: str
    graph_iri: str
    """The stable public IRI of the source's named graph."""
    current: Version
    system: bool = False
    """Background knowledge shipped with Agora (ontology, vocabularies)."""
    history: list[Version] = field(default_factory=list)

    @property
    def physical(self) -> ox.NamedNode:
        return physical_graph(self.name, self.current.number)

    @property
    def fidelity(self) -> ox.NamedNode:
        return fidelity_graph(self.name, self.current.number)

    @property
    def node(self) -> ox.NamedNode:
        return ox.NamedNode(SOURCE_PREFIX + self.name)

    def to_dict(self) -> dict[str, object]:
        v = self.current
        return {
            "name": self.name, "graph": self.graph_iri, "version": v.number, "triples": v.triples,
            "loaded_at": v.loaded_at, "loaded_by": v.loaded_by, "origin": v.origin, "checksum": v.checksum,
            "profile": v.profile, "validation": v.validation, "violations": v.violations,
            "warnings": v.warnings, "system": self.system,
            "history": [h.number for h in self.history],
        }


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return str(ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean")))
    if isinstance(value, int):
        return str(ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer")))
    return str(ox.Literal(str(value)))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def version_triples(name: str, v: Version) -> str:
    g = f"<{PHYSICAL_PREFIX}{name}/{v.number}>"
    act = f"<{v.activity}>"
    agent = f"<urn:agora:agent:{v.loaded_by or 'unknown'}>"
    ts = str(ox.Literal(v.loaded_at, datatype=ox.NamedNode(XSD + "dateTime")))
    return f"""
      {g} a <{PROV}Entity>, <{AGORA}SourceVersion> ;
         <{AGORA}versionNumber> {_lit(v.number)} ;
         <{AGORA}source> <{SOURCE_PREFIX}{name}> ;
         <{PROV}wasGeneratedBy> {act} ;
         <{PROV}generatedAtTime> {ts} ;
         <{PROV}wasAttributedTo> {agent} ;
         <{DCT}source> {_lit(v.origin)} ;
         <{AGORA}checksum> {_lit(v.checksum)} ;
         <{AGORA}tripleCount> {_lit(v.triples)} ;
         <{AGORA}profile> {_lit(v.profile)} ;
         <{AGORA}validationStatus> {_lit(v.validation)} ;
         <{AGORA}violationCount> {_lit(v.violations)} ;
         <{AGORA}warningCount> {_lit(v.warnings)} ;
         <{AGORA}fidelityGraph> <{FIDELITY_PREFIX}{name}/{v.number}> ;
         <{AGORA}validationReport> <{REPORT_PREFIX}{name}/{v.number}> .
      {act} a <{PROV}Activity> ; <{PROV}endedAtTime> {ts} ; <{PROV}wasAssociatedWith> {agent} .
      {agent} a <{PROV}Agent> .
    """


def commit_update(info: SourceInfo, keep_versions: list[Version]) -> str:
    """One SPARQL update that makes `info.current` the visible version of the source."""
    return commit_update_many([(info, keep_versions)])


def commit_update_many(entries: list[tuple[SourceInfo, list[Version]]], extra_triples: str = "") -> str:
    """One SPARQL update *operation* that makes each `info.current` the visible version of its source.

    One operation, not `DELETE ... ; INSERT DATA ...`: a remote store may commit the operations of
    a request one by one (Virtuoso 7 does), and a reader between the two would see the source gone.
    The OPTIONAL gives exactly one solution when nothing is to be deleted (a new source), so the
    INSERT template is instantiated once either way. `extra_triples` go into the metadata graph too."""
    sources = " ".join(f"<{SOURCE_PREFIX}{info.name}>" for info, _keep in entries)
    inserts = []
    for info, keep in entries:
        src = f"<{SOURCE_PREFIX}{info.name}>"
        hist = " ".join(f"{src} <{AGORA}previousVersion> <{PHYSICAL_PREFIX}{info.name}/{h.number}> ."
                        for h in keep)
        inserts.append(f"""
      {src} a <{AGORA}Source> ;
         <{AGORA}name> {_lit(info.name)} ;
         <{AGORA}graph> <{info.graph_iri}> ;
         <{AGORA}system> {_lit(info.system)} ;
         <{AGORA}currentVersion> <{PHYSICAL_PREFIX}{info.name}/{info.current.number}> .
      {hist}
      {version_triples(info.name, info.current)}""")
    return f"""
    DELETE {{ GRAPH <{META_GRAPH.value}> {{ ?src ?p ?o }} }}
    INSERT {{ GRAPH <{META_GRAPH.value}> {{ {"".join(inserts)}
      {extra_triples}
    }} }}
    WHERE {{ OPTIONAL {{ GRAPH <{META_GRAPH.value}> {{ VALUES ?src {{ {sources} }} ?src ?p ?o }} }} }}
    """


def delete_update(name: str) -> str:
    src = f"<{SOURCE_PREFIX}{name}>"
    return f"""
    DELETE {{ GRAPH <{META_GRAPH.value}> {{ {src} ?p ?o }} }}
    WHERE {{ GRAPH <{META_GRAPH.value}> {{ {src} ?p ?o }} }} ;
    DELETE {{ GRAPH <{META_GRAPH.value}> {{ ?v ?p ?o . ?a ?ap ?ao }} }}
    WHERE {{ GRAPH <{META_GRAPH.value}> {{ ?v <{AGORA}source> {src} ; ?p ?o .
             OPTIONAL {{ ?v <{PROV}wasGeneratedBy> ?a . ?a ?ap ?ao }} }} }}
    """


def prune_update(name: str, version: int) -> str:
    v = f"<{PHYSICAL_PREFIX}{name}/{version}>"
    return f"""
    DELETE {{ GRAPH <{META_GRAPH.value}> {{ {v} ?p ?o . ?a ?ap ?ao }} }}
    WHERE {{ GRAPH <{META_GRAPH.value}> {{ {v} ?p ?o . OPTIONAL {{ {v} <{PROV}wasGeneratedBy> ?a . ?a ?ap ?ao }} }} }}
    """


_READ = f"""
SELECT ?src ?name ?graph ?system ?cur ?v ?num ?at ?by ?origin ?sum ?n ?profile ?status ?viol ?warn ?act WHERE {{
  GRAPH <{META_GRAPH.value}> {{
    ?src a <{AGORA}Source> ; <{AGORA}name> ?name ; <{AGORA}graph> ?graph ; <{AGORA}currentVersion> ?cur .
    OPTIONAL {{ ?src <{AGORA}system> ?system }}
    {{ ?src <{AGORA}currentVersion> ?v }} UNION {{ ?src <{AGORA}previousVersion> ?v }}
    ?v <{AGORA}versionNumber> ?num ; <{PROV}generatedAtTime> ?at ; <{PROV}wasAttributedTo> ?by ;
       <{DCT}source> ?origin ; <{AGORA}checksum> ?sum ; <{AGORA}tripleCount> ?n ; <{AGORA}profile> ?profile ;
       <{AGORA}validationStatus> ?status ; <{AGORA}violationCount> ?viol ; <{AGORA}warningCount> ?warn ;
       <{PROV}wasGeneratedBy> ?act .
  }}
}}"""


def read_registry(store: ox.Store) -> dict[str, SourceInfo]:
    sources: dict[str, SourceInfo] = {}
    for row in store.query(_READ):
        name = row["name"].value
        v = Version(
            number=int(row["num"].value), loaded_at=row["at"].value,
            loaded_by=row["by"].value.removeprefix("urn:agora:agent:"), origin=row["origin"].value,
            checksum=row["sum"].value, triples=int(row["n"].value), profile=row["profile"].value,
            validation=row["status"].value, violations=int(row["viol"].value), warnings=int(row["warn"].value),
            activity=row["act"].value)
        info = sources.get(name)
        if info is None:
            info = SourceInfo(name=name, graph_iri=row["graph"].value, current=Version(-1),
                              system=bool(row["system"] and row["system"].value == "true"))
            sources[name] = info
        if row["v"] == row["cur"]:
            info.current = v
        else:
            info.history.append(v)
    for info in sources.values():
        info.history.sort(key=lambda h: h.number, reverse=True)
    return {k: v for k, v in sources.items() if v.current.number >= 0}
