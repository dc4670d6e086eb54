"""One hub and three sites in this process, for the sync state machine (tests/sync/test_state_machine.py).

- The hub is the real FastAPI app (``create_app``) over a SQLite file, reached through
  :class:`InProcessHub` (the ASGI app called on an event loop of this thread) plugged into :class:`~app.sync.transport.HubClient` as its in-process ``transport`` (no
  network, so no certificate to pin).
- :func:`build_template` enrolls a township and two villages once, with the township's policy file, a
  small catalog and stock; :class:`World` copies those files for one example and opens the sites'
  services and :class:`~app.sync.client.SyncClient` s.
- Every site talks to the hub through a :class:`FaultyLine`: it can lose a request, lose the answer
  (after the hub acted) or send a request twice, and it hands every pulled page to an inspector.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from site_harness import PASSWORD

from app.bootstrap import Services, bootstrap
from app.domain.ids import new_id
from app.services.core.context import Actor
from app.services.core.policies import DEFAULT_POLICY
from app.services.core.sites import EnrolledSite
from app.sync import codes
from app.sync import protocol as p
from app.sync.client import SyncClient, enroll
from app.sync.hub import tables as t
from app.sync.hub.db import open_engine, transaction
from app.sync.hub.server import create_app
from app.sync.hub.service import Hub

#: the hub's address as the sites store it; nothing listens there, requests go through the test transport
HUB_URL = "https://hub.in-process.test"
FINGERPRINT = "0" * 64
SITES = ("township", "east", "west")
FAULTS = ("drop_request", "drop_response", "duplicate")

PageSeen = Callable[[str, p.PullResponse], None]


class InProcessHub(httpx.BaseTransport):
    """An httpx transport that hands each request to the hub's ASGI app in this process."""

    def __init__(self, hub: Hub) -> None:
        self.app, self.loop = create_app(hub), asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body, answer = request.read(), {"headers": [], "body": []}
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
                 "scheme": "https", "path": request.url.path, "raw_path": request.url.raw_path.split(b"?")[0],
                 "query_string": request.url.query, "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers.raw],
                 "server": ("hub.in-process.test", 443), "client": ("127.0.0.1", 50000)}
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))

        self.loop.run_until_complete(self.app(scope, receive, send))
        return httpx.Response(answer["status"], headers=answer["headers"], content=b"".join(answer["body"]),
                              request=request)

    def shut(self) -> None:
        self.loop.close()


class FaultyLine(httpx.BaseTransport):
    """The line between one site and the hub: faults on demand, and every pulled page shown to ``seen``.

    ``plan`` holds the faults of the next requests, one per request:
    - ``drop_request``: the hub never gets it;
    - ``drop_response``: the hub acts on it, the answer is lost;
    - ``duplicate``: the hub gets it twice (a proxy's retry); the site reads the second answer.
    """

    def __init__(self, name: str, inner: httpx.BaseTransport, seen: PageSeen) -> None:
        self.name, self.inner, self.seen = name, inner, seen
        self.plan: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.plan.pop(0) if self.plan else None
        if fault == "drop_request":
            raise httpx.ConnectError("连接中断（测试注入）", request=request)
        body = request.read()
        response = self._send(request, body)
        if fault == "duplicate":
            response = self._send(request, body)
        if request.url.path == p.PULL_PATH and response.status_code == 200:
            self.seen(self.name, p.PullResponse.model_validate_json(response.content))
        if fault == "drop_response":
            raise httpx.ReadError("回应丢失（测试注入）", request=request)
        return response

    def _send(self, request: httpx.Request, body: bytes) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        answer = self.inner.handle_request(copy)
        content = answer.read()  # decoded: the gzip of the hub's answer is undone here
        headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(answer.status_code, headers=headers, content=content, request=request)


@dataclass(frozen=True)
class Template:
    """The enrolled hub and sites, as files to copy for each example."""

    root: Path
    site_ids: dict[str, str]
    admins: dict[str, str]  # site name -> the administrator's user id
    drugs: tuple[str, ...]  # the township's first catalog
    proven: dict  # the hub's cache of tokens it has checked (the copies hold the same token hashes)


def _open_sites(root: Path) -> dict[str, Services]:
    return {name: bootstrap(root / name, backup_before_migrate=False) for name in SITES}


