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
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import registry as reg
from .backends import is_remote
from .errors import BadInput, RDFSyntaxError, SourceExists, ValidationFailed
from .fidelity import VALUE_TYPES, FidelityRecorder, canonicaliser_for
from .rdfio import RDFInput, _syntax_error, iter_quads
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


_VALUE_DATATYPE = re.compile(
    rb"\^\^<http://www\.w3\.org/2001/XMLSchema#(?:"
    + b"|".join(re.escape(t.rsplit("#", 1)[1].encode()) for t in sorted(VALUE_TYPES, key=len, reverse=True))
    + rb")>")
"""A typed value literal in N-Triples: the only kind Oxigraph may rewrite (besides language tags)."""


def load_natively(store: Any, doc: RDFInput, graph: ox.NamedNode, recorder: FidelityRecorder,
                  progress: ProgressFn | None) -> bool:
    """Load an N-Triples document with Oxigraph's own bulk loader, when literal fidelity allows.

    Streaming every triple through Python costs most of a large load. For N-Triples (the usual
    format of big dumps) only the lines with a typed value literal can need a fidelity record:
    they are found with one bytes-level scan and parsed on their own, a chunk at a time, and the
    document goes to `Store.bulk_load`, which also gives its blank nodes fresh labels. When a
    rewritten literal hangs off a blank node (whose stored label cannot be known in advance), or
    the document has upper-case language tags, the caller streams it instead; returns False
    then, having written nothing.
    """
    if doc.format != ox.RdfFormat.N_TRIPLES or doc.has_cased_language_tags() or is_remote(store.ox):
        return False
    scratch = FidelityRecorder(canon=recorder.canon)
    try:
        for typed, stored in _typed_lines(doc.data, recorder):
            for q, st in zip(typed, stored, strict=True):
                if isinstance(q.subject, ox.BlankNode) and st != q.object:
                    return False
                scratch.observe(q.subject, q.predicate, q.object)  # type: ignore[arg-type]
    except SyntaxError:
        return False  # let the streaming parser report it with the document's own line numbers
    lines = doc.data.count(b"\n")
    try:
        if doc.path is not None:
            doc.data = b""  # Oxigraph reads the file itself: do not hold it in memory twice
            store.ox.bulk_load(path=str(doc.path), format=ox.RdfFormat.N_TRIPLES, base_iri=doc.base_iri,
                               to_graph=graph)
        else:
            store.ox.bulk_load(input=doc.data, format=ox.RdfFormat.N_TRIPLES, base_iri=doc.base_iri,
                               to_graph=graph)
    except SyntaxError as exc:
        raise _syntax_error(exc, doc.name) from None
    except ValueError as exc:
        raise RDFSyntaxError(str(exc), source=doc.name) from None
    recorder.absorb(scratch)
    if progress is not None:
        progress(lines)
    return True


def _typed_lines(data: bytes, recorder: FidelityRecorder,
                 chunk: int = 50_000) -> Iterator[tuple[list[ox.Quad], list[ox.Literal]]]:
    """The triples of the lines with a typed value literal, with their stored forms, a chunk at a time."""
    lines: list[bytes] = []
    last = -1
    for m in _VALUE_DATATYPE.finditer(data):
        start = data.rfind(b"\n", 0, m.start()) + 1
        if start == last:
            continue  # a second match on one line (inside a string literal)
        last = start
        end = data.find(b"\n", m.end())
        lines.append(data[start:len(data) if end < 0 else end])
        if len(lines) >= chunk:
            yield _parse_typed(lines, recorder)
            lines = []
    if lines:
        yield _parse_typed(lines, recorder)


def _parse_typed(lines: list[bytes], recorder: FidelityRecorder) -> tuple[list[ox.Quad], list[ox.Literal]]:
    typed = [q for q in ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES) if isinstance(q.object, ox.Literal)]
    return typed, recorder.canon.stored_forms([q.object for q in typed])


@dataclass
class Draft:
    """A new version of one source being prepared in graphs nobody reads yet."""

    name: str
    existing: SourceInfo | None
    number: int
    graph_iri: str
    system: bool = False
    recorder: FidelityRecorder = field(default_factory=FidelityRecorder)
    version: Version | None = None
    report: Any | None = None
    changes: Any | None = None
    """validation.Changes relative to `existing` when known (SPARQL Update): only the focus
    nodes they can affect are re-validated (see validation.validate_version)."""

    @property
    def physical(self) -> ox.NamedNode:
        return reg.physical_graph(self.name, self.number)

    @property
    def fidelity(self) -> ox.NamedNode:
        return reg.fidelity_graph(self.name, self.number)


def begin_draft(store: Any, name: str, *, replace: bool, graph_iri: str | None = None) -> Draft:
    """Allocate the next version number of `name`; call with the store's write lock held."""
    reg.check_name(name)
    existing: SourceInfo | None = store.get(name)
    if existing is not None and not replace:
        raise SourceExists(f"source {name!r} already exists ({existing.current.triples} triples); "
                           "use --replace to replace it", source=name)
    number = 1 + max([existing.current.number, *(h.number for h in existing.history)] if existing else [0])
    store.drop_version_graphs(name, number)  # debris of a crashed attempt with this number
    iri = existing.graph_iri if existing else (graph_iri or store.graph_iri_for(name))
    try:
        ox.NamedNode(iri)  # it goes into the registry's SPARQL: only a real IRI may
    except ValueError as exc:
        raise BadInput(f"{iri!r} is not a valid graph IRI ({exc})") from None
    return Draft(name=name, existing=existing, number=number, graph_iri=iri,
                 system=bool(existing and existing.system),
                 recorder=FidelityRecorder(canon=canonicaliser_for(store.ox)))


