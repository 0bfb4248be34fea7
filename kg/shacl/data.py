"""Read access to the data graphs in a pyoxigraph Store, batched and restore-aware.

Everything the engine learns about the data goes through here, so the two cost decisions live in
one place: whether a step along a predicate is answered by one index scan over the predicate or
by per-node lookups (whichever touches fewer quads), and whether ``sh:class`` is answered from a
class's instance set or from per-node ``rdf:type`` lookups. The caller's ``restore`` hook is
applied to every literal fetched along a forward predicate, so constraints see original lexical
forms rather than pyoxigraph's canonical ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

import pyoxigraph as ox

from .terms import OxTerm
from .vocab import OX_RDF_TYPE, OX_SUBCLASS_OF

Restore = Callable[[ox.NamedNode, list[tuple[OxTerm, OxTerm]]], list[tuple[OxTerm, OxTerm]]]
Groups = dict[OxTerm, list[OxTerm]]

# Relative costs measured on pyoxigraph 0.5 (µs): one quad from a predicate scan vs. one
# (subject, predicate) index lookup. Used to stop a scan once lookups would have been cheaper.
SCAN_COST_PER_QUAD = 1.0
LOOKUP_COST_PER_NODE = 4.0
SMALL_BATCH = 48
CLASS_LOOKUP_LIMIT = 1500

_Literal = ox.Literal
_Subject = (ox.NamedNode, ox.BlankNode)


class DataAccess:
    """Per-validation view of the store: data graphs, type graphs and the restore hook."""

    def __init__(
        self,
        store: ox.Store,
        data_graphs: Sequence[ox.NamedNode | ox.BlankNode | ox.DefaultGraph],
        background_graphs: Sequence[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = (),
        restore: Restore | None = None,
        restore_predicates: Collection[str] | None = None,
    ) -> None:
        self.store = store
        self.graphs = list(dict.fromkeys(data_graphs))
        self.type_graphs = list(dict.fromkeys([*self.graphs, *background_graphs]))
        self.restore = restore
        # Predicates (IRIs) whose literals ``restore`` may change; None: any predicate.
        self.restore_predicates = None if restore_predicates is None else frozenset(restore_predicates)
        self.cache: dict[object, object] = {}  # per-validation memo for planners (pushdown)
        self._multi = len(self.graphs) > 1
        self._subclasses: dict[OxTerm, list[OxTerm]] | None = None
        self._closure: dict[OxTerm, frozenset[OxTerm]] = {}
        self._instances: dict[OxTerm, set[OxTerm]] = {}
        self._data_instances: dict[OxTerm, set[OxTerm]] = {}
        self._types: dict[OxTerm, frozenset[OxTerm]] = {}

    # ---------------------------------------------------------------- predicate steps

    def objects(self, predicate: ox.NamedNode, nodes: Collection[OxTerm], *, cap: int | None = None) -> Groups:
        """Values of ``predicate`` for each node (only nodes with values appear).

        ``cap`` allows stopping after that many values per node when only counts matter (a
        catalogue with 10^5 dcat:dataset links need not be read to see it has at least one).
        """
        subjects = [n for n in nodes if isinstance(n, _Subject)]
        if cap is not None and len(subjects) <= SMALL_BATCH:
            return self._lookup(predicate, subjects, forward=True, cap=cap)
        groups = self._step(predicate, subjects, forward=True)
        if self.restore is not None and groups:
            groups = self._restore(predicate, groups)
        return groups

    def subjects(self, predicate: ox.NamedNode, nodes: Collection[OxTerm]) -> Groups:
        """Subjects pointing at each node through ``predicate`` (the inverse step)."""
        return self._step(predicate, list(nodes), forward=False)

    def _step(self, predicate: ox.NamedNode, nodes: list[OxTerm], *, forward: bool) -> Groups:
        if not nodes:
            return {}
        if len(nodes) > SMALL_BATCH:
            budget = int(len(nodes) * len(self.graphs) * LOOKUP_COST_PER_NODE / SCAN_COST_PER_QUAD)
            scanned = self._scan(predicate, nodes, forward=forward, budget=budget)
            if scanned is not None:
                return scanned
        return self._lookup(predicate, nodes, forward=forward)

    def select(self, query: str, *, type_graphs: bool = False) -> ox.QuerySolutions:
        """A SPARQL SELECT over the data graphs (or data + background graphs) as default graph.

        Bulk reads go through SPARQL rather than ``quads_for_pattern`` because a query decodes
        only the projected variables, while each quad decodes subject, predicate, object and
        graph name: on an on-disk store that is up to three times fewer RocksDB string lookups.
        """
        graphs = self.type_graphs if type_graphs else self.graphs
        return self.store.query(query, default_graph=graphs)  # type: ignore[return-value]

    def _scan(self, predicate: ox.NamedNode, nodes: list[OxTerm], *, forward: bool, budget: int) -> Groups | None:
        wanted = set(nodes)
        groups: Groups = {}
        get = groups.get
        res = self.select(f"SELECT ?s ?o WHERE {{ ?s <{predicate.value}> ?o }}")
        for seen, (s, o) in enumerate(res, 1):
            if seen > budget:
                return None
            k, v = (s, o) if forward else (o, s)
            if k in wanted:
                lst = get(k)
                if lst is None:
                    groups[k] = [v]
                else:
                    lst.append(v)
        if self._multi:
            _dedupe(groups)
        return groups

    def _lookup(
        self, predicate: ox.NamedNode, nodes: Iterable[OxTerm], *, forward: bool, cap: int | None = None
    ) -> Groups:
        groups: Groups = {}
        qfp = self.store.quads_for_pattern
        graphs = self.graphs
        for n in nodes:
            if cap is not None:
                vals = self._capped(predicate, n, cap)
            elif forward:
                vals = [q.object for g in graphs for q in qfp(n, predicate, None, g)]
            else:
                vals = [q.subject for g in graphs for q in qfp(None, predicate, n, g)]
            if vals:
                groups[n] = list(dict.fromkeys(vals)) if self._multi and len(vals) > 1 else vals
        return groups

    def _capped(self, predicate: ox.NamedNode, node: OxTerm, cap: int) -> list[OxTerm]:
        out: dict[OxTerm, None] = {}
        for g in self.graphs:
            for q in self.store.quads_for_pattern(node, predicate, None, g):
                out[q.object] = None
                if len(out) >= cap:
                    return list(out)
        return list(out)

    def _restore(self, predicate: ox.NamedNode, groups: Groups) -> Groups:
        pairs = [(s, o) for s, vals in groups.items() for o in vals if type(o) is _Literal]
        if not pairs:
            return groups
        assert self.restore is not None
        restored = self.restore(predicate, pairs)
        out: Groups = {}
        for s, vals in groups.items():
            kept = [o for o in vals if type(o) is not _Literal]
            if kept:
                out[s] = kept
        for s, o in restored:
            lst = out.get(s)
            if lst is None:
                out[s] = [o]
            elif o not in lst:
                lst.append(o)
        return out

    def out_edges(self, node: OxTerm) -> list[tuple[ox.NamedNode, OxTerm]]:
        """All (predicate, object) pairs of a node, restored (used by sh:closed)."""
        if not isinstance(node, _Subject):
            return []
        edges = list(
            dict.fromkeys(
                (q.predicate, q.object) for g in self.graphs for q in self.store.quads_for_pattern(node, None, None, g)
            )
        )
        if self.restore is None:
            return edges
        out: list[tuple[ox.NamedNode, OxTerm]] = []
        by_pred: dict[ox.NamedNode, list[tuple[OxTerm, OxTerm]]] = {}
        for p, o in edges:
            if type(o) is _Literal:
                by_pred.setdefault(p, []).append((node, o))
            else:
                out.append((p, o))
        for p, pairs in by_pred.items():
            out.extend((p, o) for _, o in self.restore(p, pairs))
        return out

    def has_edge(self, s: OxTerm | None, p: ox.NamedNode, o: OxTerm | None) -> bool:
        for g in self.graphs:
            for _ in self.store.quads_for_pattern(s, p, o, g):
                return True
        return False

    def predicate_subjects(self, predicate: ox.NamedNode) -> set[OxTerm]:
        return {sol[0] for sol in self.select(f"SELECT DISTINCT ?s WHERE {{ ?s <{predicate.value}> ?o }}")}

    def predicate_objects(self, predicate: ox.NamedNode) -> set[OxTerm]:
        """Objects of a predicate (targetObjectsOf); literals restored against their subjects."""
        if self.restore is None:
            return {sol[0] for sol in self.select(f"SELECT DISTINCT ?o WHERE {{ ?s <{predicate.value}> ?o }}")}
        out: set[OxTerm] = set()
        pairs: list[tuple[OxTerm, OxTerm]] = []
        for s, o in self.select(f"SELECT ?s ?o WHERE {{ ?s <{predicate.value}> ?o }}"):
            if type(o) is _Literal:
                pairs.append((s, o))
            else:
                out.add(o)
        if pairs:
            out.update(o for _, o in self.restore(predicate, pairs))
        return out

    # ---------------------------------------------------------------- classes

    def subclass_closure(self, cls: OxTerm) -> frozenset[OxTerm]:
        """``cls`` and all its rdfs:subClassOf* descendants in the data and background graphs."""
        hit = self._closure.get(cls)
        if hit is not None:
            return hit
        if self._subclasses is None:
            sub: dict[OxTerm, list[OxTerm]] = {}
            for g in self.type_graphs:
                for q in self.store.quads_for_pattern(None, OX_SUBCLASS_OF, None, g):
                    sub.setdefault(q.object, []).append(q.subject)
            self._subclasses = sub
        seen = {cls}
        todo = [cls]
        while todo:
            for child in self._subclasses.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        out = frozenset(seen)
        self._closure[cls] = out
        return out

    def instances(self, cls: OxTerm) -> set[OxTerm]:
        """SHACL instances of ``cls`` using types from the data and background graphs."""
        hit = self._instances.get(cls)
        if hit is None:
            hit = self._collect_instances(cls, type_graphs=True)
            self._instances[cls] = hit
        return hit

    def data_instances(self, cls: OxTerm) -> set[OxTerm]:
        """Targets of sh:targetClass: typed in the data graphs, subclasses from everywhere."""
        hit = self._data_instances.get(cls)
        if hit is None:
            hit = self._collect_instances(cls, type_graphs=False)
            self._data_instances[cls] = hit
        return hit

    def _collect_instances(self, cls: OxTerm, *, type_graphs: bool) -> set[OxTerm]:
        closure = [c for c in self.subclass_closure(cls) if isinstance(c, ox.NamedNode)]
        if not closure:
            return set()
        values = " ".join(f"<{c.value}>" for c in closure)
        q = f"SELECT DISTINCT ?s WHERE {{ ?s <{OX_RDF_TYPE.value}> ?t VALUES ?t {{ {values} }} }}"
        return {sol[0] for sol in self.select(q, type_graphs=type_graphs)}

    def types(self, node: OxTerm, *, data_only: bool = False) -> frozenset[OxTerm]:
        if not isinstance(node, _Subject):
            return frozenset()
        graphs = self.graphs if data_only else self.type_graphs
        if data_only:
            return frozenset(q.object for g in graphs for q in self.store.quads_for_pattern(node, OX_RDF_TYPE, None, g))
        hit = self._types.get(node)
        if hit is None:
            hit = frozenset(q.object for g in graphs for q in self.store.quads_for_pattern(node, OX_RDF_TYPE, None, g))
            if len(self._types) < 200_000:
                self._types[node] = hit
        return hit

    def non_instances(self, nodes: Collection[OxTerm], cls: OxTerm) -> set[OxTerm]:
        """The nodes that are not SHACL instances of ``cls`` (literals never are)."""
        known = self._instances.get(cls)
        if known is None and len(nodes) <= CLASS_LOOKUP_LIMIT:
            closure = self.subclass_closure(cls)
            return {n for n in nodes if closure.isdisjoint(self.types(n))}
        insts = known if known is not None else self.instances(cls)
        return {n for n in nodes if n not in insts}


def _dedupe(groups: Groups) -> None:
    for k, vals in groups.items():
        if len(vals) > 1 and len(set(vals)) != len(vals):
            groups[k] = list(dict.fromkeys(vals))
