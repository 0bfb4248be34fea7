"""One harvest run: fetch every page, sort records into the source or the quarantine, commit once.

1. Pages stream into a draft version of the source (`urn:agora:g:NAME/N+1`), exactly as a load
   does (blank nodes relabelled per page, literal originals recorded); paging controls are
   dropped and each page's records are found and digested on the way (records.py).
2. The draft is validated against the source's profile once; every violation is traced to the
   record(s) whose description holds its focus node. Those records move to the version's
   quarantine graph with their own results; nodes a valid record shares stay. Removing records
   can break a cross-record reference, so validation repeats until the draft conforms (in
   practice a second pass finds nothing).
3. One transaction makes the draft current and records the run with PROV-O; the change feed
   gets the added, changed and removed records. Until that transaction nothing of the run is
   visible, and a failure (or a kill) at any point leaves the previous version in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, URIRef

from ..errors import AgoraError
from ..fidelity import FidelityRecorder
from ..loader import begin_draft, finish_drafts
from ..namespaces import AGORA, META_GRAPH, PROV, XSD
from ..registry import SOURCE_PREFIX, SourceInfo, Version, now_iso, quarantine_graph
from ..validation import validate_version
from .fetch import Fetcher, FetchLimits, HarvestError
from .readers import pages
from .records import CATALOG_LINKS, Node, split_page
from .sources import HarvestRegistry, HarvestRun, iso, now

ProgressFn = Callable[[HarvestRun], None]
MAX_ROUNDS = 4
DEFAULT_PROFILE = "dcat-ap@3.0.1"
"""Harvested records are checked against DCAT-AP 3.0.1 (with the shipped vocabularies as background
knowledge) unless the source names another profile: Agora's own profile also checks links into
stakeholder and data-space descriptions that another catalog's records do not carry."""
RDF_JSON = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON")


def harvest(store: Any, registry: HarvestRegistry, feed: Any, name: str, *, user: str = "cli",
            trigger: str = "manual", progress: ProgressFn | None = None,
            limits: FetchLimits | None = None, run: HarvestRun | None = None) -> HarvestRun:
    """Run one harvest of `name`; returns the run record (status `ok` or `failed`, never half-done).

    `run` is a run record the caller already started (a server answers "harvest now" with its id).
    """
    hs = registry.require(name)
    if run is None:
        run = registry.start_run(name, trigger)
    activity = f"urn:agora:harvest:{name}:{run.id}"
    started = run.started_at
    try:
        with Fetcher(store.settings.allow_hosts, limits) as fetcher, store.write_lock:
            feed.catch_up()
            draft = begin_draft(store, name, replace=True)
            try:
                collected = _collect(store, draft, pages(hs, fetcher), run, registry, progress)
                if not collected.records and not hs.options.get("allow_empty"):
                    raise HarvestError(f"{hs.url}: the source returned no datasets; nothing was changed "
                                       "(register it with allow_empty to accept an empty catalog)", url=hs.url)
                profile = hs.profile or DEFAULT_PROFILE
                report = _sort_records(store, draft, collected, run, profile)
                digests = {iri: rec_digest for iri, rec_digest in collected.records.items()}
                added, changed, removed = _preview(feed, name, digests)
                run.added, run.changed, run.removed = len(added), len(changed), len(removed)
                run.records = len(digests)
                run.status = "ok"
                run.ended_at = iso(now())
                checksum = "sha256:" + hashlib.sha256("\n".join(sorted(digests.values())).encode()).hexdigest()
                (info,) = finish_drafts(store, [draft], validate=True, profile=profile, user=user,
                                        origin=hs.url, checksum=checksum, reports={name: report},
                                        activity=activity, extra_meta=_prov(activity, hs.url, hs.kind, name, run,
                                                                            started))
            except BaseException:
                store.drop_version_graphs(name, draft.number)
                raise
            run.version = info.current.number
            feed.record_version(name, info.current.number, digests)
            from ..duplicates import relink

            relink(store, harvested={h.name for h in registry.all()})
    except AgoraError as exc:
        run.status = "failed"
        run.error = exc.message
        run.ended_at = iso(now())
        _record_failure(store, activity, hs.url, hs.kind, name, run, started)
    except BaseException as exc:
        run.status = "failed"
        run.error = f"{type(exc).__name__}: {exc}"
        run.ended_at = iso(now())
        registry.save_run(run)
        raise
    registry.save_run(run)
    if progress is not None:
        progress(run)
    return run


