"""`agora source add` refuses what can never be harvested, with exit code 2 and a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from .servers import cli


@pytest.mark.parametrize("args,message", [
    (("city", "https://data.city.example.org/catalog", "--kind", "oai-pmh"), "unknown harvest kind"),
    (("city", "file:///etc/passwd", "--kind", "dcat"), "http(s) URL"),
    (("city", "https://user:secret@data.city.example.org/", "--kind", "dcat"), "credentials"),
    (("city", "https://data.city.example.org/catalog", "--kind", "dcat", "--schedule", "nightly"), "cron"),
    (("city", "https://data.city.example.org/catalog", "--kind", "dcat", "--profile", "nope@1"), "nope@1"),
    (("../etc", "https://data.city.example.org/catalog", "--kind", "dcat"), "not valid"),
])
def test_bad_registrations_are_refused(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = cli("source", "add", *args, data_dir=tmp_path / "data")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    listed = cli("source", "list", "--json", data_dir=tmp_path / "data")
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"


def test_registering_twice_needs_replace_and_harvesting_an_unknown_source_is_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = cli("source", "add", "city", "https://data.city.example.org/catalog", "--kind", "dcat", data_dir=data)
    assert first.returncode == 0, first.stderr
    again = cli("source", "add", "city", "https://data.city.example.org/v2", "--kind", "dcat", data_dir=data)
    assert again.returncode == 2 and "--replace" in again.stderr
    assert cli("source", "add", "city", "https://data.city.example.org/v2", "--kind", "dcat", "--replace",
               data_dir=data).returncode == 0
    missing = cli("harvest", "nowhere", data_dir=data)
    assert missing.returncode == 2 and "agora source add" in missing.stderr
