"""SPARQL 1.1 Update, validated and atomic, with copy-on-write source versions.

Oxigraph itself runs the update, so its semantics (operation order, DELETE/INSERT with WHERE,
blank nodes) are the standard ones, but it runs against *drafts*: every source the update names
is copied into its next version first, graph IRIs in the text are rewritten to those drafts, and
the drafts go through the same validation and single-transaction commit as a load. The cost of
an update is therefore proportional to the size of the sources it touches; large sources are
better replaced with `agora load --replace` or a Graph Store PUT.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .backends import is_remote
from .errors import BadInput, io_failure
from .fidelity import FidelityRecorder
from .loader import Draft, begin_draft, finish_drafts
from .namespaces import PREFIXES
from .sparql_text import _TOKEN, _wrap_graph_variables, rewrite_iris
from .validation import Changes, diff_versions, fidelity_changes

_STRUCTURE = re.compile(
    r"""(?is)"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|<[^<>\s]*>|\#[^\n]*|[{};]|\b(?:WITH|USING|WHERE)\b""")
_GRAPH_TARGET = re.compile(r"(?i)\b(?:GRAPH|WITH|INTO|TO|FROM)\s*$")


@dataclass
class UpdateResult:
    sources: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)


def _iris(text: str) -> list[tuple[str, int]]:
    """Every IRI in the update (full or prefixed), with its position, outside strings and comments."""
    found: list[tuple[str, int]] = []
    prefixes: dict[str, str] = dict(PREFIXES)
    for m in _TOKEN.finditer(text):
        if m.group("prefixdecl"):
            prefixes[m.group("pfx") or ""] = m.group("ns")
        elif m.group("iri"):
            found.append((m.group("iri")[1:-1], m.start()))
        elif m.group("pname") is not None and (m.group("p") or "") in prefixes:
            found.append((prefixes[m.group("p") or ""] + (m.group("local") or ""), m.start()))
    return found


def source_name_for(store: Any, iri: str) -> str:
    """The source name for a graph IRI: NAME for `{base}/graph/NAME`, else a stable digest of the IRI."""
    base = f"{store.settings.base_url}/graph/"
    if iri.startswith(base) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", iri[len(base):]):
        return iri[len(base):]
    return "g-" + hashlib.sha1(iri.encode()).hexdigest()[:12]


_CLEAR_ALL = re.compile(r"(?i)\b(CLEAR|DROP)\s+(SILENT\s+)?(ALL|NAMED)\b")


def _without_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*', " ", text)


def update_targets(store: Any, text: str) -> dict[str, str]:
    """The sources an update may write (public graph IRI -> source name), refusing what Agora never allows.

    One place for both the HTTP layer (which checks ownership of these sources) and `run_update`.
    """
    cleaned = _without_strings(text)
    if re.search(r"(?i)\bLOAD\b", cleaned):
        raise BadInput("LOAD is disabled: this server never fetches URLs; upload data with PUT /store or agora load")
    if re.search(r"(?i)\b(CLEAR|DROP)\s+(SILENT\s+)?DEFAULT\b", cleaned):
        raise BadInput("CLEAR/DROP DEFAULT: the default graph is the read-only union of the sources; clear the "
                       "sources themselves (CLEAR GRAPH <iri>, or CLEAR ALL)")
    if re.search(r"(?i)\b(ADD|MOVE|COPY)\s+(SILENT\s+)?(GRAPH\s+)?(DEFAULT\b|[^;]*\bTO\s+(GRAPH\s+)?DEFAULT\b)",
                 cleaned):
        raise BadInput("ADD/MOVE/COPY with DEFAULT: the default graph is the read-only union of the sources")
    default_write = _writes_default_graph(text)
    if default_write == "variable":
        raise BadInput("a graph variable in an INSERT/DELETE template (GRAPH ?g) could write to any source: name "
                       "the graph in the template (GRAPH <iri>)")
    if default_write:
        raise BadInput("this update writes to the default graph, which is the read-only union of all "
                       "sources: name a source graph with GRAPH <iri> or WITH <iri>")
    iris = _iris(text)
    if any(iri.startswith("urn:agora:") for iri, _ in iris):
        raise BadInput("urn:agora: IRIs are internal to Agora and cannot be written")
    # Existing sources the update names, and new graph IRIs after GRAPH/WITH/INTO/TO.
    targets: dict[str, str] = {}
    for iri, pos in iris:
        info = store.get(iri)
        if info is not None and not info.system:
            targets[info.graph_iri] = info.name
        elif info is None and _GRAPH_TARGET.search(text[max(0, pos - 12):pos]):
            targets[iri] = source_name_for(store, iri)
    if _CLEAR_ALL.search(cleaned):  # every curator source is a target; spelled out graph by graph below
        for info in store.sources(include_system=False):
            targets[info.graph_iri] = info.name
    return targets