def build_template(root: Path) -> Template:
    """Enroll a township (policy, catalog, stock) and two villages; every site synced once, and the township
    once more to learn of its villages."""
    (root / "hub").mkdir(parents=True)
    engine = open_engine(f"sqlite:///{root / 'hub' / 'hub.db'}")
    with transaction(engine) as conn:
        t.create(conn)
    hub = Hub(engine)
    township_id, secrets = None, {}
    for name in SITES:
        kind = "township" if name == "township" else "village"
        site_id, secrets[name] = hub.add_site(kind, name, township_id)
        township_id = township_id or site_id
    site_ids, admins = {}, {}
    line = InProcessHub(hub)
    try:
        for name in SITES:
            instance = new_id()
            answer = enroll(codes.EnrollmentCode(HUB_URL, FINGERPRINT, secrets[name]), instance, retry_seconds=0,
                            transport=line)
            sv = bootstrap(root / name, backup_before_migrate=False)
            sv.sites.create_enrolled(EnrolledSite(answer.site_id, answer.kind, answer.name, answer.township_site_id,
                                                  instance, HUB_URL, FINGERPRINT, answer.token), "admin", PASSWORD)
            admin = next(u for u in sv.users.list() if u.username == "admin")
            site_ids[name], admins[name] = answer.site_id, admin.actor.user_id
            sv.session.actor = admin.actor
            if name == "township":
                sv.settings.import_policy(str(DEFAULT_POLICY))
                drugs = (
                    sv.catalog.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒", base_unit="粒",
                                      units_per_pack=24, coverage_class="B", class_b_self_bp=1500, price_fen=1250).id,
                    sv.catalog.create(generic_name="维生素C片", strength="100mg×100片", pack_unit="瓶", base_unit="片",
                                      units_per_pack=100, coverage_class="C", price_fen=350).id,
                )
                sv.stock.receive(drugs[0], "T2501", date(2027, 7, 31), 480)
            sync = SyncClient(sv.db, retry_seconds=0, transport=line)
            try:
                sync.sync_once()
            finally:
                sync.close()
            sv.close()
        township = bootstrap(root / "township", backup_before_migrate=False)  # it learns of its villages
        sync = SyncClient(township.db, retry_seconds=0, transport=line)
        try:
            sync.sync_once()
        finally:
            sync.close()
            township.close()
    finally:
        line.shut()
        engine.dispose()
    return Template(root, site_ids, admins, drugs, dict(hub._proven))


@dataclass
class World:
    """One example's hub and sites, copied from the template."""

    template: Template
    root: Path
    seen: PageSeen
    sv: dict[str, Services] = field(default_factory=dict)
    lines: dict[str, FaultyLine] = field(default_factory=dict)
    clients: dict[str, SyncClient] = field(default_factory=dict)
    readers: dict[str, sqlite3.Connection] = field(default_factory=dict)

    def reader(self, name: str) -> sqlite3.Connection:
        """A plain read connection to the site's database (each statement sees the last commit)."""
        if name not in self.readers:
            self.readers[name] = sqlite3.connect(self.root / name / "cunyi.db")
        return self.readers[name]

    def open(self) -> World:
        shutil.copytree(self.template.root, self.root)
        self.engine = open_engine(f"sqlite:///{self.root / 'hub' / 'hub.db'}")
        self.hub = Hub(self.engine)
        self.hub._proven.update(self.template.proven)  # each token is scrypt-checked once per run, not per example
        self.http = InProcessHub(self.hub)
        self.sv = _open_sites(self.root)
        for name, sv in self.sv.items():
            sv.session.actor = Actor(self.template.admins[name], "管理员", "admin")
            line = FaultyLine(name, self.http, self.seen)
            self.lines[name] = line
            self.clients[name] = SyncClient(sv.db, page_size=PAGE, retry_seconds=0, transport=line)
        return self

    def close(self) -> None:
        for con in self.readers.values():
            con.close()
        for client in self.clients.values():
            client.close()
        for sv in self.sv.values():
            sv.close()
        self.http.shut()
        self.engine.dispose()
        shutil.rmtree(self.root, ignore_errors=True)

    def site_id(self, name: str) -> str:
        return self.template.site_ids[name]


def scratch(fallback: Path) -> Path:
    """Where the examples' copies go: memory (``/dev/shm``) when the machine has it, else ``fallback``."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="cunyi-sync-machine-", dir=shm))
    return fallback


#: small pages, so a sync takes several and a fault can fall between them
PAGE = 7
