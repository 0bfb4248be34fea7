"""Atomic, validated loading of sources.

A load never touches what readers see until its last step:
1. parse and stream the document into a fresh physical graph `urn:agora:g:NAME/N+1`
   (blank nodes relabelled so that two files' `_:b1` never meet), recording the original form
   of every literal Oxigraph rewrites into the companion fidelity graph;
2. validate the new graph against the source's profile (background: ontology, vocabularies,
   and the other sources, for rdf:type lookups);
3. one Oxigraph transaction switches the registry to the new version and records provenance.
If anything fails before 3, the new graphs are dropped (and, after a crash, collected at the
next start); the previous version stays current and visible throughout.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import registry as reg
from .errors import BadInput, SourceExists, ValidationFailed
from .fidelity import FidelityRecorder
from .rdfio import RDFInput, iter_quads
from .registry import SourceInfo, Version

ProgressFn = Callable[[int], None]
BATCH = 50_000


@dataclass
class LoadResult:
    source: SourceInfo
    triples: int
    replaced_version: int | None
    report: Any | None = None
    warnings: int = 0
    rewritten_literals: int = 0
    added: int = 0
    removed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.to_dict(), "triples": self.triples,
                "replaced_version": self.replaced_version, "warnings": self.warnings,
                "rewritten_literals": self.rewritten_literals}


def _relabel(term: Any, prefix: str) -> Any:
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(prefix + term.value)
    return term


def _stream(docs: list[RDFInput], graph: ox.NamedNode, recorder: FidelityRecorder,
            progress: ProgressFn | None) -> Iterator[ox.Quad]:
    """The quads of all documents, retargeted into `graph`, noting rewritten literals on the way."""
    seen = 0
    for doc in docs:
        prefix = "b" + secrets.token_hex(6) + "_"
        for pq in iter_quads(doc):
            q = pq.quad
            s = _relabel(q.subject, prefix)
            o = _relabel(q.object, prefix)
            if isinstance(o, ox.Literal):
                recorder.observe(s, q.predicate, o, pq.original)
            yield ox.Quad(s, q.predicate, o, graph)
            seen += 1
            if progress is not None and seen % BATCH == 0:
                progress(seen)
    if progress is not None:
        progress(seen)


def load_documents(store: Any, docs: list[RDFInput], *, name: str, replace: bool = False,
                   validate: bool = True, profile: str | None = None, user: str = "cli",
                   origin: str | None = None, system: bool = False, checksum: str | None = None,
                   progress: ProgressFn | None = None) -> LoadResult:
    """Load `docs` as source `name` (all or nothing). Raises BadInput, SourceExists or ValidationFailed."""
    from .validation import profile_for_source, validate_version

    reg.check_name(name)
    if not docs:
        raise BadInput("nothing to load: name at least one file")
    with store.write_lock:
        existing: SourceInfo | None = store.get(name)
        if existing is not None and not replace:
            raise SourceExists(f"source {name!r} already exists ({existing.current.triples} triples); "
                               "use --replace to replace it", source=name)
        number = 1 + max([existing.current.number, *(h.number for h in existing.history)] if existing else [0])
        physical = reg.physical_graph(name, number)
        fid = reg.fidelity_graph(name, number)
        store.drop_version_graphs(name, number)  # debris of a crashed attempt with this number
        recorder = FidelityRecorder()
        try:
            store.ox.bulk_extend(_stream(docs, physical, recorder, progress))
            if len(recorder):
                store.ox.bulk_extend(recorder.quads(fid))
            triples = store.triple_count(physical)
            if existing is not None and existing.system:
                system = True
            chosen_profile = profile_for_source(profile, existing)
            version = Version(
                number=number, loaded_at=reg.now_iso(), loaded_by=user,
                origin=origin or ", ".join(d.name for d in docs),
                checksum=checksum or "sha256:" + _digest(docs), triples=triples,
                profile=chosen_profile if validate else (chosen_profile or "none"),
                activity=f"urn:agora:activity:{secrets.token_hex(8)}")
            info = SourceInfo(name=name, graph_iri=existing.graph_iri if existing else store.graph_iri_for(name),
                              current=version, system=system,
                              history=([existing.current, *existing.history] if existing else []))
            report = None
            if validate and not system:
                report = validate_version(store, info, chosen_profile)
                version.violations = len(report.violations)
                version.warnings = len(report.results) - version.violations
                version.validation = ("violations" if version.violations else
                                      "warnings" if version.warnings else "conforms")
                if version.violations:
                    raise ValidationFailed(
                        f"{name}: {version.violations} violation(s) of profile {chosen_profile!r}; "
                        "nothing was loaded", report)
                _store_report(store, reg.report_graph(name, number), report)
            elif not validate:
                version.validation = "not validated"
            keep = info.history[: store.settings.history_versions]
            dropped = info.history[store.settings.history_versions:]
            info.history = keep
            store.ox.update(reg.commit_update(info, keep))
        except BaseException:
            store.drop_version_graphs(name, number)
            raise
        for old in dropped:
            store.ox.update(reg.prune_update(name, old.number))
            store.drop_version_graphs(name, old.number)
        store.reload_registry()
        committed = store.require(name)
        return LoadResult(source=committed, triples=triples,
                          replaced_version=existing.current.number if existing else None, report=report,
                          warnings=version.warnings, rewritten_literals=len(recorder))


def load_files(store: Any, paths: list[Path], *, fmt: str | None = None, name: str | None = None,
               **kwargs: Any) -> LoadResult:
    docs = [RDFInput.from_path(p, fmt) for p in paths]
    if name is None:
        name = default_name(paths[0])
    kwargs.setdefault("origin", ", ".join(str(Path(p).resolve()) for p in paths))
    return load_documents(store, docs, name=name, **kwargs)


def default_name(path: Path) -> str:
    stem = Path(path).name
    for suffix in (".gz", ".ttl", ".nt", ".nq", ".trig", ".rdf", ".owl", ".xml", ".jsonld", ".json", ".n3"):
        stem = stem.removesuffix(suffix)
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem).strip("-.") or "source"
    return cleaned[:100]


def _digest(docs: list[RDFInput]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.data)
    return h.hexdigest()


def _store_report(store: Any, graph: ox.NamedNode, report: Any) -> None:
    """Keep the (warnings-only) report of a committed version next to it, capped in size."""
    g = report.to_graph()
    if len(g) > 200_000:
        return
    from .rdfio import from_rdflib

    store.ox.bulk_extend(ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), graph) for s, p, o in g)


def delete_source(store: Any, name: str) -> SourceInfo:
    with store.write_lock:
        info = store.require(name)
        store.ox.update(reg.delete_update(info.name))
        store.reload_registry()
        for v in [info.current, *info.history]:
            store.drop_version_graphs(info.name, v.number)
        return info
