"""A large source is read for the search index by several worker processes, each from a checkpoint
of the store and each taking a slice of every type's subjects. The slices partition the documents,
the index the workers build is the one a single process builds, and a worker that dies takes the
rebuild down with it, leaving the index as it was."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import tantivy

from agora.kg.config import load_settings
from agora.kg.errors import AgoraError
from agora.kg.search import parallel
from agora.kg.search import schema as S
from agora.kg.search.extract import Extractor, IndexDoc
from agora.kg.search.indexer import BACKGROUND_SCHEMES, SearchIndex, to_json
from agora.kg.search.results import SearchRequest
from agora.kg.search.service import SearchService
from agora.kg.store import AgoraStore

from .test_search_extract_fast import GRAPH, _Store


def _final(docs: list[IndexDoc]) -> dict[str, str]:
    """IRI -> tantivy JSON, as the index ends up: a document with `replaces` supersedes the earlier one."""
    out: dict[str, str] = {}
    for doc in docs:
        assert doc.replaces or doc.iri not in out, f"{doc.iri} read twice"
        out[doc.iri] = to_json(doc)
    return out


def _index_contents(index: SearchIndex) -> list[tuple[str, str, str, str]]:
    """Every document in the index (IRI, source, type, stored display record), internal ones included;
    sorted, as an IRI described by several sources has a document per source."""
    searcher = index.searcher()
    out = []
    for _score, address in searcher.search(tantivy.Query.all_query(), limit=1_000_000).hits:
        doc = searcher.doc(address)
        out.append((doc.get_first(S.IRI), doc.get_first(S.SOURCE), doc.get_first(S.TYPE),
                    str(doc.get_first(S.DISPLAY))))
    return sorted(out)


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_slices_partition_the_documents_of_a_source(parts: int) -> None:
    # `ex:both` is a dataset and an organisation: it is indexed once, as a dataset, in one slice.
    store = _Store()
    extractor = Extractor(store)
    whole = _final(list(extractor.documents("test", GRAPH)))
    pieces = [_final(list(extractor.documents("test", GRAPH, part=(i, parts)))) for i in range(parts)]
    assert sum(len(p) for p in pieces) == len(whole)
    merged = {iri: doc for piece in pieces for iri, doc in piece.items()}
    assert merged == whole


def test_slices_of_the_demo_sources_give_the_same_documents(demo_store: AgoraStore) -> None:
    extractor = Extractor(demo_store)
    for info in demo_store.sources():
        concept_filter = BACKGROUND_SCHEMES if info.system else None
        whole = _final(list(extractor.documents(info.name, info.physical, concept_filter=concept_filter)))
        parts = [_final(list(extractor.documents(info.name, info.physical, concept_filter=concept_filter,
                                                 part=(i, 3)))) for i in range(3)]
        assert sum(len(p) for p in parts) == len(whole), info.name
        assert {k: v for p in parts for k, v in p.items()} == whole, info.name


@pytest.fixture
def parallel_demo(demo_store: AgoraStore) -> AgoraStore:
    """The demo store, with every source large enough to be read by workers (the demo is small)."""
    demo_store.settings.index_workers_min_triples = 0
    demo_store.settings.index_workers = 2
    return demo_store


def test_workers_build_the_index_one_process_builds(parallel_demo: AgoraStore, tmp_path: Path) -> None:
    leftover = parallel_demo.settings.data_dir / parallel.SNAPSHOT_DIR / "left-by-a-crash"
    leftover.mkdir(parents=True)
    by_workers = SearchIndex(tmp_path / "workers")
    stats = by_workers.rebuild(parallel_demo)
    parallel_demo.settings.index_workers = 1
    in_process = SearchIndex(tmp_path / "one")
    assert in_process.rebuild(parallel_demo).documents == stats.documents
    assert _index_contents(by_workers) == _index_contents(in_process)
    # The checkpoints the workers read are removed, and so is one a crash left behind.
    assert not any((parallel_demo.settings.data_dir / parallel.SNAPSHOT_DIR).iterdir())
    for q in ("traffic counts", "verkeersintensiteit", "heat wave", "energi"):
        # Every match with its score (equal scores may come in either order: tantivy breaks ties by
        # document address, which depends on the order documents arrived in).
        answers = [SearchService(parallel_demo, index).search(SearchRequest(q=q, size=100, facets=[]))
                   for index in (by_workers, in_process)]
        assert 0 < answers[0].total < 100, q
        found = [sorted((h.iri, round(h.score, 4)) for h in a.results) for a in answers]
        assert found[0] == found[1], q


def test_a_load_is_indexed_by_workers_and_searchable_when_it_returns(parallel_demo: AgoraStore,
                                                                      tmp_path: Path) -> None:
    from agora.kg.loader import load_files

    service = SearchService.attach(parallel_demo)
    try:
        path = tmp_path / "new.ttl"
        path.write_text("""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/ds/zebra> a dcat:Dataset ; dct:title "Zebra crossings of Leuven"@en .
