"""Real `agora serve` processes on 127.0.0.1 for tests that need HTTP between instances."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Agora:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    token: str = ""
    """An admin token of this instance."""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.auth, timeout=120)


def cli(*args: str, data_dir: Path, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "agora.api.cli", *args], capture_output=True, text=True,
                          env=full, timeout=timeout)


def start(data_dir: Path, *, demo: bool = False, env: dict[str, str] | None = None,
          args: tuple[str, ...] = ()) -> Agora:
    """Start `agora serve` (not waiting for it: call `ready()`), with an admin token created first."""
    data_dir.mkdir(parents=True, exist_ok=True)
    made = cli("token", "create", "--scope", "admin", "--name", "test-admin", data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"serve-{port}.log"
    full = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "AGORA_BASE_URL": url, **(env or {})}
    cmd = [sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port),
           "--demo" if demo else "--no-demo", *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=full, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    return Agora(url, data_dir, proc, log, token)


def ready(server: Agora, timeout: float = 90) -> Agora:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise AssertionError(f"agora serve at {server.url} did not become ready:\n{server.log.read_text()}")
        time.sleep(0.2)


def stop(server: Agora) -> None:
    stop_process(server.process)


def stop_process(proc: subprocess.Popen[bytes], *, grace: float = 20) -> None:
    """Stop a server started in its own session: its process group (uvicorn and its query workers),
    SIGKILLed when SIGTERM has not stopped it within `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def running(*servers: Agora) -> Iterator[tuple[Agora, ...]]:
    try:
        for s in servers:
            ready(s)
        yield servers
    finally:
        for s in servers:
            stop(s)
