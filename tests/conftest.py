"""Shared fixtures: real on-disk stores in temporary data directories, a real app, a real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agora.kg.config import Settings, load_settings
from agora.kg.store import AgoraStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "reference"


BACKENDS = ("embedded", "virtuoso")
"""A test module opts into running on every backend with `pytestmark = pytest.mark.backends`: each of its
tests then runs on the embedded store and on a real Virtuoso 7 (the remote SPARQL 1.1 backend)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends: run the module's tests on every storage backend")
    config.addinivalue_line("markers", "embedded_only(why): in a `backends` module, a test of the embedded store")
    config.addinivalue_line("markers", "virtuoso_only: in a `backends` module, a test of Virtuoso's behaviour")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        chosen = BACKENDS
        if metafunc.definition.get_closest_marker("embedded_only"):
            chosen = ("embedded",)
        elif metafunc.definition.get_closest_marker("virtuoso_only"):
            chosen = ("virtuoso",)
        metafunc.parametrize("backend", chosen, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on: "embedded" unless the module is marked `backends`."""
    return getattr(request, "param", "embedded")


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[object]:
    """A throw-away Virtuoso per test module, started on first use (fails, never skips, without it).

    Why per module, not per session: Virtuoso 7.2.5 can damage its own column-store index for good (see
    `test_a_same_day_date_and_date_time_damage_virtuosos_index`), after which later inserts fail. A module
    that provokes it must not fail every module after it; a fresh server costs about two seconds.
    """
    from .virtuoso import VirtuosoServer

    server = VirtuosoServer()
    server.start()
    yield server
    server.stop()


def backend_settings(backend: str, data_dir: Path, request: pytest.FixtureRequest, **flags: object) -> Settings:
    """Settings for a fresh, empty store of this backend (a remote store is emptied of Agora's graphs)."""
    if backend == "embedded":
        return load_settings(data_dir, **flags)
    from .virtuoso import clear_agora_graphs

    server = request.getfixturevalue("virtuoso")
    clear_agora_graphs(server)
    # In the data directory's agora.toml too, so CLI commands and served instances on it use the store.
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "agora.toml").write_text(f'store = "{server.agora_store_url}"\n')
    return load_settings(data_dir, **flags)


def demo_settings(backend: str, demo_dir: Path, data_dir: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a private store holding the demo catalog: a copy of the session's demo directory,
    or the demo loaded into a remote store."""
    if backend == "embedded":
        shutil.copytree(demo_dir, data_dir)
        return load_settings(data_dir)
    from agora.kg.demo import load_demo

    settings = backend_settings(backend, data_dir, request)
    store = AgoraStore(settings)
    load_demo(store, say=lambda _m: None)
    store.close()
    return settings


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    return backend_settings(backend, tmp_path / "data", request)


@pytest.fixture
def store(settings: Settings) -> Iterator[AgoraStore]:
    s = AgoraStore(settings)
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo catalog loaded once per session (copied per test that writes)."""
    from agora.kg.demo import load_demo

    d = tmp_path_factory.mktemp("demo") / "data"
    s = AgoraStore(load_settings(d))
    load_demo(s, say=lambda _m: None)
    s.close()
    return d


@pytest.fixture
def demo_store(demo_dir: Path, tmp_path: Path) -> Iterator[AgoraStore]:
    target = tmp_path / "demo-data"
    shutil.copytree(demo_dir, target)
    s = AgoraStore(load_settings(target))
    yield s
    s.close()


@pytest.fixture(scope="module")
def demo_search(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A search service attached to a private copy of the demo store (one per test module)."""
    from agora.kg.search.service import SearchService

    target = tmp_path_factory.mktemp("search") / "data"
    shutil.copytree(demo_dir, target)
    store = AgoraStore(load_settings(target))
    service = SearchService.attach(store)
    yield service
    service.detach()
    store.close()


def run_cli(*args: str, data_dir: Path, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `agora` command in a subprocess, as a user would."""
    full_env = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "agora.api.cli", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the conformance pass counts (W3C SPARQL/GSP/SHACL, SolidLab ODRL) at the end of every run.

    The summary tests print lines like "SHACL Core: 98/98 passed"; under xdist their output only
    travels inside the test reports, so collect it from there.
    """
    import re

    lines: list[str] = []
    for report in terminalreporter.stats.get("passed", []):
        for _name, text in getattr(report, "sections", []):
            lines += [ln.strip() for ln in text.splitlines() if re.match(r"^[A-Z][\w .()/-]*: \d+/\d+ passed", ln)]
    if lines:
        terminalreporter.write_sep("=", "conformance")
        for line in dict.fromkeys(lines):
            terminalreporter.write_line(line)
