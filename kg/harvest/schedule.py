"""Cron schedules for harvests, and the loop that runs due harvests inside `agora serve`.

Due runs are claimed in the operational database with a conditional UPDATE (see
`HarvestRegistry.claim_due`), so with several API workers on one data directory or database a
scheduled harvest still runs once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from croniter import croniter

from ..errors import BadInput

log = logging.getLogger("agora.harvest")


def next_after(schedule: str, at: datetime) -> datetime:
    """The first time after `at` that the cron expression names (5 fields, UTC)."""
    if not croniter.is_valid(schedule):
        raise BadInput(f"schedule {schedule!r} is not a cron expression (five fields, e.g. '0 3 * * *' "
                       "for every night at 03:00 UTC)")
    return croniter(schedule, at).get_next(datetime)


class Scheduler:
    """Wakes up every `interval` seconds and runs the harvests that are due, one at a time."""

    def __init__(self, claim: Callable[[str, datetime], list[str]], run: Callable[[str], object],
                 *, interval: float = 30.0) -> None:
        self.claim = claim
        self.run = run
        self.interval = interval
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="agora-harvest-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self, at: datetime) -> list[str]:
        """Run what is due at `at`; returns the sources run (the loop calls this; tests may too)."""
        names = self.claim(self.worker, at)
        for name in names:
            try:
                self.run(name)
            except Exception as exc:  # a failed harvest is recorded in its run; keep the loop alive
                log.warning("scheduled harvest of %s failed: %s", name, exc)
        return names

    def _loop(self) -> None:
        from .sources import now

        while not self._stop.wait(self.interval):
            try:
                self.tick(now())
            except Exception:  # pragma: no cover - keep scheduling whatever happened
                log.exception("harvest scheduler")
