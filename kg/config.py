"""One configuration mechanism for every part of Agora.

Precedence, lowest to highest: built-in defaults < `agora.toml` in the data directory <
`AGORA_*` environment variables < command-line flags. Every setting has one name, used in
all three places (`query_timeout` in TOML, `AGORA_QUERY_TIMEOUT` in the environment,
`--query-timeout` where a command offers the flag).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadInput

CONFIG_FILE = "agora.toml"
TABLES = {"quality_weights"}
"""TOML tables read by the modules that own them (kg/quality.py), not settings."""


@dataclass
class Settings:
    data_dir: Path = Path("./agora-data")
    base_url: str = "http://127.0.0.1:8000"
    """IRIs under this base dereference on this server; new source graph IRIs are minted under it."""
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout: float = 10.0
    """Seconds before a query is stopped and answered with 503 + Retry-After."""
    max_body_bytes: int = 50 * 1024 * 1024
    max_result_rows: int = 100_000
    max_triples_per_request: int = 5_000_000
    query_workers: int = 0
    """Query worker processes; 0 (the default) means two per CPU core: a worker spends part of each
    point lookup waiting on its pipe, and a second one per core fills that time (measured: 8 clients
    get 1.87x one client's throughput with 4 workers on 2 cores, 1.68x with 2)."""
    index_workers: int = 0
    """Processes that read a large source for the search index; 0 (the default) means one per CPU
    core, 1 reads in the serving process. Reading values back out of Oxigraph bounds a rebuild and
    scales with processes, not threads (see kg/search/parallel.py)."""
    index_workers_min_triples: int = 200_000
    """Sources smaller than this are read in the serving process: starting the workers and a
    checkpoint costs about a second."""
    default_graph_union: bool = True
    """The SPARQL default graph is the union of the committed public source graphs."""
    allow_hosts: list[str] = field(default_factory=list)
    """Private/loopback hosts or CIDR ranges that outbound requests may reach (harvest, validation by URL)."""
    service_allowlist: list[str] = field(default_factory=list)
    """SPARQL endpoints that SERVICE clauses may call; empty means SERVICE is refused."""
    read_only: bool = False
    demo: bool | None = None
    """None: load the demo data into an empty embedded store; True: always; False: never."""
    store: str | None = None
    """None for the embedded Oxigraph store, or `sparql+http://host:port/sparql` for a remote store."""
    rate_limit_per_minute: int = 0
    """Per-client request budget; 0 disables rate limiting."""
    validate_on_load: bool = True
    history_versions: int = 3
    """How many previous versions of each source are kept for diff and rollback."""
    harvest_check_interval: float = 30.0
    """Seconds between checks for scheduled harvests that are due."""

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store"

    @property
    def ops_db_path(self) -> Path:
        return self.data_dir / "ops.sqlite"

    @property
    def server_file(self) -> Path:
        return self.data_dir / "server.json"


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = str(_FIELDS[name].type)
    try:
        if value is None:
            return None
        if "Path" in kind:
            return Path(value)
        if kind.startswith("bool"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind.startswith("list"):
            if isinstance(value, list):
                return [str(v) for v in value]
            return [v.strip() for v in str(value).split(",") if v.strip()]
        return str(value)
    except ValueError as exc:
        raise BadInput(f"configuration setting {name!r}: cannot read {value!r} ({exc})") from exc


def load_settings(data_dir: str | Path | None = None, **flags: Any) -> Settings:
    """Build the effective settings; `flags` are command-line values (None means 'not given')."""
    env = os.environ
    chosen_dir = data_dir or env.get("AGORA_DATA_DIR") or Settings.data_dir
    values: dict[str, Any] = {}
    cfg_path = Path(chosen_dir) / CONFIG_FILE
    if cfg_path.is_file():
        try:
            file_values = tomllib.loads(cfg_path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(f"{cfg_path}: {exc}") from exc
        for key, value in file_values.items():
            if key in TABLES:
                continue
            if key not in _FIELDS:
                raise BadInput(f"{cfg_path}: unknown setting {key!r}")
            values[key] = _coerce(key, value)
    for name in _FIELDS:
        env_value = env.get(f"AGORA_{name.upper()}")
        if env_value is not None:
            values[name] = _coerce(name, env_value)
    for name, value in flags.items():
        if name not in _FIELDS:
            raise TypeError(f"unknown setting {name}")
        if value is not None:
            values[name] = _coerce(name, value)
    values["data_dir"] = Path(chosen_dir)
    settings = Settings(**values)
    settings.base_url = settings.base_url.rstrip("/")
    return settings
