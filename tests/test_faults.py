"""SIGKILL in the middle of writes, with real `agora` subprocesses, at several points of their work.

After each crash the data directory is opened again as a restarted server would: the store's
registry and graphs agree, the search index agrees with the store once its start-up check has run,
and the source holds exactly its old or its new state (compared triple by triple with both),
never a mix. `tests/fault_support.py` has the reusable parts (`kill_during`, `check_consistent`).
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path

import httpx
import pytest

from agora.kg.config import load_settings
from agora.kg.search.service import SearchService
from agora.kg.store import AgoraStore

from .fault_support import (
    AGORA,
    MARKER,
    SERVER_READY,
    VersionedBase,
    Watched,
    after_line,
    canonical,
    check_consistent,
    kill_during,
    serve_command,
    versioned_base,
)

OLD, NEW = 1500, 2500
"""Datasets in the old and new versions of the source (about 30 triples each)."""


@pytest.fixture(scope="module")
def crash_base(tmp_path_factory: pytest.TempPathFactory) -> VersionedBase:
    """A data directory holding source `big` (old version, indexed for search) and a write token."""
    return versioned_base(tmp_path_factory.mktemp("crash"), OLD, NEW)


def _copy(fx: VersionedBase, tmp_path: Path, label: str) -> Path:
    return fx.copy(tmp_path / label)


# -- agora load --replace --------------------------------------------------------------------------


def test_sigkill_during_a_replace_at_several_points(crash_base: VersionedBase, tmp_path: Path) -> None:
    fx = crash_base
    cmd = [*AGORA, "load", str(fx.new_file), "--graph", "big", "--replace"]

    # An uninterrupted run: the new state, and how long each phase takes.
    ref_dir = _copy(fx, tmp_path, "reference")
    parsed: list[float] = []

    def finish(w: Watched) -> bool:
        t = w.wait_for_line(f"{sum(fx.new.values()):,} triples parsed")
        parsed.append(t if t is not None else 0.0)
        return False  # let it finish

    ref = kill_during([*cmd], env={"AGORA_DATA_DIR": str(ref_dir)}, when=finish)
    assert ref.returncode == 0, ref.stderr
    new_state = check_consistent(ref_dir, "big", {"new": fx.new})
    commit_phase = ref.at - parsed[0]  # validation, commit, exit
    assert commit_phase > 0

    points = {
        "while parsing": after_line("triples parsed", nth=1),
        "parsed, before validation": after_line(f"{sum(fx.new.values()):,} triples parsed"),
        "validating (40%)": after_line(f"{sum(fx.new.values()):,} triples parsed", delay=0.4 * commit_phase),
        "validating (75%)": after_line(f"{sum(fx.new.values()):,} triples parsed", delay=0.75 * commit_phase),
        "committed, before exit": after_line("replaced source big"),
    }
    seen: dict[str, str] = {}
    for label, when in points.items():
        data = _copy(fx, tmp_path, label.replace(" ", "-").replace(",", "").replace("(", "").replace(")", "")
                     .replace("%", ""))
        result = kill_during(cmd, env={"AGORA_DATA_DIR": str(data)}, when=when)
        assert "Traceback" not in result.stderr, result.stderr
        state = check_consistent(data, "big", {"old": fx.old, "new": fx.new},
                                 search_documents={"old": fx.old_documents, "new": new_state.documents})
        seen[label] = (state.state if result.killed else f"{state.state} (finished first)") + (
            " (index repaired at start-up)" if any(state.disagreement_before_repair.values()) else "")
    print("replace killed:", seen, f"(reference: {ref.at:.1f} s, commit phase {commit_phase:.1f} s)")
    # The early kills must have been real crashes that kept the previous version.
    assert seen["while parsing"].startswith("old"), seen
    assert seen["parsed, before validation"].startswith("old"), seen
    assert seen["committed, before exit"].startswith("new"), seen


# -- a SPARQL update through the server --------------------------------------------------------------

UPDATE = f"""PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
WITH <http://127.0.0.1:8000/graph/big>
DELETE {{ ?d <{MARKER}> "old" . ?d dct:title ?t }}
INSERT {{ ?d <{MARKER}> "updated" . ?d dct:title ?t2 }}
WHERE {{ ?d a dcat:Dataset ; <{MARKER}> "old" ; dct:title ?t .
         BIND(STRLANG(CONCAT("Zebra ", STR(?t)), LANG(?t)) AS ?t2) }}"""


def _during_update(url: str, token: str, *, delay: float | None, answers: list[object]) -> object:
    """A `when` for kill_during: once the server is up, send the update; kill `delay` seconds later
    (None: after the answer)."""
    def send() -> None:
        try:
            r = httpx.post(f"{url}/sparql", content=UPDATE.encode(), timeout=300,
                           headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
            answers.append(r)
        except httpx.HTTPError as exc:  # the server died under it
            answers.append(exc)

    def when(w: Watched) -> bool:
        if w.wait_for_line(SERVER_READY, timeout=120) is None:
            return False
        started = w.elapsed()
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        if delay is None:
            sender.join(300)
        else:
            sender.join(delay)
        answers.append(w.elapsed() - started)
        return True
    return when


def test_sigkill_of_the_server_during_a_sparql_update(crash_base: VersionedBase, tmp_path: Path) -> None:
    fx = crash_base
    # Reference: the update completes (then the server is killed, which must lose nothing).
    ref_dir = _copy(fx, tmp_path, "reference")
    cmd, env, url = serve_command(ref_dir)
    answers: list[object] = []
    result = kill_during(cmd, env=env, when=_during_update(url, fx.token, delay=None, answers=answers))
    response = answers[0]
    assert isinstance(response, httpx.Response) and response.status_code == 204, (response, result.stderr[-3000:])
    duration = float(answers[1])  # type: ignore[arg-type]
    updated = _updated_state(fx)
    ref_state = check_consistent(ref_dir, "big", {"updated": updated})
    assert ref_state.documents == fx.old_documents
    assert _zebra_hits(ref_dir) == OLD

    seen: dict[float, str] = {}
    for fraction in (0.1, 0.45, 0.8, 0.97):
        data = _copy(fx, tmp_path, f"kill-{fraction}")
        cmd, env, url = serve_command(data)
        answers = []
        result = kill_during(cmd, env=env, when=_during_update(url, fx.token, delay=fraction * duration,
                                                                 answers=answers))
        assert result.killed, result.stderr[-3000:]
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        state = check_consistent(data, "big", {"old": fx.old, "updated": updated})
        seen[fraction] = state.state + (" (index repaired at start-up)" if any(
            state.disagreement_before_repair.values()) else "")
        if state.state == "updated":
            # The index must show the new titles once the start-up check ran.
            assert _zebra_hits(data) == OLD, seen
        else:
            assert _zebra_hits(data) == 0, seen
    print("update killed:", seen, f"(update takes {duration:.1f} s)")
    assert seen[0.1].startswith("old"), seen


def _updated_state(fx: VersionedBase) -> collections.Counter[str]:
    """The old catalog with the update applied, computed without Agora (rdflib-free, on the multiset)."""
    import re

    out: collections.Counter[str] = collections.Counter()
    title = re.compile(r'^(<[^>]+/ds/\d+>) <http://purl\.org/dc/terms/title> "(.*)"@([a-z-]+)$')
    for key, n in fx.old.items():
        if key.endswith(f'<{MARKER}> "old"'):
            key = key[: -len('"old"')] + '"updated"'
        else:
            m = title.match(key)
            if m:
                key = f'{m.group(1)} <http://purl.org/dc/terms/title> "Zebra {m.group(2)}"@{m.group(3)}'
        out[key] += n
    return out


def _zebra_hits(data: Path) -> int:
    from agora.kg.search.results import SearchRequest

    settings = load_settings(data)
    store = AgoraStore(settings)
    try:
        service = SearchService.attach(store, settings)
        try:
            return service.search(SearchRequest(q="zebra", size=1, expand=False, types=["dataset"])).total
        finally:
            service.detach()
    finally:
        store.close()


def test_kill_during_reports_a_process_that_finished_first(tmp_path: Path) -> None:
    result = kill_during([*AGORA, "--help"], when=after_line("never printed", timeout=30))
    assert not result.killed and result.returncode == 0 and "load" in result.stdout


def test_helpers_compare_versions_as_multisets() -> None:
    a = canonical('<http://a> <http://p> _:b1 .\n_:b1 <http://q> "x" .\n')
    b = canonical('<http://a> <http://p> _:zz .\n_:zz <http://q> "x" .\n')
    assert a == b and a != canonical('<http://a> <http://p> _:b1 .\n')
