"""The `agora` command as a curator uses it: output, exit codes, and going through a running server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import run_cli

TTL = ('@prefix ex: <http://ex/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
       'ex:a ex:size "012"^^xsd:nonNegativeInteger ; ex:label "Label"@en-GB .\n')


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def ttl_file(tmp_path: Path) -> Path:
    f = tmp_path / "mine.ttl"
    f.write_text(TTL)
    return f


def test_load_export_round_trip_and_exit_codes(data, ttl_file, tmp_path):
    r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "loaded source mine" in r.stdout
    r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data)
    assert r.returncode == 2 and "--replace" in r.stderr
    r = run_cli("load", str(ttl_file), "--no-validate", "--replace", data_dir=data)
    assert r.returncode == 0 and "replaced source mine" in r.stdout
    r = run_cli("export", "--graph", "mine", "--format", "ntriples", data_dir=data)
    assert r.returncode == 0
    assert '"012"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in r.stdout
    assert '"Label"@en-GB' in r.stdout
    r = run_cli("sources", "--json", data_dir=data)
    rows = {s["name"]: s for s in json.loads(r.stdout)}
    assert rows["mine"]["triples"] == 2 and rows["mine"]["version"] == 2
    r = run_cli("query", "SELECT ?o WHERE { <http://ex/a> <http://ex/size> ?o }", "--format", "csv", data_dir=data)
    assert r.returncode == 0 and r.stdout.splitlines()[:2] == ["o", "012"]
    r = run_cli("delete", "--graph", "mine", data_dir=data)
    assert r.returncode == 0
    r = run_cli("delete", "--graph", "mine", data_dir=data)
    assert r.returncode == 2 and "no source named" in r.stderr


def test_bad_input_is_exit_2_with_line_and_column(data, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://ex/> .\nex:a ex:p ex:b .\nex:c ex:p .\n")
    r = run_cli("load", str(bad), "--no-validate", data_dir=data)
    assert r.returncode == 2 and "line 3" in r.stderr
    r = run_cli("load", str(tmp_path / "missing.ttl"), data_dir=data)
    assert r.returncode == 2 and "no such file" in r.stderr
    odd = tmp_path / "data.unknown"
    odd.write_text("x")
    r = run_cli("load", str(odd), data_dir=data)
    assert r.returncode == 2 and "--format" in r.stderr
    r = run_cli("query", "SELECT WHERE {", data_dir=data)
    assert r.returncode == 2 and "syntax error" in r.stderr.lower()


def test_a_store_locked_by_another_process_is_exit_3(data):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from agora.kg.config import load_settings; from agora.kg.store import AgoraStore;"
        f"s = AgoraStore(load_settings({str(data)!r})); print('open', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        r = run_cli("sources", data_dir=data)
        assert r.returncode == 3 and "cannot open the store" in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_help_has_an_example_for_every_command(data):
    for cmd in ("serve", "load", "validate", "query", "export", "sources", "delete"):
        r = run_cli(cmd, "--help", data_dir=data)
        assert r.returncode == 0 and "Example" in r.stdout, cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_commands_go_through_a_running_server(data, ttl_file):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port), "--no-demo"],
                              env={**__import__("os").environ, "AGORA_DATA_DIR": str(data)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert json.loads((data / "server.json").read_text())["url"] == f"http://127.0.0.1:{port}"
        # A write through the server needs a token.
        r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data)
        assert r.returncode == 2 and "token" in r.stderr.lower()
        # Tokens can be created while the server holds the store (operational state is in SQLite).
        r = run_cli("token", "create", "--scope", "read", data_dir=data)
        read_token = r.stdout.strip()
        r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data, env={"AGORA_TOKEN": read_token})
        assert r.returncode == 2 and "scope" in r.stderr
        r = run_cli("token", "create", "--scope", "write", data_dir=data)
        assert r.returncode == 0
        token = r.stdout.strip()
        r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data, env={"AGORA_TOKEN": token})
        assert r.returncode == 0, r.stderr
        r = run_cli("sources", "--json", data_dir=data)
        assert "mine" in {s["name"] for s in json.loads(r.stdout)}
        r = run_cli("export", "--graph", "mine", "--format", "ntriples", data_dir=data)
        assert '"012"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in r.stdout
        r = run_cli("query", "SELECT ?o WHERE { <http://ex/a> <http://ex/size> ?o }", "--format", "csv", data_dir=data)
        assert r.returncode == 0 and r.stdout.splitlines()[:2] == ["o", "012"]
        r = run_cli("load", str(ttl_file), "--no-validate", data_dir=data, env={"AGORA_TOKEN": token})
        assert r.returncode == 2 and "--replace" in r.stderr
        r = run_cli("delete", "--graph", "mine", data_dir=data, env={"AGORA_TOKEN": token})
        assert r.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_policy_search_and_quality_commands_as_users_run_them(demo_dir, tmp_path):
    """The commands other modules add are wired into `agora` itself (real subprocesses, demo data)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    trips = "https://agora.example.org/id/antwerp/dataset/deelsteps-ritten"
    r = run_cli("policy", "check", "--party", "https://agora.example.org/id/org/stad-antwerpen", "--action",
                "odrl:use", "--target", trips, "--purpose", "purpose:urban-planning", "--format", "json",
                data_dir=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["decision"] == "Permit"
    r = run_cli("policy", "check", "--party", "https://agora.example.org/id/org/adpulse-media", "--target", trips,
                "--purpose", "purpose:marketing", "--format", "json", data_dir=data)
    assert json.loads(r.stdout)["decision"] == "Deny"
    r = run_cli("search", "flussi di traffico", "--json", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert any("/florence/" in hit["iri"] for hit in json.loads(r.stdout)["results"])
    r = run_cli("quality", "--source", "amsterdam", "--format", "json", data_dir=data)
    assert r.returncode == 0, r.stderr
