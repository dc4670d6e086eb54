"""``kill -9`` during writes leaves a database that opens, passes ``integrity_check`` and holds the
last transaction the writer reported committed.

A child process writes many small transactions through the real unit of work (each one a household
row plus, by trigger, its outbox row) and prints each counter after its commit returned. The parent
kills it with SIGKILL in mid-stream, then reopens the file.
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.bootstrap import bootstrap

REPO = Path(__file__).resolve().parents[3]

CHILD = r"""
import sys
from app.bootstrap import bootstrap
from app.db.models import Household

sv = bootstrap(sys.argv[1], backup_before_migrate=False)
site_id = sv.db.local_site_id
counter = 0
while True:
    counter += 1
    with sv.db.unit_of_work() as uow:
        uow.session.add(Household(site_id=site_id, address=f"counter {counter}"))
    print(counter, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
def test_sigkill_mid_stream_keeps_every_reported_commit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sv = bootstrap(data, backup_before_migrate=False)
    sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
    sv.close()
    script = tmp_path / "writer.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    errors = tmp_path / "writer.err"
    with open(errors, "wb") as err:  # a file, never a pipe nobody reads that could fill and stop the writer
        child = subprocess.Popen([sys.executable, str(script), str(data)], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=err, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def read_counters() -> None:  # as the writer reports them; the wait for each is bounded below
        for line in child.stdout:
            lines.put(line)

    reader = threading.Thread(target=read_counters, daemon=True)
    reader.start()
    reported = 0
    deadline = time.monotonic() + 120
    try:
        while reported < 80 and child.poll() is None and time.monotonic() < deadline:
            try:
                reported = int(lines.get(timeout=1.0))
            except queue.Empty:
                pass
        assert reported >= 80, errors.read_text(encoding="utf-8", errors="replace") or "writer too slow"
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: the writer is inside its next transactions
        child.wait(timeout=30)
        reader.join(30)
        # anything the child printed before it died was committed too
        while not lines.empty():
            reported = max(reported, int(lines.get_nowait()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    con = sqlite3.connect(data / "cunyi.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counters = [int(a.split()[1]) for (a,) in con.execute("SELECT address FROM households")]
        queued = con.execute("SELECT count(*) FROM outbox WHERE table_name = 'households'").fetchone()[0]
    finally:
        con.close()
    assert max(counters) >= reported
    assert sorted(counters) == list(range(1, max(counters) + 1))  # no gaps: whole transactions only
    assert queued == len(counters)  # each household and its outbox row committed together

    sv = bootstrap(data, backup_before_migrate=False)  # and the app opens it again
    try:
        assert sv.identity.local_site().name == "测试村卫生室"
    finally:
        sv.close()
