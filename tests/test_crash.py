"""A process killed with SIGKILL in the middle of a load leaves the store as it was before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from agora.kg.config import load_settings
from agora.kg.loader import load_documents
from agora.kg.rdfio import RDFInput
from agora.kg.store import AgoraStore


def _big_file(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(f'<http://ex/d{i}> <http://purl.org/dc/terms/title> "Dataset {i}"@en .\n'
                    f'<http://ex/d{i}> <http://www.w3.org/ns/dcat#byteSize> '
                    f'"0{i}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .\n')


def test_sigkill_during_a_replace_leaves_the_previous_version(tmp_path):
    data = tmp_path / "data"
    settings = load_settings(data)
    store = AgoraStore(settings)
    old = '<http://ex/a> <http://ex/p> "old" .\n'
    load_documents(store, [RDFInput.from_bytes(old.encode(), name="old.nt", fmt=store_format("ntriples"))],
                   name="s", validate=False)
    before_export = store.export("s", store_format("ntriples"))
    before_quads = {str(q) for q in store.ox}
    store.close()

    big = tmp_path / "big.nt"
    _big_file(big, 150_000)
    env = {**os.environ, "AGORA_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "agora.api.cli", "load", str(big), "--graph", "s", "--replace",
                             "--no-validate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until the loader reports triples written into the new version, then kill it.
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "triples parsed" in line, line
    assert proc.poll() is None, "the load finished before it could be interrupted; use a bigger file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    store = AgoraStore(settings)
    try:
        info = store.require("s")
        assert info.current.number == 1
        assert store.export("s", store_format("ntriples")) == before_export
        assert {str(q) for q in store.ox} == before_quads  # the half-written version is gone
    finally:
        store.close()


def store_format(name: str):
    from agora.kg.rdfio import parse_format

    return parse_format(name)