def run_update(store: Any, text: str, *, user: str, validate: bool = True,
               using_graph_uris: list[str] | None = None, using_named_graph_uris: list[str] | None = None,
               base_iri: str | None = None) -> UpdateResult:
    """Run a SPARQL update; raises BadInput (400), ValidationFailed (422) and leaves the store unchanged then."""
    targets = update_targets(store, text)
    clear_all = bool(_CLEAR_ALL.search(_without_strings(text)))
    with store.write_lock:
        drafts: dict[str, Draft] = {}
        try:
            for iri, name in targets.items():
                d = begin_draft(store, name, replace=True, graph_iri=iri)
                if d.existing is not None:
                    _copy(store, d.existing.physical, d.physical)
                    _copy(store, d.existing.fidelity, d.fidelity)
                    store.ox.add_graph(d.physical)  # an empty source is still a graph (CLEAR GRAPH on it)
                drafts[iri] = d
            mapping = {iri: d.physical.value for iri, d in drafts.items()}
            for s in store.sources():
                mapping.setdefault(s.graph_iri, s.physical.value)
            _record_inserted_literals(text, drafts)
            if clear_all:
                text = _expand_clear_all(text, [d.graph_iri for d in drafts.values() if d.existing is not None])
            rewritten = rewrite_iris(text, mapping, base_iri=base_iri)
            rewritten, named = _with_union_dataset(rewritten, store, drafts, using_graph_uris, using_named_graph_uris)
            # GRAPH ?g in WHERE binds public graph IRIs (templates cannot name graphs by variable, see above).
            public = {d.physical.value: iri for iri, d in drafts.items()}
            public.update({s.physical.value: s.graph_iri for s in store.sources()})
            rewritten = _wrap_graph_variables(rewritten, [(g, public.get(g, g)) for g in named])
            try:
                store.ox.update(rewritten, base_iri=base_iri)
            except SyntaxError as exc:
                raise BadInput(f"SPARQL Update syntax error: {exc}", line=getattr(exc, "lineno", None),
                               column=getattr(exc, "offset", None)) from None
            except OSError as exc:  # disk full, read-only directory: not the caller's fault (503)
                raise io_failure(exc, "the update") from None
            except (ValueError, RuntimeError) as exc:  # e.g. CLEAR/DROP/MOVE of a graph that does not exist
                message = str(exc)
                for physical, iri in public.items():  # name graphs as the caller does
                    message = message.replace(f"<{physical}>", f"<{iri}>")
                raise BadInput(f"the update cannot be applied: {message}") from None
            if is_remote(store.ox):  # blank nodes the update made are the store's own: name them (remote.py)
                for d in drafts.values():
                    store.ox.skolemise_blank_nodes(d.physical)
            if any(True for _ in store.ox.quads_for_pattern(None, None, None, ox.DefaultGraph())):
                store.ox.clear_graph(ox.DefaultGraph())
                raise BadInput("this update writes to the default graph, which is the read-only union of all "
                               "sources: name a source graph with GRAPH <iri> or WITH <iri>")
            result = UpdateResult()
            changed: list[Draft] = []
            for d in drafts.values():
                created = not d.existing and store.ox.contains_named_graph(d.physical)
                delta_add, delta_del, triples = _diff(store, d)
                if d.existing is None and not created:
                    store.drop_version_graphs(d.name, d.number)
                    continue
                if d.existing is not None and not delta_add and not delta_del:
                    store.drop_version_graphs(d.name, d.number)
                    continue
                _prune_fidelity(store, d)
                if triples is not None and d.existing is not None:
                    d.changes = _changes(store, d, triples, delta_add, delta_del)
                result.sources.append(d.name)
                result.added[d.name], result.removed[d.name] = delta_add, delta_del
                if created:
                    result.created.append(d.name)
                changed.append(d)
            if changed:
                finish_drafts(store, changed, validate=validate, profile=None, user=user,
                              origin="SPARQL Update", checksum="sha256:" + hashlib.sha256(text.encode()).hexdigest())
            return result
        except BaseException:
            for d in drafts.values():
                store.drop_version_graphs(d.name, d.number)
            store.ox.clear_graph(ox.DefaultGraph())
            raise