class _Collected:
    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        """record IRI -> digest"""
        self.owners: dict[Node, set[str]] = defaultdict(set)
        """node -> records whose description holds it"""
        self.nodes: dict[str, set[Node]] = {}


def _collect(store: Any, draft: Any, source_pages: Any, run: HarvestRun, registry: HarvestRegistry,
             progress: ProgressFn | None) -> _Collected:
    """Stream every page into the draft graph in one bulk insert, noting records on the way."""
    out = _Collected()
    recorder = draft.recorder
    graph = draft.physical
    last_save = time.monotonic()

    def stream() -> Iterator[ox.Quad]:
        nonlocal last_save
        for page in source_pages:
            prefix = "h" + secrets.token_hex(5) + "_"
            triples = []
            for pq in page.quads:
                q = pq.quad
                s, p, o = q.subject, q.predicate, q.object
                if type(s) is ox.BlankNode:
                    s = ox.BlankNode(prefix + s.value)
                if type(o) is ox.BlankNode:
                    o = ox.BlankNode(prefix + o.value)
                elif type(o) is ox.Literal:
                    recorder.observe(s, p, o, pq.original)
                triples.append((s, p, o))
            split = split_page(triples)
            for iri, rec in split.records.items():
                if iri in out.records:  # the same record on two pages: one record, both descriptions
                    rec.digest = hashlib.sha256((out.records[iri] + rec.digest).encode()).hexdigest()[:32]
                    rec.nodes |= out.nodes[iri]
                out.records[iri] = rec.digest
                out.nodes[iri] = rec.nodes
                for n in rec.nodes:
                    out.owners[n].add(iri)
            run.pages += 1
            run.bytes += page.bytes
            run.records = len(out.records)
            run.progress = {"pages": run.pages, "records": run.records, "warnings": page.warnings[:3]}
            if progress is not None:
                progress(run)
            if time.monotonic() - last_save > 1.0:
                registry.save_run(run)  # so that a curator polling the run sees it move
                last_save = time.monotonic()
            yield from (ox.Quad(s, p, o, graph) for s, p, o in split.triples)

    store.ox.bulk_extend(stream())
    if len(recorder):
        store.ox.bulk_extend(recorder.quads(draft.fidelity))
    draft.recorder = FidelityRecorder(canon=recorder.canon)  # written: finish_drafts must not write it again
    return out


def _to_ox(term: Any) -> Node | None:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return None


def _sort_records(store: Any, draft: Any, collected: _Collected, run: HarvestRun, profile: str) -> Any:
    """Validate the draft; move records with violations to quarantine until what stays conforms."""
    info = SourceInfo(name=draft.name, graph_iri=draft.graph_iri, current=Version(number=draft.number))
    graph = draft.physical
    qgraph = quarantine_graph(draft.name, draft.number)
    reasons: Counter[str] = Counter()
    rejected = 0
    for _round in range(MAX_ROUNDS):
        report = validate_version(store, info, profile)
        bad: dict[str, list[Any]] = defaultdict(list)
        for r in report.violations:
            focus = _to_ox(r.focus_node)
            owners = collected.owners.get(focus) if focus is not None else None
            orphan = focus.value if isinstance(focus, ox.NamedNode) else str(focus or r.focus_node)
            for rec in owners or [orphan]:
                bad[rec].append(r)
        if not bad:
            run.rejected = rejected
            run.reasons = dict(reasons.most_common(50))
            return report
        keep_nodes = {n for iri, nodes in collected.nodes.items() if iri not in bad for n in nodes}
        quads: list[ox.Quad] = []
        for i, (rec, results) in enumerate(sorted(bad.items())):
            nodes = collected.nodes.get(rec) or {_node_of(rec)}
            for n in nodes - keep_nodes:
                found = list(store.ox.quads_for_pattern(n, None, None, graph))
                quads.extend(ox.Quad(q.subject, q.predicate, q.object, qgraph) for q in found)
                for q in found:
                    store.ox.remove(q)
            root = _node_of(rec)
            for p in CATALOG_LINKS:
                for q in list(store.ox.quads_for_pattern(None, p, root, graph)):
                    store.ox.remove(q)
            quads.extend(_quarantine_entry(qgraph, f"{run.id}-{_round}-{i}", rec, results))
            for msg in {_message(r) for r in results}:
                reasons[msg] += 1
            if rec in collected.records:
                rejected += 1
                del collected.records[rec]
                for n in collected.nodes.pop(rec, ()):
                    collected.owners[n].discard(rec)
        store.ox.bulk_extend(quads)
    raise HarvestError(f"records still violate the profile after {MAX_ROUNDS} rounds of quarantine; "
                       "nothing was changed")


