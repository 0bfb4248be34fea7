"""SHACL validation: Agora's engine against pyshacl on the same generated catalogs, same run.

Catalogs of 10k and 100k datasets with 5% invalid records; shapes: the official DCAT-AP 3.0.1
files (shapes.ttl + range.ttl, from ../shared/reference) and the team's `dcat-ap-3` profile.
Prints seconds (validating and materialising every result as rdflib terms), triples/s, the
speed-up, whether the reports are identical (same set of focus node, path, value, component,
source shape, severity) and peak RSS; then, at 100k datasets, how long re-validating takes after
SPARQL updates of one dataset (incremental: only the focus nodes the update can affect) against a
full validation of the same source. pyshacl runs only where it finishes in reasonable time
(--pyshacl-max).

    python bench/validate.py --datasets 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_catalog, machine_info, peak_rss_mib, percentiles, print_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = REPO.parent / "shared" / "reference" / "dcat-ap" / "releases" / "3.0.1" / "html" / "shacl"


def _shapes(name: str) -> rdflib.Graph:
    g = rdflib.Graph()
    if name == "official":
        for f in ("shapes.ttl", "range.ttl"):
            g.parse(OFFICIAL / f)
    else:
        g.parse(REPO / "shapes" / "dcat-ap-3.ttl")
    return g


def _key(r: object) -> tuple[str, ...]:
    return tuple(str(getattr(r, a)) for a in ("focus_node", "result_path", "value", "source_constraint_component",
                                               "severity"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pyshacl-max", type=int, default=10_000, help="largest catalog pyshacl is run on")
    parser.add_argument("--update-at", type=int, nargs="*", default=[100_000],
                        help="catalog sizes at which one-dataset updates are re-validated (incrementally)")
    parser.add_argument("--updates", type=int, default=20, help="how many one-dataset changes to re-validate")
    parser.add_argument("--real-updates", type=int, default=1, help="whole SPARQL updates to time as well")
    parser.add_argument("--skip-engine", action="store_true", help="only the update measurement")
    args = parser.parse_args()
    if len(args.datasets) > 1:
        # One process per catalog size: peak RSS is a high-water mark, and pyshacl's in-memory graph
        # of the small catalog would otherwise be counted against the large one.
        for n in args.datasets:
            forwarded = ["--pyshacl-max", str(args.pyshacl_max), "--updates", str(args.updates),
                         "--real-updates", str(args.real_updates), "--update-at", *map(str, args.update_at),
                         *(["--skip-engine"] if args.skip_engine else [])]
            subprocess.run([sys.executable, __file__, "--datasets", str(n), *forwarded], check=True)
        return
    print(json.dumps(machine_info(), indent=1))
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.shacl import Validator
    from agora.kg.store import AgoraStore
    from agora.kg.validation import rewritten_predicates

    rows = []
    update_rows: list[list[str]] = []
    for n in args.datasets:
        if args.skip_engine:
            if n in args.update_at:
                update_rows.append(_update_bench(n, args.updates, args.real_updates))
            continue
        catalog = ensure_catalog(n, 0.05, 1)
        work = Path(tempfile.mkdtemp(prefix="agora-bench-validate-"))
        store = AgoraStore(load_settings(work / "data"))
        info = load_files(store, [catalog], name="bench", validate=False).source
        triples = info.current.triples
        # A fresh bulk load leaves RocksDB compacting in background threads, which would compete with
        # the validation for the two cores: settle the store first, as a store in service is.
        store.ox.optimize()
        background: list[ox.NamedNode] = []  # pyshacl sees only the data graph: compare like with like
        restorer = store.restorer([info])
        for shapes_name in ("official", "dcat-ap-3"):
            validator = Validator(_shapes(shapes_name))
            t = time.perf_counter()
            # What agora.kg.validation does: validate, with the rewritten predicates named so that
            # the others' values are checked per distinct value; then every result as rdflib terms.
            report = validator.validate_store(store.ox, [info.physical], background_graphs=background,
                                              restore=restorer.restore_pairs,
                                              restore_predicates=rewritten_predicates(store.ox, info.fidelity))
            results = report.results
            engine_s = time.perf_counter() - t
            keys = {_key(r) for r in results}  # for the comparison with pyshacl, not part of validating
            pyshacl_s, identical = None, "not run"
            if n <= args.pyshacl_max:
                import pyshacl

                data = rdflib.Graph()
                rdflib.NORMALIZE_LITERALS = False
                data.parse(catalog, format="nt")
                rdflib.NORMALIZE_LITERALS = True
                t = time.perf_counter()
                _conforms, graph, _text = pyshacl.validate(data, shacl_graph=_shapes(shapes_name), inference="none")
                pyshacl_s = time.perf_counter() - t
                SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
                theirs = {tuple(str(graph.value(res, p)) for p in (SH.focusNode, SH.resultPath, SH.value,
                                                                    SH.sourceConstraintComponent, SH.resultSeverity))
                          for res in graph.subjects(rdflib.RDF.type, SH.ValidationResult)}
                identical = "yes" if theirs == keys else f"no ({len(keys ^ theirs)} differ)"
            rows.append([f"{n:,}", shapes_name, f"{triples:,}", f"{engine_s:.2f}", f"{triples / engine_s:,.0f}",
                         f"{pyshacl_s:.1f}" if pyshacl_s else "-",
                         f"{pyshacl_s / engine_s:.0f}x" if pyshacl_s else "-", identical, f"{len(keys):,}",
                         f"{peak_rss_mib():,.0f}"])
        store.close()
        shutil.rmtree(work, ignore_errors=True)
        if n in args.update_at:
            update_rows.append(_update_bench(n, args.updates, args.real_updates))
    if rows:
        print_table(rows, ["datasets", "shapes", "triples", "agora s", "agora triples/s", "pyshacl s", "speed-up",
                           "identical", "results", "peak RSS MiB"])
    if update_rows:
        print_table(update_rows, ["datasets", "triples", "full validation s", "re-validation p50 ms",
                                  "re-validation max ms", "focus nodes re-validated (median)", "full / incremental",
                                  "same counts as full", "whole SPARQL update s"])


def _update_bench(n: int, updates: int, real_updates: int) -> list[str]:
    """Re-validation after one-dataset updates of a validated 100k-dataset source, against a full validation.

    The source is a valid catalog loaded with validation (the Agora profile, which its updates
    then use). A new version is prepared as a SPARQL Update prepares it (a copy-on-write draft of
    the source); each measured change edits one dataset in it (a title, a keyword, a distribution's
    licence, a removed description, which is a violation) and `validation.revalidate` (what
    `finish_drafts` runs for an update) is timed, then the change is undone. Two of the changes
    are compared with a full validation of the same draft. `real_updates` whole SPARQL updates
    are timed too: copying and pruning versions of a 3M-triple source, not validating, dominate.
    """
    from agora.kg import validation
    from agora.kg.config import load_settings
    from agora.kg.loader import begin_draft, load_files
    from agora.kg.registry import SourceInfo, Version
    from agora.kg.store import AgoraStore
    from agora.kg.update import _copy, run_update

    catalog = ensure_catalog(n, 0.0, 1)
    work = Path(tempfile.mkdtemp(prefix="agora-bench-revalidate-"))
    store = AgoraStore(load_settings(work / "data"))
    dct, dcat, b = "http://purl.org/dc/terms/", "http://www.w3.org/ns/dcat#", "https://bench.agora.example/"
    try:
        info = load_files(store, [catalog], name="city").source
        profile = info.current.profile
        t = time.perf_counter()
        full = validation.validate_source(store, "city")
        full_s = time.perf_counter() - t
        assert validation.result_counts(full) == (info.current.violations, info.current.warnings)
        with store.write_lock:
            draft = begin_draft(store, "city", replace=True)
            _copy(store, info.physical, draft.physical)
            _copy(store, info.fidelity, draft.fidelity)
        new = SourceInfo(name="city", graph_iri=info.graph_iri, current=Version(number=draft.number, profile=profile),
                         history=[info.current, *info.history])
        g = draft.physical
        timings: list[float] = []
        sizes: list[int] = []
        identical: list[bool] = []
        for i in range(updates):
            ds = ox.NamedNode(f"{b}ds/{1 + i * 7919 % n}")
            kind = i % 4
            added: list[ox.Quad] = []
            removed: list[ox.Quad] = []
            if kind == 0:
                added.append(ox.Quad(ds, ox.NamedNode(dct + "title"), ox.Literal(f"Revised {i}", language="en"), g))
            elif kind == 1:
                added.append(ox.Quad(ds, ox.NamedNode(dcat + "keyword"), ox.Literal(f"bench{i}", language="en"), g))
            elif kind == 2:
                for d in store.ox.quads_for_pattern(ds, ox.NamedNode(dcat + "distribution"), None, g):
                    removed += store.ox.quads_for_pattern(d.object, ox.NamedNode(dct + "license"), None, g)
                    added.append(ox.Quad(d.object, ox.NamedNode(dct + "license"), ox.NamedNode(
                        "http://publications.europa.eu/resource/authority/licence/CC0"), g))
            else:
                removed += store.ox.quads_for_pattern(ds, ox.NamedNode(dct + "description"), None, g)
            for q in removed:
                store.ox.remove(q)
            store.ox.extend(added)
            changes = validation.Changes(triples=[(q.subject, q.predicate, q.object) for q in [*added, *removed]],
                                         added=len(added), removed=len(removed))
            t = time.perf_counter()
            report = validation.revalidate(store, new, profile, changes)
            timings.append((time.perf_counter() - t) * 1000)
            assert report is not None, "the update was not re-validated incrementally"
            if os.environ.get("AGORA_BENCH_VERBOSE"):
                print(f"change {i} (kind {kind}): {timings[-1]:.1f} ms, {report.revalidated} focus node(s)")
            sizes.append(report.revalidated)
            if i in (0, 3):
                identical.append(report.totals == validation.result_counts(
                    validation.validate_version(store, new, profile)))
            for q in added:
                store.ox.remove(q)
            store.ox.extend(removed)
        store.drop_version_graphs("city", draft.number)
        totals = []
        for i in range(real_updates):
            t = time.perf_counter()
            run_update(store, f'INSERT DATA {{ GRAPH <{info.graph_iri}> {{ <{b}ds/{2 + i}> <{dct}title> '
                              f'"Updated {i}"@en }} }}', user="bench")
            totals.append(time.perf_counter() - t)
        current = store.require("city").current
        p50 = percentiles(timings, (50,))[50]
        return [f"{n:,}", f"{current.triples:,}", f"{full_s:.2f}", f"{p50:.1f}", f"{max(timings):.1f}",
                f"{sorted(sizes)[len(sizes) // 2]}", f"{full_s * 1000 / p50:,.0f}x",
                "yes" if identical and all(identical) else "NO",
                f"{percentiles(totals, (50,))[50]:.0f}" if totals else "-"]
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
