"""Shared helpers for the fuzz, fault and load tests.

- fuzzing: the derandomized hypothesis profile `agora-fuzz`, `check_status` (never a 500; 503 only
  with Retry-After), `store_state` (what a rejected write must leave as it was), and
  `GraphQLInternalErrors` (a resolver crash hidden in a 200 GraphQL answer);
- crashes: `kill_during(cmd, when=...)` runs a real `agora` subprocess and SIGKILLs it at the moment
  `when` picks (`after_line(pattern, delay=...)`, `after_seconds(s)` or any function of the
  running process), `check_consistent(data_dir, source, states)` then reopens the data directory as
  a restarted server would and checks that store, metadata and search index agree and the source
  holds exactly one of the expected states (`canonical` multisets of triples, blank nodes masked);
  `versioned_catalog`/`versioned_base` make catalogs whose every dataset carries a version marker;
- disk faults: `small_filesystem` (tmpfs), `file_size_limit` (RLIMIT_FSIZE), `make_read_only` and
  `unprivileged` (so that permissions bind a root process too), `run_agora`, `serve_command`.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings

FUZZ_PROFILE = "agora-fuzz"
settings.register_profile(
    FUZZ_PROFILE,
    max_examples=int(os.environ.get("AGORA_FUZZ_EXAMPLES", "10")),
    derandomize=True,  # the same inputs on every run: a CI failure reproduces locally
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure message names the request
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


class ServerError(AssertionError):
    pass


def check_status(status: int, headers: Mapping[str, str], body: str, *, request: str = "") -> None:
    """A proper answer: 1xx-4xx, or 503 with Retry-After. Anything else names the request."""
    if status < 500:
        return
    if status == 503 and any(k.lower() == "retry-after" for k in headers):
        return
    raise ServerError(f"{status} for {request}\n{body[:2000]}")


def copy_data_dir(source: Path, target: Path) -> Path:
    """A private copy of a data directory (store, operational database), without live server records."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("server.json", "snapshots"))
    return target


def store_state(store: Any) -> tuple[Any, ...]:
    """What a rejected write must not change: the registry, every source's export, the set of graphs."""
    import pyoxigraph as ox

    registry = tuple((s.name, s.current.number, s.current.activity, tuple(h.number for h in s.history))
                     for s in store.sources())
    export = store.export(None, ox.RdfFormat.N_QUADS)
    graphs = tuple(sorted(g.value for g in store.ox.named_graphs() if isinstance(g, ox.NamedNode)))
    return registry, hashlib.sha256(export).hexdigest(), len(export), graphs


