"""Scheduled harvests: cron expressions, and each due run claimed by exactly one worker."""

from __future__ import annotations

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