def _node_of(rec: str) -> Node:
    return ox.BlankNode(rec[2:]) if rec.startswith("_:") else ox.NamedNode(rec)


def _message(r: Any) -> str:
    msg = str(r.messages[0]) if r.messages else str(r.source_constraint_component).rsplit("#", 1)[-1]
    path = f" ({r.result_path})" if isinstance(r.result_path, URIRef) else ""
    return msg + path


def _quarantine_entry(qgraph: ox.NamedNode, key: str, rec: str, results: list[Any]) -> list[ox.Quad]:
    from ..report_formats import result_dict

    entry = ox.NamedNode(f"{qgraph.value}#{key}")
    record = _node_of(rec)
    flat = [result_dict(r) for r in results]
    return [
        ox.Quad(entry, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(AGORA + "QuarantinedRecord"), qgraph),
        ox.Quad(entry, ox.NamedNode(AGORA + "record"), record, qgraph),
        ox.Quad(entry, ox.NamedNode(AGORA + "violationCount"),
                ox.Literal(str(len(results)), datatype=ox.NamedNode(XSD + "integer")), qgraph),
        ox.Quad(entry, ox.NamedNode(AGORA + "report"), ox.Literal(json.dumps(flat), datatype=RDF_JSON), qgraph),
    ]


def _preview(feed: Any, name: str, digests: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    from .records import diff

    return diff(feed.known(name), digests)


def _lit(v: object) -> str:
    if isinstance(v, int):
        return f'"{v}"^^<{XSD}integer>'
    return str(ox.Literal(str(v)))


def _prov(activity: str, url: str, kind: str, name: str, run: HarvestRun, started: str) -> str:
    """The run's PROV-O triples (for the metadata graph): committed with the version, or on their own."""
    started_lit = f'"{started}"^^<{XSD}dateTime>'
    # A committed run's end is the version's generation time, which registry.py records.
    ended_lit = f'"{run.ended_at or now_iso()}"^^<{XSD}dateTime>'
    ended = "" if run.status == "ok" else f"<{activity}> <{PROV}endedAtTime> {ended_lit} ."
    reasons = " ".join(f"<{activity}> <{AGORA}rejectionReason> {_lit(f'{n} x {msg}')} ."
                       for msg, n in list(run.reasons.items())[:20])
    error = f"<{activity}> <{AGORA}error> {_lit(run.error)} ." if run.error else ""
    return f"""
      <{activity}> a <{PROV}Activity>, <{AGORA}HarvestRun> ;
        <{PROV}startedAtTime> {started_lit} ;
        <{PROV}used> <{url}> ; <{AGORA}harvestSource> <{SOURCE_PREFIX}{name}> ; <{AGORA}harvestKind> {_lit(kind)} ;
        <{AGORA}outcome> {_lit(run.status)} ; <{AGORA}pageCount> {_lit(run.pages)} ;
        <{AGORA}recordCount> {_lit(run.records)} ; <{AGORA}rejectedCount> {_lit(run.rejected)} ;
        <{AGORA}addedCount> {_lit(run.added)} ; <{AGORA}changedCount> {_lit(run.changed)} ;
        <{AGORA}removedCount> {_lit(run.removed)} .
      {reasons} {error} {ended}
    """


def _record_failure(store: Any, activity: str, url: str, kind: str, name: str, run: HarvestRun, started: str) -> None:
    with contextlib.suppress(OSError, SyntaxError, ValueError):  # must not hide the harvest's own error
        triples = _prov(activity, url, kind, name, run, started)
        store.ox.update(f"INSERT DATA {{ GRAPH <{META_GRAPH.value}> {{ {triples} }} }}")
