"""A real hub for the sync tests: ``cunyi-hub serve`` in a subprocess, sites that talk to it over HTTPS.

``HubProcess`` runs one hub (SQLite or PostgreSQL) on a free loopback port; ``Site`` enrolls with a
code from ``cunyi-hub add-site`` and pushes outbox-shaped ops and pulls pages with httpx, pinned to the
hub's certificate; ``make_op`` builds an op exactly as a site's outbox row reads.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.domain.ids import new_id
from app.sync import codes
from app.sync import protocol as p
from app.sync.hub import tables as t
from app.sync.hub.db import open_engine
from app.sync.hub_cli import main as hub_main

ROOT = Path(__file__).resolve().parents[2]


def run_hub(*args: str) -> subprocess.CompletedProcess:
    """``cunyi-hub ARGS`` as a subprocess (the real command line), output captured."""
    return subprocess.run([sys.executable, "-m", "app.sync.hub_cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def hub_inline(*args: str) -> tuple[int, str, str]:
    """``cunyi-hub ARGS`` in this process (faster; the subprocess form is tested in test_hub_cli)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = hub_main(list(args))
    return code, out.getvalue(), err.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    """One ``cunyi-hub`` home and its ``serve`` process on a loopback port."""

    def __init__(self, home: Path, db_url: str | None = None) -> None:
        self.home, self.port = home, free_port()
        args = ["init", "--home", str(home)] + (["--db", db_url] if db_url else [])
        code, out, err = hub_inline(*args)
        assert code == 0, err
        self.db_url = json.loads((home / "hub.json").read_text())["db_url"]
        self.cert = home / "tls" / "hub-cert.pem"
        self.url = f"https://127.0.0.1:{self.port}"
        self.engine = open_engine(self.db_url)
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.log = self.home / "serve.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.sync.hub_cli", "serve", "--home", str(self.home), "--host", "127.0.0.1",
                 "--port", str(self.port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        with self.client() as client:
            while True:
                try:
                    if client.get("/v1/info").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.proc.poll() is not None:
                    raise AssertionError(f"cunyi-hub serve exited: {self.log.read_text()}")
                if time.monotonic() > deadline:
                    raise AssertionError("cunyi-hub serve did not answer within 60 s")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.engine.dispose()

    def client(self) -> httpx.Client:
        """An httpx client that trusts exactly this hub's certificate."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return httpx.Client(base_url=self.url, verify=context, timeout=30)

    def add_site(self, kind: str, name: str, township: str | None = None) -> tuple[str, str]:
        """Register a site with ``cunyi-hub add-site``; returns its id and the enrollment code."""
        args = ["add-site", "--home", str(self.home), "--kind", kind, "--name", name]
        code, out, err = hub_inline(*(args + (["--township", township] if township else [])))
        assert code == 0, err
        lines = out.strip().splitlines()
        return json.loads(lines[0])["site_id"], lines[-1]

    def snapshot(self) -> dict[str, Any]:
        """Every hub table's rows (all but the sites' last-seen times), to show a refusal wrote nothing."""
        with self.engine.connect() as conn:
            shot = {}
            for table in (t.hub_sites, t.applied_ops, t.rejected_ops, t.records, t.resident_ids, t.changelog):
                columns = [c for c in table.c if c.name != "last_sync_at"]
                shot[table.name] = sorted(tuple(map(str, row)) for row in conn.execute(select(*columns)))
            return shot

    def count(self, table) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar()


@dataclass
class Site:
    """A site enrolled at a hub, with an outbox sequence of its own."""

    hub: HubProcess
    site_id: str
    token: str
    kind: str
    name: str
    township_site_id: str | None
    db_instance_id: str
    last_local_seq: int = 0
    cursor: int = 0
    pulled: list[p.Change] = field(default_factory=list)

    @classmethod
    def enroll(cls, hub: HubProcess, code: str) -> Site:
        enrollment = codes.decode(code)
        assert enrollment.hub_url == hub.url
        db_instance_id = new_id()
        with hub.client() as client:
            response = client.post(p.ENROLL_PATH, json={"secret": enrollment.secret, "db_instance_id": db_instance_id})
        assert response.status_code == 200, response.text
        body = p.EnrollResponse.model_validate(response.json())
        return cls(hub, body.site_id, body.token, body.kind, body.name, body.township_site_id, db_instance_id)

    def op(self, table: str, record_id: str | None = None, tx_id: str | None = None, **columns: Any) -> p.Op:
        """The next outbox row of this site (its own record unless ``owner_site_id`` says otherwise)."""
        self.last_local_seq += 1
        record_id = record_id or new_id()
        payload = {"id": record_id, "owner_site_id": self.site_id, "version": 1,
                   "created_at": "2026-06-15 09:00:00.000000", "updated_at": "2026-06-15 09:00:00.000000", **columns}
        return p.Op(local_seq=self.last_local_seq, op_id=new_id(), tx_id=tx_id or new_id(), table_name=table,
                    record_id=record_id, schema_version=1, payload=payload, created_at="2026-06-15T09:00:00.000Z")

    def envelope(self, **overrides: Any) -> dict[str, Any]:
        return {"site_id": self.site_id, "db_instance_id": self.db_instance_id,
                "last_local_seq": self.last_local_seq, **overrides}

    def push_body(self, ops: list[p.Op], **overrides: Any) -> dict[str, Any]:
        sizes: dict[str, int] = {}
        for op in ops:
            sizes[op.tx_id] = sizes.get(op.tx_id, 0) + 1
        return self.envelope(ops=[op.model_dump() for op in ops], tx_sizes=sizes, **overrides)

    def post(self, path: str, body: Any, token: str | None = None, gzip_body: bool = True) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        with self.hub.client() as client:
            if gzip_body:
                import gzip

                data = gzip.compress(json.dumps(body).encode())
                headers.update({"Content-Encoding": "gzip", "Content-Type": "application/json"})
                return client.post(path, content=data, headers=headers)
            return client.post(path, json=body, headers=headers)

    def push(self, ops: list[p.Op]) -> p.PushResponse:
        response = self.post(p.PUSH_PATH, self.push_body(ops))
        assert response.status_code == 200, response.text
        return p.PushResponse.model_validate(response.json())

    def pull_page(self, limit: int = p.MAX_PAGE_OPS) -> p.PullResponse:
        response = self.post(p.PULL_PATH, self.envelope(cursor=self.cursor, limit=limit))
        assert response.status_code == 200, response.text
        page = p.PullResponse.model_validate(response.json())
        self.pulled += page.changes
        self.cursor = page.cursor
        return page

    def pull_all(self, limit: int = p.MAX_PAGE_OPS) -> list[p.Change]:
        start = len(self.pulled)
        for _ in itertools.count():
            if not self.pull_page(limit).more:
                return self.pulled[start:]
        raise AssertionError("unreachable")


def pg_admin_url() -> str | None:
    """The PostgreSQL server the tests may use (``CUNYI_TEST_PG_URL``), if any."""
    return os.environ.get("CUNYI_TEST_PG_URL") or None
