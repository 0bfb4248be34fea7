"""A full disk, a file size limit and a read-only data directory, met by real `agora` processes.

Expected every time: a clear error (what failed and why, in words), exit code 3 (runtime error,
kg/errors.py) or HTTP 503 with Retry-After, no traceback; and once the fault is removed the store
opens and holds exactly its previous state (nothing corrupted, the search index agreeing).

Tests and CI run as root, for whom neither chmod nor a full quota stops a write, so:
- disk full is a small tmpfs holding the data directory (when this machine lets us mount one);
  a file size limit (RLIMIT_FSIZE, writes fail with EFBIG) gives the same failure everywhere;
- read-only is a mode 0555 directory and a process without the capabilities that let root
  ignore permissions (see `fault_support.unprivileged`).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .fault_support import (
    SERVER_READY,
    VersionedBase,
    Watched,
    check_consistent,
    file_size_limit,
    grow_filesystem,
    kill_during,
    make_read_only,
    make_writable,
    run_agora,
    serve_command,
    small_filesystem,
    unprivileged,
    used_kib,
    versioned_base,
)

OLD, NEW = 1500, 2500


@pytest.fixture(scope="module")
def disk_base(tmp_path_factory: pytest.TempPathFactory) -> VersionedBase:
    return versioned_base(tmp_path_factory.mktemp("disk"), OLD, NEW)


def _clear_failure(result: object, *hints: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 3, (result.returncode, stderr)  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "│" not in stderr, stderr  # no (rich) traceback
    assert "error:" in stderr, stderr
    assert any(h in stderr for h in hints), stderr


def test_disk_full_during_a_load_and_a_replace(disk_base: VersionedBase, tmp_path: Path) -> None:
    fx = disk_base
    mount = tmp_path / "fs"
    with small_filesystem(mount, 400 * 1024) as fs:
        if fs is None:
            pytest.skip("cannot mount a tmpfs here; test_file_size_limit_during_a_load covers the failure")
        data = fx.copy(fs / "data")
        # Leave about 3 MiB: the store opens and the new version starts, then the disk fills up.
        grow_filesystem(fs, used_kib(fs) + 3 * 1024)
        for args in (["load", str(fx.new_file), "--graph", "big", "--replace"],
                     ["load", str(fx.new_file), "--graph", "other"]):
            result = run_agora(args, data)
            _clear_failure(result, "the disk is full")
        # Readers still work on the full disk.
        assert run_agora(["sources", "--json"], data).returncode == 0
        # The fault is removed: the previous state, intact; and the same replace now succeeds.
        grow_filesystem(fs, 400 * 1024)
        state = check_consistent(data, "big", {"old": fx.old}, search_documents={"old": fx.old_documents})
        assert state.version == 1
        assert check_consistent(data, "other", {"absent": None}).state == "absent"
        assert not list((data / "store").glob("bulk-*.sst")), "the failed bulk load's files were left behind"
        result = run_agora(["load", str(fx.new_file), "--graph", "big", "--replace"], data)
        assert result.returncode == 0, result.stderr
        assert check_consistent(data, "big", {"new": fx.new}).version == 2


def test_file_size_limit_during_a_load(disk_base: VersionedBase, tmp_path: Path) -> None:
    data = disk_base.copy(tmp_path / "data")
    result = run_agora(["load", str(disk_base.new_file), "--graph", "big", "--replace"], data,
                       preexec_fn=file_size_limit(512 * 1024))
    _clear_failure(result, "size limit")
    state = check_consistent(data, "big", {"old": disk_base.old}, search_documents={"old": disk_base.old_documents})
    assert state.version == 1


def test_read_only_data_directory(disk_base: VersionedBase, tmp_path: Path) -> None:
    data = disk_base.copy(tmp_path / "data")
    make_read_only(data)
    try:
        for args in (["load", str(disk_base.new_file), "--graph", "big", "--replace"],
                     ["delete", "--graph", "big"],
                     ["serve", "--no-demo", "--port", "9"],
                     ["token", "create", "--scope", "write"],
                     ["sources"]):
            result = run_agora(args, data, preexec_fn=unprivileged)
            _clear_failure(result, "not writable")
    finally:
        make_writable(data)
    state = check_consistent(data, "big", {"old": disk_base.old}, search_documents={"old": disk_base.old_documents})
    assert state.version == 1


def test_disk_full_under_a_running_server(disk_base: VersionedBase, tmp_path: Path) -> None:
    """A replace through the HTTP API on a full disk: 503 + Retry-After, old data served on; after
    space is freed the same request succeeds without a restart."""
    fx = disk_base
    mount = tmp_path / "fs"
    with small_filesystem(mount, 400 * 1024) as fs:
        if fs is None:
            pytest.skip("cannot mount a tmpfs here")
        data = fx.copy(fs / "data")
        cmd, env, url = serve_command(data)
        body = fx.new_file.read_bytes()
        outcome: dict[str, object] = {}

        def scenario(w: Watched) -> bool:
            if w.wait_for_line(SERVER_READY, timeout=120) is None:
                return False
            auth = {"Authorization": f"Bearer {fx.token}", "Content-Type": "application/n-triples"}
            with httpx.Client(base_url=url, timeout=300) as c:
                before = c.get("/store", params={"graph": "big", "format": "ntriples"}).content
                grow_filesystem(fs, used_kib(fs) + 3 * 1024)
                full = c.put("/store", params={"graph": "big"}, content=body, headers=auth)
                outcome["full"] = (full.status_code, dict(full.headers), full.text)
                after = c.get("/store", params={"graph": "big", "format": "ntriples"})
                outcome["unchanged"] = after.status_code == 200 and after.content == before
                outcome["ready"] = c.get("/readyz").status_code
                grow_filesystem(fs, 400 * 1024)
                retry = c.put("/store", params={"graph": "big"}, content=body, headers=auth)
                outcome["retry"] = (retry.status_code, retry.text)
                outcome["search"] = c.get("/api/search", params={"q": "dataset", "size": 1}).status_code
            return True  # then kill the server: the committed retry must survive

        result = kill_during(cmd, env=env, when=scenario)
        assert "full" in outcome, result.stderr[-3000:]
        status, headers, text = outcome["full"]  # type: ignore[misc]
        assert status == 503 and "retry-after" in {k.lower() for k in headers}, (status, text)
        assert "disk is full" in text, text
        assert outcome["unchanged"] and outcome["ready"] == 200, outcome
        assert outcome["retry"][0] == 204, outcome["retry"]  # type: ignore[index]
        assert outcome["search"] == 200
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        assert check_consistent(data, "big", {"new": fx.new}).version == 2
