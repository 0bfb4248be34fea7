"""Scheduled harvests: cron expressions, and each due run claimed by exactly one worker."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agora.kg.errors import BadInput
from agora.kg.harvest.schedule import Scheduler, next_after
from agora.kg.harvest.sources import HarvestRegistry
from agora.kg.opsdb import OpsDB

T0 = datetime(2026, 11, 25, 2, 59, 30, tzinfo=UTC)


def test_cron_expressions_name_the_next_run_in_utc() -> None:
    assert next_after("0 3 * * *", T0) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert next_after("*/15 * * * *", T0) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    with pytest.raises(BadInput, match="cron expression"):
        next_after("every night", T0)


def test_a_source_with_a_bad_schedule_is_refused_at_registration(tmp_path: Path) -> None:
    reg = HarvestRegistry(OpsDB(tmp_path / "ops.sqlite"))
    with pytest.raises(BadInput, match="cron"):
        reg.add("city", "https://data.city.example.org/catalog", "dcat", schedule="often")
    assert reg.find("city") is None


def test_due_runs_are_claimed_once_across_workers(tmp_path: Path) -> None:
    db = tmp_path / "ops.sqlite"
    HarvestRegistry(OpsDB(db)).add("city", "https://data.city.example.org/catalog", "dcat", schedule="*/5 * * * *")
    # Eight workers (each its own connection, as separate processes would have) wake at the same time.
    workers = [HarvestRegistry(OpsDB(db)) for _ in range(8)]
    at = datetime.now(UTC) + timedelta(minutes=10)
    claimed: list[list[str]] = []
    barrier = threading.Barrier(len(workers))

    def wake(reg: HarvestRegistry, n: int) -> None:
        barrier.wait()
        claimed.append(reg.claim_due(f"worker-{n}", at))

    threads = [threading.Thread(target=wake, args=(r, i)) for i, r in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(name for names in claimed for name in names) == ["city"]
    # The next run moved past `at`: nothing is due again at the same moment.
    assert workers[0].claim_due("worker-0", at) == []
    assert workers[0].next_run("city") > at.isoformat()[:19]


def test_the_scheduler_runs_what_is_due(tmp_path: Path) -> None:
    reg = HarvestRegistry(OpsDB(tmp_path / "ops.sqlite"))
    reg.add("city", "https://data.city.example.org/catalog", "dcat", schedule="0 * * * *")
    reg.add("manual", "https://data.other.example.org/catalog", "dcat")
    ran: list[str] = []
    scheduler = Scheduler(reg.claim_due, ran.append)
    assert scheduler.tick(datetime.now(UTC)) == []
    assert scheduler.tick(datetime.now(UTC) + timedelta(hours=1, minutes=1)) == ["city"]
    assert ran == ["city"]


def test_only_runs_whose_process_is_gone_are_marked_interrupted(tmp_path: Path) -> None:
    # The API processes of `agora serve --workers N` share the database: one that starts must not
    # fail the harvest another is running, but must fail what a killed process left "running".
    db = tmp_path / "ops.sqlite"
    with sqlite3.connect(db) as old:  # a database from before runs recorded their process
        old.execute("CREATE TABLE harvest_runs (id TEXT PRIMARY KEY, source TEXT NOT NULL, started_at TEXT NOT NULL, "
                    "ended_at TEXT, status TEXT NOT NULL, trigger TEXT NOT NULL, version INTEGER, pages INTEGER "
                    "DEFAULT 0, records INTEGER DEFAULT 0, rejected INTEGER DEFAULT 0, added INTEGER DEFAULT 0, "
                    "changed INTEGER DEFAULT 0, removed INTEGER DEFAULT 0, bytes INTEGER DEFAULT 0, reasons TEXT, "
                    "error TEXT, progress TEXT)")
        old.execute("INSERT INTO harvest_runs (id, source, started_at, status, trigger) "
                    "VALUES ('legacy', 'a', '2026-01-01T00:00:00Z', 'running', 'manual')")
    reg = HarvestRegistry(OpsDB(db))
    mine = reg.start_run("b", "schedule")  # this process is alive: its run is running
    dead = reg.start_run("c", "schedule")
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    reg.db().execute("UPDATE harvest_runs SET runner=? WHERE id=?",
                     (f"{socket.gethostname()}:{finished.stdout.strip()}", dead.id))
    elsewhere = reg.start_run("d", "schedule")
    reg.db().execute("UPDATE harvest_runs SET runner='another-host:1' WHERE id=?", (elsewhere.id,))
    assert reg.abandon_running() == 2
    assert {r: reg.run(r).status for r in ("legacy", mine.id, dead.id, elsewhere.id)} == {
        "legacy": "failed", mine.id: "running", dead.id: "failed", elsewhere.id: "running"}
    assert reg.run(dead.id).error == "interrupted (the process stopped)"