def _copy(store: Any, source: ox.NamedNode, target: ox.NamedNode) -> None:
    store.ox.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                         for q in store.ox.quads_for_pattern(None, None, None, source))


def _diff(store: Any, d: Draft) -> tuple[int, int, list[tuple[Any, Any, Any]] | None]:
    """Triples added and removed by the update, and (when not too many) the changed triples themselves."""
    if d.existing is None:
        return store.triple_count(d.physical), 0, None
    return diff_versions(store, d.existing.physical, d.physical)


def _changes(store: Any, d: Draft, triples: list[tuple[Any, Any, Any]], added: int, removed: int) -> Changes | None:
    """What incremental re-validation needs: the changed triples, and literals whose original form changed."""
    assert d.existing is not None
    if d.recorder is not None and len(d.recorder):
        store.ox.bulk_extend(d.recorder.quads(d.fidelity))  # finish_drafts would write them anyway
        d.recorder = FidelityRecorder(canon=d.recorder.canon)
    fid = fidelity_changes(store, d.existing.fidelity, d.fidelity)
    if fid is None:
        return None
    return Changes(triples=triples + fid, added=added, removed=removed)


def _prune_fidelity(store: Any, d: Draft) -> None:
    """Drop fidelity records whose triple the update removed (they must not revive on re-insert)."""
    from .fidelity import canonicaliser_for, decode, stored_key

    canon = canonicaliser_for(store.ox)
    stale = []
    for q in store.ox.quads_for_pattern(None, None, None, d.fidelity):
        original = decode(q.object)
        key = stored_key(original, canon)
        if not any(True for _ in store.ox.quads_for_pattern(q.subject, q.predicate, key, d.physical)):
            stale.append(q)
    for q in stale:
        store.ox.remove(q)


def _with_union_dataset(text: str, store: Any, drafts: dict[str, Draft], using: list[str] | None,
                        using_named: list[str] | None) -> tuple[str, list[str]]:
    """Give WHERE clauses Agora's dataset: the union of the sources as default graph, sources as named graphs.

    Oxigraph's default graph is empty (all data lives in named graphs), so operations with a
    WHERE clause and no WITH/USING of their own get USING / USING NAMED clauses for the current
    graphs (the drafts in place of the sources they replace).
    """
    graphs = [d.physical.value for d in drafts.values()]
    replaced = {d.existing.name for d in drafts.values() if d.existing}
    graphs += [s.physical.value for s in store.sources() if s.name not in replaced]
    if using or using_named:
        def phys(iri: str) -> str:
            d = drafts.get(iri)
            if d is not None:
                return d.physical.value
            info = store.get(iri)
            return info.physical.value if info else iri
        default_list = [phys(i) for i in (using or [])]
        named_list = [phys(i) for i in (using_named or [])]
    else:
        default_list, named_list = graphs, graphs
    clause = " ".join([f"USING <{g}>" for g in default_list] + [f"USING NAMED <{g}>" for g in named_list])
    out: list[str] = []
    pos = 0
    depth = 0
    op_has_dataset = False
    for m in _STRUCTURE.finditer(text):
        tok = m.group(0)
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif tok == ";" and depth == 0:
            op_has_dataset = False
        elif depth == 0 and tok.upper() in ("WITH", "USING"):
            op_has_dataset = True
        elif (depth == 0 and tok.upper() == "WHERE" and not op_has_dataset and clause
              and not re.search(r"(?i)DELETE\s*$", text[max(0, m.start() - 12):m.start()])):
            out.append(text[pos:m.start()])
            out.append(clause + " ")
            pos = m.start()
    out.append(text[pos:])
    return "".join(out), named_list