""", encoding="utf-8")
        request = SearchRequest(q="zebra", size=5, facets=[], expand=False)
        assert service.search(request).results == []
        load_files(parallel_demo, [path], name="zebra", validate=False)
        assert [h.iri for h in service.search(request).results] == ["https://example.org/ds/zebra"]
        assert (parallel_demo.settings.data_dir / parallel.SNAPSHOT_DIR).is_dir()  # read by workers
    finally:
        service.detach()


def test_agora_reindex_reads_through_workers_as_a_user_runs_it(demo_dir: Path, tmp_path: Path) -> None:
    # The console script a user runs (the workers are spawned processes importing Agora afresh).
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    (data / "agora.toml").write_text("index_workers = 2\nindex_workers_min_triples = 0\n")
    agora = Path(sys.executable).with_name("agora")
    env = {**os.environ, "AGORA_DATA_DIR": str(data), "COLUMNS": "200"}
    done = subprocess.run([str(agora), "reindex"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (data / parallel.SNAPSHOT_DIR).is_dir() and not any((data / parallel.SNAPSHOT_DIR).iterdir())
    found = subprocess.run([str(agora), "search", "verkeersintensiteit", "--json"], capture_output=True, text=True,
                           env=env, timeout=300)
    assert found.returncode == 0, found.stderr
    assert "https://agora.example.org/id/amsterdam/dataset/verkeersintensiteiten" in {
        r["iri"] for r in json.loads(found.stdout)["results"]}
    store = AgoraStore(load_settings(data))
    try:
        store.settings.index_workers = 1
        in_process = SearchIndex(tmp_path / "one").rebuild(store)
    finally:
        store.close()
    assert done.stdout.startswith(f"search index rebuilt: {in_process.documents:,} documents from "
                                  f"{len(in_process.sources)} sources"), done.stdout


def test_a_worker_that_dies_leaves_the_index_as_it_was(parallel_demo: AgoraStore, tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    parallel_demo.settings.index_workers = 1
    index.rebuild(parallel_demo)
    before = _index_contents(index)
    parallel_demo.settings.index_workers = 2
    killed: list[str] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for child in multiprocessing.active_children():
                if child.name.startswith("agora-index-"):
                    child.kill()
                    killed.append(child.name)
                    break
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    with pytest.raises(AgoraError, match="indexing worker"):
        index.rebuild(parallel_demo)
    killer.join()
    assert killed
    index.index.reload()
    assert _index_contents(index) == before
    assert not any((parallel_demo.settings.data_dir / parallel.SNAPSHOT_DIR).iterdir())


def test_workers_whose_slices_overlap_are_caught(demo_store: AgoraStore) -> None:
    # Slices come from OFFSET/LIMIT windows that every worker computes alike; were they ever to
    # overlap, a resource would arrive twice (and another not at all): the reader refuses that.
    info = demo_store.require("amsterdam")
    with parallel.ParallelReader(demo_store, info.name, info.physical.value, None, 2,
                                 parts=[(0, 1), (0, 1)]) as reader, pytest.raises(parallel.SliceMismatch):
        list(reader)


def test_small_sources_and_a_single_worker_read_in_process(demo_store: AgoraStore) -> None:
    demo_store.settings.index_workers = 4
    least = demo_store.settings.index_workers_min_triples
    assert parallel.wants_parallel(demo_store, least)
    assert not parallel.wants_parallel(demo_store, least - 1)
    demo_store.settings.index_workers = 1
    assert not parallel.wants_parallel(demo_store, 10**9)