def finish_drafts(store: Any, drafts: list[Draft], *, validate: bool, profile: str | None, user: str,
                  origin: str, checksum: str, system: bool = False,
                  reports: dict[str, Any] | None = None, activity: str | None = None,
                  extra_meta: str = "") -> list[SourceInfo]:
    """Validate every draft, then make them all current in one transaction (or none of them).

    `reports` gives, per draft name, a report the caller already made of exactly the draft's
    graph (a harvest validates while it sorts records into the source and the quarantine);
    `activity` names the PROV-O activity that generated the versions and `extra_meta` adds
    triples about it to the metadata graph in the same transaction.
    """
    from .validation import profile_for_source, result_counts, validate_version

    try:
        commits: list[tuple[SourceInfo, list[Version]]] = []
        dropped: list[tuple[str, int]] = []
        for d in drafts:
            if len(d.recorder):
                store.ox.bulk_extend(d.recorder.quads(d.fidelity))
            triples = store.triple_count(d.physical)
            chosen = profile_for_source(profile, d.existing)
            d.version = Version(
                number=d.number, loaded_at=reg.now_iso(), loaded_by=user, origin=origin, checksum=checksum,
                triples=triples, profile=chosen, activity=activity or f"urn:agora:activity:{secrets.token_hex(8)}")
            info = SourceInfo(name=d.name, graph_iri=d.graph_iri, current=d.version, system=system or d.system,
                              history=([d.existing.current, *d.existing.history] if d.existing else []))
            if validate and not info.system:
                given = (reports or {}).get(d.name)
                report = given if given is not None else validate_version(store, info, chosen, changes=d.changes)
                d.report = report
                d.version.violations, d.version.warnings = result_counts(report)
                d.version.validation = ("violations" if d.version.violations else
                                        "warnings" if d.version.warnings else "conforms")
                if d.version.violations:
                    raise ValidationFailed(
                        f"{d.name}: {d.version.violations} violation(s) of profile {chosen!r}; nothing was changed",
                        report)
                _store_report(store, reg.report_graph(d.name, d.number), report)
            else:
                d.version.validation = "not validated"
            keep = info.history[: store.settings.history_versions]
            dropped += [(d.name, old.number) for old in info.history[store.settings.history_versions:]]
            info.history = keep
            commits.append((info, keep))
        store.ox.update(reg.commit_update_many(commits, extra_meta))
    except BaseException:
        for d in drafts:
            store.drop_version_graphs(d.name, d.number)
        raise
    for name, number in dropped:
        store.ox.update(reg.prune_update(name, number))
        store.drop_version_graphs(name, number)
    store.reload_registry()
    for d in drafts:
        store.notify(d.name)
    return [store.require(d.name) for d in drafts]


def load_documents(store: Any, docs: list[RDFInput], *, name: str, replace: bool = False,
                   validate: bool = True, profile: str | None = None, user: str = "cli",
                   origin: str | None = None, system: bool = False, checksum: str | None = None,
                   progress: ProgressFn | None = None, graph_iri: str | None = None) -> LoadResult:
    """Load `docs` as source `name` (all or nothing). Raises BadInput, SourceExists or ValidationFailed."""
    if not docs:
        raise BadInput("nothing to load: name at least one file")
    checksum = checksum or "sha256:" + _digest(docs)  # before a native load may release the bytes
    with store.write_lock:
        draft = begin_draft(store, name, replace=replace, graph_iri=graph_iri)
        try:
            rest = [d for d in docs if not load_natively(store, d, draft.physical, draft.recorder, progress)]
            if rest:
                store.ox.bulk_extend(_stream(rest, draft.physical, draft.recorder, progress))
        except BaseException:
            store.drop_version_graphs(name, draft.number)
            raise
        (info,) = finish_drafts(store, [draft], validate=validate, profile=profile, user=user,
                                origin=origin or ", ".join(d.name for d in docs),
                                checksum=checksum, system=system)
        assert draft.version is not None
        return LoadResult(source=info, triples=draft.version.triples,
                          replaced_version=draft.existing.current.number if draft.existing else None,
                          report=draft.report, warnings=draft.version.warnings,
                          rewritten_literals=len(draft.recorder))


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
    """Keep a summary of a committed version's report (see validation.store_summary)."""
    from .validation import store_summary

    store_summary(store, graph, report)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def delete_source(store: Any, name: str) -> SourceInfo:
    with store.write_lock:
        info = store.require(name)
        store.ox.update(reg.delete_update(info.name))
        store.reload_registry()
        for v in [info.current, *info.history]:
            store.drop_version_graphs(info.name, v.number)
        store.notify(info.name)
        return info