def _record_inserted_literals(text: str, drafts: dict[str, Draft]) -> None:
    """Keep the original forms of literals written with INSERT DATA (fidelity, as for loads)."""
    prologue = "".join(m.group(0) + "\n" for m in re.finditer(r"(?i)PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>", text))
    for m in re.finditer(r"(?i)\bINSERT\s+DATA\s*\{", text):
        depth, end = 1, None
        for t in _STRUCTURE.finditer(text, m.end()):
            if t.group(0) == "{":
                depth += 1
            elif t.group(0) == "}":
                depth -= 1
                if depth == 0:
                    end = t.start()
                    break
        if end is None:
            continue
        try:
            quads = list(ox.parse(prologue + text[m.end():end], format=ox.RdfFormat.TRIG))
        except SyntaxError:
            continue  # Oxigraph's own parser reports the error when the update runs
        for q in quads:
            d = drafts.get(q.graph_name.value) if isinstance(q.graph_name, ox.NamedNode) else None
            if d is not None and isinstance(q.object, ox.Literal) and not isinstance(q.subject, ox.BlankNode):
                d.recorder.observe(q.subject, q.predicate, q.object)


_BLOCK = re.compile(r"""(?is)"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|<[^<>\s]*>|\#[^\n]*|[{};]|[?$]\w+"""
                    r"""|(?:[A-Za-z_][\w.-]*)?:[\w.-]*|\b[A-Za-z]+\b|\S""")


def _writes_default_graph(text: str) -> bool | str:
    """True when an INSERT/DELETE template or DATA block has triples outside GRAPH and no WITH applies.

    Returns "variable" when a template names its graph with a variable.
    """
    tokens = [m.group(0) for m in _BLOCK.finditer(text) if not m.group(0).startswith("#")]
    i, depth, with_graph, expect_block, template = 0, 0, False, False, False
    while i < len(tokens):
        tok, up = tokens[i], tokens[i].upper()
        if depth == 0:
            if tok == ";":
                with_graph = expect_block = False
            elif up == "WITH":
                with_graph = True
            elif up in ("INSERT", "DELETE"):
                nxt = tokens[i + 1].upper() if i + 1 < len(tokens) else ""
                template = nxt not in ("WHERE", "DATA")
                if nxt == "WHERE" and up == "DELETE":
                    expect_block = not with_graph
                    i += 1
                elif nxt == "DATA":
                    expect_block = True
                    i += 1
                else:
                    expect_block = not with_graph
            elif tok == "{" and (expect_block or template):
                end, inside = _scan_block(tokens, i)
                if inside and (expect_block or inside == "variable"):
                    return inside
                i, expect_block, template = end, False, False
                continue
            elif up == "WHERE":
                expect_block = template = False
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        i += 1
    return False


def _scan_block(tokens: list[str], start: int) -> tuple[int, bool | str]:
    """From a template's '{': (index after its '}', whether it holds anything outside GRAPH blocks).

    The second item is "variable" when a GRAPH in the block is named by a variable.
    """
    depth, i, outside = 0, start, False
    while i < len(tokens):
        tok = tokens[i]
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                return i + 1, outside
        elif depth == 1:
            if tok.upper() == "GRAPH":
                if i + 1 < len(tokens) and tokens[i + 1][:1] in "?$":
                    return i, "variable"
                i += 2  # the graph name; its block is skipped below as depth > 1
                continue
            if tok not in (".",):
                outside = True
        i += 1
    return i, outside


def _expand_clear_all(text: str, graphs: list[str]) -> str:
    """CLEAR/DROP ALL or NAMED on Oxigraph would also wipe Agora's own graphs: name the sources instead."""
    def spell(m: re.Match[str]) -> str:
        op, silent = m.group(1), m.group(2) or ""
        if not graphs:
            return "INSERT DATA { }"
        return " ; ".join(f"{op} {silent}GRAPH <{g}>" for g in graphs)

    return _CLEAR_ALL.sub(spell, text)
