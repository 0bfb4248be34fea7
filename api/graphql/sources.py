"""Loaded sources (named graphs) with provenance and validation status, and validation reports.

Sources come from the store's registry, not from the catalog graph, so they are plain objects;
a source's stored validation results are read from its report graph on demand.
"""

from typing import Annotated, Any

import pyoxigraph as ox
import strawberry
from strawberry import relay

from agora.kg import registry
from agora.kg.registry import SourceInfo, Version

SH = "http://www.w3.org/ns/shacl#"
AGORA = "https://w3id.org/agora/ns#"
MAX_RESULTS = 1000


@strawberry.type(description="One SHACL validation result.")
class ValidationResult:
    focus_node: str | None = strawberry.field(description="The resource that fails the constraint.")
    path: str | None = strawberry.field(description="The property path, when the constraint is on a property.")
    value: str | None = strawberry.field(description="The offending value, when there is one.")
    severity: str = strawberry.field(description="Violation, Warning or Info.")
    constraint_component: str | None = strawberry.field(description="The SHACL constraint component.")
    source_shape: str | None = strawberry.field(description="The shape that produced the result.")
    message: str | None = strawberry.field(description="What is wrong, for a person.")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ValidationResult":
        return cls(focus_node=d.get("focusNode"), path=d.get("path"), value=d.get("value"),
                   severity=d.get("severity") or "Violation", constraint_component=d.get("constraintComponent"),
                   source_shape=d.get("sourceShape"), message=d.get("message"))


@strawberry.type(description="A SHACL validation report.")
class ValidationReport:
    conforms: bool = strawberry.field(description="True when there is no result of any severity.")
    violations: int
    warnings: int
    infos: int
    all_results: strawberry.Private[list[ValidationResult]]

    @strawberry.field(description="The results (the first `first` of them).")
    def results(self, first: Annotated[int, strawberry.argument(description="At most this many.")] = 100
                ) -> list[ValidationResult]:
        return self.all_results[: max(0, min(first, MAX_RESULTS))]

    @classmethod
    def from_json(cls, report: dict[str, Any]) -> "ValidationReport":
        counts = report.get("counts", {})
        return cls(conforms=bool(report.get("conforms")), violations=counts.get("violations", 0),
                   warnings=counts.get("warnings", 0), infos=counts.get("infos", 0),
                   all_results=[ValidationResult.from_dict(r) for r in report.get("results", [])])


@strawberry.type(description="One loaded version of a source, with its provenance.")
class SourceVersion:
    number: int
    loaded_at: str = strawberry.field(description="When it was loaded (ISO 8601).")
    loaded_by: str = strawberry.field(description="Who loaded it (token name or CLI user).")
    origin: str = strawberry.field(description="Where the data came from (files, URL, request body).")
    checksum: str
    triples: int
    profile: str = strawberry.field(description="The validation profile it was checked against.")
    validation: str = strawberry.field(description="conforms, warnings, violations or not validated.")
    violations: int
    warnings: int

    @classmethod
    def of(cls, v: Version) -> "SourceVersion":
        return cls(number=v.number, loaded_at=v.loaded_at, loaded_by=v.loaded_by, origin=v.origin,
                   checksum=v.checksum, triples=v.triples, profile=v.profile, validation=v.validation,
                   violations=v.violations, warnings=v.warnings)


@strawberry.type(description="A loaded source: one named graph of the catalog, versioned, with provenance.")
class Source(relay.Node):
    name: str = strawberry.field(description="The source name (also the id behind the global id).")
    iri: str = strawberry.field(description="The public IRI of the source's named graph.")
    system: bool = strawberry.field(description="Background knowledge shipped with Agora (ontology, vocabularies).")
    current: SourceVersion = strawberry.field(description="The version readers see.")
    history: list[SourceVersion] = strawberry.field(description="Earlier versions kept for diff and rollback.")

    @classmethod
    def resolve_id(cls, root: Any, *, info: strawberry.Info) -> str:
        return root.name

    @classmethod
    def of(cls, info: SourceInfo) -> "Source":
        return cls(name=info.name, iri=info.graph_iri, system=info.system, current=SourceVersion.of(info.current),
                   history=[SourceVersion.of(v) for v in info.history])

    @classmethod
    def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Any, required: bool = False) -> list[Any]:
        store = info.context.store
        found = [store.get(n) for n in node_ids]
        if required and any(f is None for f in found):
            raise ValueError("no source with that id")
        return [cls.of(f) if f is not None else None for f in found]

    @strawberry.field(description="The stored validation summary of the current version: per shape, severity and "
                                  "path, how many results and example focus nodes (a version with violations is "
                                  "never committed, so these are warnings).")
    def validation_summary(self, info: strawberry.Info) -> list["ValidationGroup"]:
        return stored_summary(info.context.store, self.name, self.current.number)


@strawberry.type(description="Validation results grouped by shape, severity and path.")
class ValidationGroup:
    severity: str
    message: str | None
    path: str | None
    source_shape: str | None
    count: int = strawberry.field(description="How many results the group has.")
    focus_nodes: list[str] = strawberry.field(description="Some of the resources concerned (up to 5).")


def stored_summary(store: Any, name: str, number: int) -> list[ValidationGroup]:
    """The report kept with a committed version: grouped summaries (agora:ValidationSummary), or
    individual sh:ValidationResult nodes as groups of one."""
    graph = registry.report_graph(name, number)
    if not store.ox.contains_named_graph(graph):
        return []
    query = (f"SELECT ?r ?n ?focus ?path ?severity ?shape ?message WHERE {{ GRAPH {graph} {{ "
             f"{{ ?r a <{AGORA}ValidationSummary> ; <{AGORA}resultCount> ?n }} UNION "
             f"{{ ?r a <{SH}ValidationResult> BIND(1 AS ?n) }} "
             f"?r <{SH}resultSeverity> ?severity . OPTIONAL {{ ?r <{SH}focusNode> ?focus }} "
             f"OPTIONAL {{ ?r <{SH}resultPath> ?path }} OPTIONAL {{ ?r <{SH}sourceShape> ?shape }} "
             f"OPTIONAL {{ ?r <{SH}resultMessage> ?message }} }} }}")
    groups: dict[Any, dict[str, Any]] = {}
    for sol in store.ox.query(query):
        def s(var: str, sol: Any = sol) -> str | None:
            t = sol[var]
            return None if t is None or isinstance(t, ox.BlankNode) else t.value

        g = groups.setdefault(sol["r"], {"severity": (s("severity") or "").removeprefix(SH) or "Violation",
                                         "message": s("message"), "path": s("path"), "source_shape": s("shape"),
                                         "count": int(s("n") or 1), "focus": set()})
        if s("focus"):
            g["focus"].add(s("focus"))
    out = [ValidationGroup(severity=g["severity"], message=g["message"], path=g["path"],
                           source_shape=g["source_shape"], count=g["count"], focus_nodes=sorted(g["focus"])[:5])
           for g in groups.values()]
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return sorted(out, key=lambda g: (order.get(g.severity, 3), -g.count, g.message or "", g.path or ""))
