"""SHACL validation: Agora's engine against pyshacl on the same generated catalogs, same run.

Catalogs of 10k and 100k datasets with 5% invalid records; shapes: the official DCAT-AP 3.0.1
files (shapes.ttl + range.ttl, from ../shared/reference) and the team's `dcat-ap-3` profile.
Prints seconds, triples/s, the speed-up, whether the reports are identical (same set of focus
node, path, value, component, source shape, severity) and peak RSS; then the time to re-validate
after a one-dataset update. pyshacl runs only where it finishes in reasonable time (--pyshacl-max).

    python bench/validate.py --datasets 10000 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_catalog, machine_info, peak_rss_mib, print_table  # noqa: E402

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
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.shacl import Validator
    from agora.kg.store import AgoraStore

    rows = []
    for n in args.datasets:
        catalog = ensure_catalog(n, 0.05, 1)
        work = Path(tempfile.mkdtemp(prefix="agora-bench-validate-"))
        store = AgoraStore(load_settings(work / "data"))
        info = load_files(store, [catalog], name="bench", validate=False).source
        triples = info.current.triples
        background: list[ox.NamedNode] = []  # pyshacl sees only the data graph: compare like with like
        restorer = store.restorer([info])
        for shapes_name in ("official", "dcat-ap-3"):
            validator = Validator(_shapes(shapes_name))
            t = time.perf_counter()
            report = validator.validate_store(store.ox, [info.physical], background_graphs=background,
                                              restore=restorer.restore_pairs)
            keys = {_key(r) for r in report.results}
            engine_s = time.perf_counter() - t
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
        # Re-validation after a one-dataset update: only the touched focus nodes.
        validator = Validator(_shapes("dcat-ap-3"))
        ds = ox.NamedNode("https://bench.agora.example/ds/7")
        store.ox.add(ox.Quad(ds, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("Updated", language="en"),
                             info.physical))
        samples = []
        for _ in range(20):
            t = time.perf_counter()
            validator.validate_store(store.ox, [info.physical], background_graphs=background, focus_nodes=[ds],
                                     restore=restorer.restore_pairs)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        rows.append([f"{n:,}", "re-validate 1 dataset", "-", f"p50 {samples[10]:.1f} ms", "-", "-", "-", "-", "-",
                     "-"])
        store.close()
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, ["datasets", "shapes", "triples", "agora s", "agora triples/s", "pyshacl s", "speed-up",
                       "identical", "results", "peak RSS MiB"])


if __name__ == "__main__":
    main()