class GraphQLInternalErrors(logging.Handler):
    """Collects the errors strawberry logs; `watch()` fails when one of them is not the caller's fault.

    GraphQL answers 200 with an `errors` list even when a resolver crashed, so a 500 hides there: an
    error whose original exception is not an Agora error below 500 (or a 503) is a server bug.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @contextlib.contextmanager
    def watch(self, what: str) -> Iterator[None]:
        self.records.clear()
        yield
        for record in self.records:
            exc = record.exc_info[1] if record.exc_info else None
            if exc is None:
                continue
            if _callers_fault(exc):
                continue
            raise ServerError(f"GraphQL resolver failed with {type(exc).__name__}: {exc} for {what}")


def _callers_fault(exc: BaseException) -> bool:
    """An Agora error below 500 (or 503), a GraphQL error, or a ValueError that Agora's own code raised
    on purpose (strawberry's convention for bad arguments) - not one that escaped from a library call."""
    import linecache
    import traceback

    from graphql import GraphQLError

    import agora.api
    import agora.kg
    from agora.kg.errors import AgoraError

    if isinstance(exc, AgoraError):
        return exc.http_status < 500 or exc.http_status == 503
    if isinstance(exc, GraphQLError):
        return True
    if type(exc).__name__ != "PagingError" and type(exc) is not ValueError:
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    last = frames[-1]
    ours = (str(Path(agora.api.__file__).parent), str(Path(agora.kg.__file__).parent))
    line = linecache.getline(last.filename, last.lineno or 0).strip()
    return last.filename.startswith(ours) and line.startswith("raise ")


# -- killing real subprocesses --------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
AGORA = [sys.executable, "-m", "agora.api.cli"]
"""The real `agora` command, as a user runs it (in this interpreter's environment)."""


@dataclass
class Watched:
    """A running subprocess as a `when` function sees it: its output lines so far (stdout and stderr
    interleaved as they came), with times."""

    proc: subprocess.Popen[bytes]
    started: float
    lines: list[tuple[float, str, str]] = field(default_factory=list)
    """(monotonic time, stream name, line)."""
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _open: int = 2

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait_for_line(self, pattern: str, *, nth: int = 1, timeout: float = 300) -> float | None:
        """Seconds since start when the `nth` output line matching `pattern` (a regex) appeared; None when
        the process ended (or `timeout` passed) first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [t for t, _stream, line in self.lines if rx.search(line)]
                if len(hits) >= nth:
                    return hits[nth - 1] - self.started
                if not self._open or time.monotonic() > deadline:
                    return None
                self._cond.wait(0.05)

    def text(self, stream: str) -> str:
        with self._cond:
            return "".join(line for _t, s, line in self.lines if s == stream)

    def _pump(self, stream: Any, name: str) -> None:
        for raw in stream:
            with self._cond:
                self.lines.append((time.monotonic(), name, raw.decode("utf-8", "replace")))
                self._cond.notify_all()
        with self._cond:
            self._open -= 1
            self._cond.notify_all()


When = Callable[[Watched], bool]
"""Blocks until it is time to kill and returns True; False when that moment will never come."""


def after_line(pattern: str, *, nth: int = 1, delay: float = 0.0, timeout: float = 300) -> When:
    """Kill `delay` seconds after the `nth` output line (stdout or stderr) matching `pattern`."""
    def when(w: Watched) -> bool:
        if w.wait_for_line(pattern, nth=nth, timeout=timeout) is None:
            return False
        time.sleep(delay)
        return True
    return when


def after_seconds(seconds: float) -> When:
    def when(w: Watched) -> bool:
        time.sleep(max(0.0, seconds - w.elapsed()))
        return True
    return when


@dataclass
class KillResult:
    killed: bool
    """False when the process ended by itself before the kill point."""
    returncode: int
    stdout: str
    stderr: str
    at: float
    """Seconds from start to the kill (or to the end of the process, give or take 50 ms)."""


def kill_during(cmd: list[str], *, when: When, env: Mapping[str, str] | None = None, timeout: float = 600,
                **popen: Any) -> KillResult:
    """Run `cmd`, SIGKILL it at the moment `when` chooses, and reap it (and its process group).

    The process runs in its own session, so helpers it spawned (query workers) are reaped too;
    only the main process gets the SIGKILL that simulates the crash, the rest are cleaned up
    after it died. Example: `kill_during([*AGORA, "load", big, "--replace"], env=env,
    when=after_line("triples parsed", nth=2, delay=0.1))`.
    """
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **popen)
    w = Watched(proc, time.monotonic())
    pumps = [threading.Thread(target=w._pump, args=(stream, name), daemon=True)
             for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))]
    for pump in pumps:
        pump.start()
    killed = False
    try:
        if when(w) and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed = True
        at = w.elapsed()
        proc.wait(timeout=timeout)
        if not killed:
            at = w.elapsed()
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the crashed process's helpers
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pump in pumps:
        pump.join(10)
    return KillResult(killed=killed and proc.returncode == -signal.SIGKILL, returncode=proc.returncode,
                      stdout=w.text("stdout"), stderr=w.text("stderr"), at=at)


# -- what the store holds after a crash ----------------------------------------------------------

MARKER = "https://w3id.org/agora/test#version"
"""Every dataset of a versioned test catalog carries this property with its version's name."""


def _generator() -> Any:
    import importlib.util

    name = "agora_bench_generate"  # the name bench/common.py gives it: one module, however loaded
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look the module up while the class is created
        spec.loader.exec_module(module)
    return module


def versioned_catalog(path: Path, datasets: int, *, seed: int, version: str) -> Path:
    """A valid DCAT-AP catalog (bench/generate.py) whose every dataset is marked with `version`."""
    raw = path.with_suffix(".raw.nt")
    _generator().generate(datasets, 0.0, seed, raw, "nt")
    rx = re.compile(r"^(<[^>]+/ds/\d+>) <http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> "
                    r"<http://www\.w3\.org/ns/dcat#Dataset> \.$")
    with raw.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as dst:
        for line in src:
            dst.write(line)
            m = rx.match(line.rstrip("\n"))
            if m:
                dst.write(f'{m.group(1)} <{MARKER}> "{version}" .\n')
    raw.unlink()
    for side in path.parent.glob(raw.name + "*"):
        side.unlink()
    return path


_BNODE = re.compile(r"_:[A-Za-z0-9_.-]+")


def canonical(ntriples: bytes | str) -> collections.Counter[str]:
    """The triples of an N-Triples document as a multiset, blank node labels masked: two loads of the
    same file compare equal, and any mix of two versions differs from both."""
    import pyoxigraph as ox

    data = ntriples.encode() if isinstance(ntriples, str) else ntriples
    out: collections.Counter[str] = collections.Counter()
    for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        out[_BNODE.sub("_:x", f"{t.subject} {t.predicate} {t.object}")] += 1
    return out


@dataclass
class Consistency:
    state: str
    """The name of the expected state the source holds ("old", "new", ...)."""
    version: int
    documents: int
    disagreement_before_repair: dict[str, list[str]]


def check_consistent(data_dir: Path, source: str, states: Mapping[str, collections.Counter[str] | None],
                     *, search_documents: Mapping[str, int] | None = None) -> Consistency:
    """After a crash and restart: the store opens, its registry and graphs agree, the source holds exactly
    one of `states` (None: the source does not exist), and the search index agrees with the store.

    Opens the data directory as `agora serve` would (store, then the search index, which repairs any
    disagreement) and closes it again.
    """
    import pyoxigraph as ox

    from agora.kg import registry as reg
    from agora.kg import store as store_module
    from agora.kg.config import load_settings
    from agora.kg.namespaces import FIDELITY_PREFIX, PHYSICAL_PREFIX, REPORT_PREFIX, STAGING_PREFIX
    from agora.kg.search import schema as S
    from agora.kg.search.indexer import SearchIndex
    from agora.kg.search.service import SearchService
    from agora.kg.store import AgoraStore

    settings = load_settings(data_dir)
    store = AgoraStore(settings)
    try:
        # Metadata: every version the registry names exists with the size it records; nothing else remains.
        graphs = {g.value for g in store.ox.named_graphs() if isinstance(g, ox.NamedNode)}
        for info in store.sources():
            for v in [info.current, *info.history]:
                physical = reg.physical_graph(info.name, v.number)
                assert physical.value in graphs or v.triples == 0, f"{info.name}/{v.number}: graph missing"
            assert store.triple_count(info.physical) == info.current.triples, f"{info.name}: size differs"
        prefixes = getattr(store_module, "INTERNAL_PREFIXES",
                           (PHYSICAL_PREFIX, FIDELITY_PREFIX, REPORT_PREFIX, STAGING_PREFIX))
        internal = {g for g in graphs if g.startswith(prefixes)}
        assert internal <= store.referenced_graphs(), f"unreferenced graphs: {internal - store.referenced_graphs()}"

        info = store.get(source)
        if info is None:
            held: collections.Counter[str] | None = None
        else:
            held = canonical(store.export(source, ox.RdfFormat.N_TRIPLES))
        matches = [name for name, expected in states.items() if expected == held]
        assert matches, (f"{source} holds none of the expected states ({', '.join(states)}): "
                         f"{_describe(held, states)}")
        state = matches[0]

        # Search: the start-up check sees any disagreement and repairs it.
        index = SearchIndex.open(store, settings.data_dir / "search", repair=False)
        before = index.disagreement(store)
        del index
        service = SearchService.attach(store, settings)
        try:
            gaps = service.index.disagreement(store)
            assert gaps == {"missing": [], "stale": [], "extra": []}, f"index disagrees after repair: {gaps}"
            manifests = service.index.manifests()
            documents = 0
            if info is not None:
                assert manifests[source].activity == info.current.activity
                query = tantivy_term(S.SOURCE, source, service.index.schema)
                documents = service.index.searcher().search(query, limit=1, count=True).count - 1  # manifest
            if search_documents is not None and state in search_documents:
                assert documents == search_documents[state], (state, documents, search_documents)
        finally:
            service.detach()
        return Consistency(state, info.current.number if info else 0, documents, before)
    finally:
        store.close()


def tantivy_term(field_name: str, value: str, schema: Any) -> Any:
    import tantivy

    return tantivy.Query.term_query(schema, field_name, value)


def _describe(held: collections.Counter[str] | None, states: Mapping[str, collections.Counter[str] | None]) -> str:
    if held is None:
        return "the source does not exist"
    parts = [f"{sum(held.values())} triples"]
    versions = collections.Counter(k.rsplit(" ", 1)[-1] for k in held if f"<{MARKER}>" in k)
    parts.append(f"markers {dict(versions)}")
    for name, expected in states.items():
        if expected is not None:
            parts.append(f"{name}: {sum((held - expected).values())} extra, {sum((expected - held).values())} "
                         "missing")
    return "; ".join(parts)


# -- disk faults ----------------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(path: Path, size_kib: int) -> Iterator[Path | None]:
    """A tmpfs of `size_kib` mounted at `path` (None when this machine does not let us mount one)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield None
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def grow_filesystem(path: Path, size_kib: int) -> None:
    """Remove the fault: give the tmpfs at `path` room again."""
    subprocess.run(["mount", "-o", f"remount,size={size_kib}k", str(path)], check=True, capture_output=True)


def used_kib(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def file_size_limit(limit_bytes: int) -> Callable[[], None]:
    """A preexec_fn: writes past `limit_bytes` fail with EFBIG (SIGXFSZ ignored, so no crash)."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def make_read_only(path: Path) -> None:
    for root, dirs, files in os.walk(path):
        for name in files:
            os.chmod(os.path.join(root, name), 0o444)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(path, 0o555)


def make_writable(path: Path) -> None:
    os.chmod(path, 0o755)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER, _PR_CAPBSET_DROP = 1, 2, 3, 24


def unprivileged() -> None:
    """A preexec_fn under which file permissions hold, also for root (tests and CI run as root).

    Switching to `nobody` (uid 65534) would also need the interpreter and the virtualenv to be
    readable by it, which they are not when Python lives under /root (pyenv). So a root process
    instead drops the capabilities that let root ignore permissions (DAC override, DAC read search,
    fowner) from its bounding set before exec: it stays uid 0, but a mode 0555 directory is as
    read-only for it as for anyone. A non-root process needs nothing: chmod already binds it.
    """
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_agora(args: list[str], data_dir: Path, *, timeout: float = 300,
              **popen: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run([*AGORA, *args], env=env, capture_output=True, text=True, timeout=timeout, **popen)


@dataclass
class VersionedBase:
    """A data directory holding source `big` at its old version (indexed for search), the files of
    its old and new versions, their triples, and a write token."""

    base: Path
    old_file: Path
    new_file: Path
    old: collections.Counter[str]
    new: collections.Counter[str]
    token: str
    old_documents: int
    old_datasets: int
    new_datasets: int

    def copy(self, target: Path) -> Path:
        return copy_data_dir(self.base, target)


def versioned_base(root: Path, old_datasets: int, new_datasets: int) -> VersionedBase:
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.opsdb import OpsDB
    from agora.kg.search.service import SearchService
    from agora.kg.store import AgoraStore

    old_file = versioned_catalog(root / "old.nt", old_datasets, seed=1, version="old")
    new_file = versioned_catalog(root / "new.nt", new_datasets, seed=2, version="new")
    base = root / "base"
    settings = load_settings(base)
    store = AgoraStore(settings)
    try:
        load_files(store, [old_file], name="big", validate=True)
        SearchService.attach(store, settings).detach()
    finally:
        store.close()
    token = OpsDB(settings.ops_db_path).create_token("write", name="fault-curator")[1]
    old = canonical(old_file.read_bytes())
    documents = check_consistent(base, "big", {"old": old}).documents
    return VersionedBase(base, old_file, new_file, old, canonical(new_file.read_bytes()), token, documents,
                         old_datasets, new_datasets)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(data: Path, **env: str) -> tuple[list[str], dict[str, str], str]:
    """`agora serve` on `data` at a free port: the command, its environment and its URL."""
    port = free_port()
    cmd = [*AGORA, "serve", "--no-demo", "--port", str(port), "--data-dir", str(data)]
    return cmd, {"AGORA_DATA_DIR": str(data), "AGORA_QUERY_WORKERS": "1", **env}, f"http://127.0.0.1:{port}"


SERVER_READY = "Uvicorn running on"
"""The line uvicorn prints once `agora serve` answers requests: after binding its socket ("Application
startup complete" comes before the bind, and a client that trusts it can be refused)."""
