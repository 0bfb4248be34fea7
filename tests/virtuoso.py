"""A throw-away Virtuoso 7 (open source, Debian's `virtuoso-opensource`) for the SPARQL-endpoint backend tests.

Why: the SPARQL 1.1 Query/Update/Graph-Store-Protocol backend must be tested against a real, independent server,
not only against our own pyoxigraph code. Each `VirtuosoServer` is a private `virtuoso-t` with its own database
directory and free loopback ports, so tests can run in parallel (xdist) and never touch a system service.

The server is configured (see `_GRANTS`) so that the plain, unauthenticated endpoints accept updates:
`/sparql` for query + update and `/sparql-graph-crud` for the Graph Store Protocol. It listens on 127.0.0.1 only,
which is what makes that acceptable. The authenticated variants (`/sparql-auth`, `/sparql-graph-crud-auth`, HTTP
digest with dba/dba) work too and are exposed as `auth_sparql_url` / `auth_gsp_url` with `user` / `password`.
See docs/virtuoso-notes.md for the measured behaviour.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from .servers import free_port, stop_process

VIRTUOSO_BIN_CANDIDATES = ("virtuoso-t", "/usr/bin/virtuoso-t")
ISQL_BIN_CANDIDATES = ("isql-vt", "/usr/bin/isql-vt")
INSTALL_HINT = ("Virtuoso is not installed: run `bash .ci/virtuoso-deps` (as root) to install Debian's "
                "virtuoso-opensource.")

AGORA_GRAPH_PREFIX = "urn:agora:"

# SQL run once after start-up, as dba over the SQL port. The anonymous HTTP user of /sparql and
# /sparql-graph-crud is the SQL user "SPARQL"; the role SPARQL_UPDATE lets it run INSERT/DELETE/DROP/... and, as
# measured on 7.2.5, is also all the Graph Store Protocol endpoint needs (PUT/POST/DELETE). Without it, updates
# fail with HTTP 500 "SR186:SECURITY: No permission to execute procedure DB.DBA.SPARQL_INSERT_DICT_CONTENT" and GSP
# writes with 403. Safe only because the server binds 127.0.0.1.
_GRANTS = """
GRANT SPARQL_UPDATE TO "SPARQL";
"""


def _which(candidates: tuple[str, ...]) -> str | None:
    """The first candidate that is an executable on PATH (or an absolute path that exists)."""
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def virtuoso_available() -> bool:
    """True when both the server binary and isql are installed (tests fail, not skip, when this is False)."""
    return _which(VIRTUOSO_BIN_CANDIDATES) is not None and _which(ISQL_BIN_CANDIDATES) is not None


def _ini(db: Path, sql_port: int, http_port: int, max_rows: int = 100_000_000) -> str:
    """A minimal virtuoso.ini: loopback-only ports, small buffers, no plugins/VADs, large result sets allowed.

    Why these numbers: many servers may run at once on a 2-core test machine, so memory is kept to ~100 MB each
    (NumberOfBuffers x 8 kB pages), few threads; ResultSetMaxRows is set high for 1M-row SELECTs (the
    server still caps a result at 1,048,576 rows, see docs/virtuoso-notes.md), and the
    cost-estimation guard (which refuses "expensive" queries before running them) is switched off so that only
    the real execution time limit applies.
    """
    return f"""\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 0
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {db}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 100000000
MaxQueryMem              = 500M
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
NumberOfBuffers          = 12000
MaxDirtyBuffers          = 9000
MaxSortedTopRows         = 10000000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {db}
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[VDB]
ArrayOptimization           = 0
NumArrayParameters          = 10
VDBDisconnectTimeout        = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName   = agora-test
ServerEnable = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = 127.0.0.1:{http_port}

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 300
DefaultGraph               =
DeferInferenceRulesInit    = 1
"""


class VirtuosoServer:
    """A private `virtuoso-t` process with its own database directory, on free 127.0.0.1 ports.

    Use as a context manager or call `start()` / `stop()`. After `start()`:
    - `sparql_url`: query + update endpoint without auth (http://127.0.0.1:PORT/sparql)
    - `gsp_url`: Graph Store Protocol endpoint without auth (http://127.0.0.1:PORT/sparql-graph-crud)
    - `auth_sparql_url`, `auth_gsp_url`: the `-auth` variants, HTTP *digest* auth with `user` / `password`
    - `auth_scheme`: "digest" (what the -auth endpoints accept; basic is refused)
    - `store_url`: "sparql+http://127.0.0.1:PORT/sparql" (how Agora names this backend)
    - `sql_port`, `http_port`, `base_url`, `directory`, `log_path`, `startup_seconds`
    """

    user: str = "dba"
    password: str = "dba"
    auth_scheme: str = "digest"

    def __init__(self, directory: Path | str | None = None, *, startup_timeout: float = 60.0,
                 max_rows: int = 100_000_000) -> None:
        """Prepare (not start) a server; `directory` is created if missing and removed again by `stop()`.
        `max_rows` caps the rows of one SELECT answer (Virtuoso never returns more than 1,048,576 anyway)."""
        self.max_rows = max_rows
        self._given_dir = Path(directory) if directory is not None else None
        self.startup_timeout = startup_timeout
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.sql_port = 0
        self.http_port = 0
        self.startup_seconds = 0.0

    # -- URLs -------------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, the server's HTTP root."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        """Unauthenticated SPARQL 1.1 query + update endpoint (updates allowed by `_GRANTS`)."""
        return f"{self.base_url}/sparql"

    @property
    def gsp_url(self) -> str:
        """Unauthenticated SPARQL 1.1 Graph Store HTTP Protocol endpoint (?graph=IRI / ?default)."""
        return f"{self.base_url}/sparql-graph-crud"

    @property
    def auth_sparql_url(self) -> str:
        """Digest-authenticated query + update endpoint (dba/dba)."""
        return f"{self.base_url}/sparql-auth"

    @property
    def auth_gsp_url(self) -> str:
        """Digest-authenticated Graph Store Protocol endpoint (dba/dba)."""
        return f"{self.base_url}/sparql-graph-crud-auth"

    @property
    def store_url(self) -> str:
        """The store URL Agora's SPARQL backend takes: sparql+http://127.0.0.1:PORT/sparql."""
        return f"sparql+{self.sparql_url}"

    @property
    def agora_store_url(self) -> str:
        """`store_url` with the Graph Store Protocol endpoint Agora writes through (`--store` of `agora serve`)."""
        return f"{self.store_url}?gsp=/sparql-graph-crud"

    @property
    def log_path(self) -> Path:
        """Virtuoso's own error log (useful in assertion messages when start-up fails)."""
        assert self.directory is not None
        return self.directory / "virtuoso.log"

    def digest_auth(self) -> httpx.DigestAuth:
        """httpx auth object for the -auth endpoints."""
        return httpx.DigestAuth(self.user, self.password)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def __enter__(self) -> VirtuosoServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> VirtuosoServer:
        """Create the database, start virtuoso-t, wait for /sparql to answer, and grant update rights."""
        binary = _which(VIRTUOSO_BIN_CANDIDATES)
        if binary is None or _which(ISQL_BIN_CANDIDATES) is None:
            raise RuntimeError(INSTALL_HINT)
        t0 = time.monotonic()
        if self._given_dir is not None:
            self._given_dir.mkdir(parents=True, exist_ok=True)
            self.directory = self._given_dir.resolve()
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="agora-virtuoso-"))
        self.sql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sql_port:
            self.http_port = free_port()
        ini = self.directory / "virtuoso.ini"
        ini.write_text(_ini(self.directory, self.sql_port, self.http_port, self.max_rows), encoding="utf-8")
        with open(self.directory / "stdout.log", "wb") as out:
            self.process = subprocess.Popen(
                [binary, "+foreground", "+configfile", str(ini)], cwd=self.directory, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready(t0)
            self.isql(_GRANTS)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self, t0: float) -> None:
        """Poll an ASK on /sparql until it answers (the HTTP listener comes up after the DB is initialised)."""
        assert self.process is not None
        deadline = t0 + self.startup_timeout
        last: str = ""
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"virtuoso-t exited with {self.process.returncode} during start-up:\n"
                                       f"{self._log_tail()}")
                try:
                    r = client.get(self.sparql_url, params={"query": "ASK {}"},
                                   headers={"Accept": "application/sparql-results+json"})
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx.HTTPError as e:
                    last = repr(e)
                time.sleep(0.1)
        raise RuntimeError(f"virtuoso-t did not answer on {self.sparql_url} within {self.startup_timeout}s "
                           f"({last}):\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        """The end of Virtuoso's log, for error messages."""
        if self.directory is None:
            return ""
        parts = []
        for name in ("virtuoso.log", "stdout.log"):
            p = self.directory / name
            if p.exists():
                parts.append("\n".join(p.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(parts)

    def isql(self, sql: str, timeout: float = 120) -> str:
        """Run SQL as dba over the SQL port with isql-vt; raise with its output if any statement failed.

        Why isql rather than HTTP: granting rights and other admin work is SQL-only, and the SQL port is the only
        channel that needs no prior configuration.
        """
        isql = _which(ISQL_BIN_CANDIDATES)
        if isql is None:
            raise RuntimeError(INSTALL_HINT)
        r = subprocess.run([isql, f"127.0.0.1:{self.sql_port}", self.user, self.password, "VERBOSE=OFF",
                            "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"], input=sql.encode(), capture_output=True,
                           timeout=timeout)
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        if r.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql failed (rc={r.returncode}):\n{out}")
        return out

    def stop(self) -> None:
        """Kill the whole process group (virtuoso-t has no children we want to keep) and remove the directory.

        Why SIGKILL after a short SIGTERM grace: the database is throw-away, so a clean checkpoint is pointless
        and would only slow test teardown down.
        """
        proc, self.process = self.process, None
        if proc is not None:
            stop_process(proc, grace=5)
            with contextlib.suppress(ProcessLookupError):  # anything left in its group
                os.killpg(proc.pid, signal.SIGKILL)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def agora_graphs(server: VirtuosoServer) -> list[str]:
    """IRIs of all named graphs starting with urn:agora: (system graphs are left out by the filter)."""
    q = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"" + AGORA_GRAPH_PREFIX
         + "\")) }")
    r = httpx.post(server.sparql_url, data={"query": q}, headers={"Accept": "application/sparql-results+json"},
                   timeout=120)
    r.raise_for_status()
    return [b["g"]["value"] for b in r.json()["results"]["bindings"]]


def clear_agora_graphs(server: VirtuosoServer) -> int:
    """Drop every named graph whose IRI starts with urn:agora: (between tests); returns how many were dropped.

    Why one request per 500 graphs: each DROP is a cheap index range delete, so `DROP SILENT GRAPH <a> ; DROP SILENT
    GRAPH <b> ; ...` is much faster than one HTTP round trip per graph (Virtuoso commits the operations one by one,
    which does not matter between tests).
    """
    graphs = agora_graphs(server)
    if not graphs:
        return 0
    for i in range(0, len(graphs), 500):
        update = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs[i:i + 500])
        r = httpx.post(server.sparql_url, data={"update": update}, timeout=300)
        if r.status_code != 200:
            raise RuntimeError(f"clearing graphs failed: HTTP {r.status_code}: {r.text[:500]}")
    return len(graphs)
