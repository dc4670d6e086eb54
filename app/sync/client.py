"""The site side of sync (DESIGN §4): enroll once, then push the outbox and pull the hub's changes.

- :func:`enroll` joins a hub with a one-time enrollment code, before any local data exists.
- :class:`SyncClient` over one site database:
  - :meth:`SyncClient.push_page` sends the outbox rows above ``pushed_seq`` in ``local_seq`` order, a page
    of at most ``MAX_PAGE_OPS`` ending on a transaction boundary; the hub's acknowledgment moves
    ``pushed_seq`` and its rejections are kept, in one local transaction.
  - :meth:`SyncClient.pull_page` asks for the changes after ``pulled_seq``; the page is applied and the
    cursor moved in ONE local transaction begun with ``mark_transaction(applying_remote=True)``, so no
    pulled row is queued, and an interruption anywhere leaves either both or neither.
  - before a page is pushed, the files of its case attachments are uploaded (:meth:`SyncClient.upload_file`:
    content-addressed chunks, resumed from what the hub holds); after a pull that brought attachment rows,
    their files are fetched ahead of time (:meth:`SyncClient.fetch_missing_files`).
  - :meth:`SyncClient.sync_once` pushes until nothing is left, then pulls until the hub has no more
    (:meth:`SyncClient.push_pages` reads the next page while the hub applies one, :meth:`SyncClient.pull_pages`
    fetches the next page while one is saved); a first sync is simply a long pull that resumes at its last
    saved page.

Nothing here runs a use case: rows move as they are (``app.services`` is not imported).
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, literal_column, select
from sqlalchemy.exc import IntegrityError

from app.db import blobs
from app.db.connection import defer_foreign_keys
from app.db.models import Base
from app.db.outbox import clear_transaction, mark_transaction
from app.db.uow import Database
from app.paths import DataDir
from app.sync import codes
from app.sync import protocol as p

from . import state
from .apply import apply_changes
from .fault_points import fault_point
from .transport import HubClient, HubRefused, SyncError

Progress = Callable[[dict[str, Any]], None]

_outbox = Base.metadata.tables["outbox"]
#: an outbox row as the JSON of a :class:`~app.sync.protocol.Op`, made by SQLite (the payload is JSON text)
_OP_JSON = literal_column(
    "json_object('local_seq', local_seq, 'op_id', op_id, 'tx_id', tx_id, 'table_name', table_name, "
    "'record_id', record_id, 'schema_version', schema_version, 'payload', json(payload), 'created_at', created_at)"
).label("op")
_log = logging.getLogger(__name__)
_attachments = Base.metadata.tables["case_attachments"]
_sites = Base.metadata.tables["sites"]
_peers = Base.metadata.tables["peer_sync_status"]
#: the most times an upload starts again from what the hub says it holds, before it gives up
_RESUMES = 5


@dataclass
class SyncResult:
    """What one :meth:`SyncClient.sync_once` did."""

    pushed: int = 0
    pulled: int = 0
    rejected: int = 0
    tables: set[str] = field(default_factory=set)
    files: int = 0
    #: villages whose sync status a township saved (``peer_sync_status``); 0 at a village
    peers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"pushed": self.pushed, "pulled": self.pulled, "rejected": self.rejected, "tables": self.tables}


def enroll(code: codes.EnrollmentCode, db_instance_id: str, *, site_id: str | None = None, kind: str | None = None,
           last_local_seq: int = 0, **client_args: Any) -> p.EnrollResponse:
    """Join the hub of ``code`` as a new database, or as the standalone site ``site_id`` of ``kind`` whose
    database has assigned outbox rows up to ``last_local_seq``; the code works once.

    Raises:
        HubRefused: the code was used already or is unknown, or (a standalone site) the hub knows the site
            already or the code is for another kind of site (the hub's Chinese message).
        HubUnreachable, CertificateMismatch: see ``app.sync.transport``.
    """
    request = p.EnrollRequest(secret=code.secret, db_instance_id=db_instance_id, last_local_seq=last_local_seq,
                              site_id=site_id, kind=kind)
    with HubClient(code.hub_url, code.fingerprint, **client_args) as hub:
        return hub.post(p.ENROLL_PATH, request, p.EnrollResponse)


def _naive(text: str | None) -> datetime | None:
    """The hub's ISO time as the naive local datetime the site's tables keep."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone().replace(tzinfo=None) if value.tzinfo else value


class SyncClient:
    """Push and pull for the site database ``db``.

    Args:
        db: the site's database (its writer engine does the local transactions).
        page_size: the most outbox rows pushed, or changes asked for, per page.
        **client_args: passed to :class:`~app.sync.transport.HubClient` (``retry_seconds``, ``wrap``…).
    """

    def __init__(self, db: Database, *, page_size: int = p.MAX_PAGE_OPS, **client_args: Any) -> None:
        self.db, self.page_size, self._client_args = db, page_size, client_args
        self._hub: HubClient | None = None

    def close(self) -> None:
        if self._hub is not None:
            self._hub.close()
            self._hub = None

    def _config(self) -> state.SyncConfig:
        with self.db.reader.connect() as conn:
            return state.load(conn)

    def _client(self, config: state.SyncConfig) -> HubClient:
        if self._hub is None:
            self._hub = HubClient(config.hub_url, config.fingerprint, config.token, **self._client_args)
        return self._hub

    def _envelope(self, config: state.SyncConfig, conn: Connection) -> dict[str, Any]:
        return {"site_id": config.site_id, "db_instance_id": config.db_instance_id,
                "last_local_seq": state.last_local_seq(conn)}

    @contextmanager
    def _write(self, *, applying_remote: bool = False) -> Iterator[Connection]:
        """One local write transaction (``BEGIN IMMEDIATE``); commits on success, rolls back on any error."""
        with self.db.writer.connect() as conn:
            try:
                with conn.begin():
                    mark_transaction(conn, applying_remote=applying_remote)
                    if applying_remote:
                        # a page may bring a row before the row it refers to; references are checked at COMMIT
                        defer_foreign_keys(conn.connection.dbapi_connection)
                    yield conn
                    clear_transaction(conn)
            except IntegrityError as error:
                if not isinstance(error.orig, sqlite3.IntegrityError):
                    raise
                raise SyncError(f"乡镇同步服务发来的一页变化与本机数据对不上（{error.orig}），这一页没有保存。"
                                "请联系乡镇管理员检查乡镇同步服务的数据", "同步") from error

    # -- push ------------------------------------------------------------------------------------
    def _pending(self, conn: Connection, after: int) -> list[Any]:
        """The next page of outbox rows after ``after``, cut on a transaction boundary."""
        o = _outbox.c
        columns = (o.local_seq, o.tx_id, _OP_JSON)
        rows = conn.execute(select(*columns).where(o.local_seq > after).order_by(o.local_seq)
                            .limit(self.page_size + 1)).all()
        if len(rows) > self.page_size:
            # a transaction's rows are consecutive (one writer at a time): drop the one the limit cut
            cut = rows[self.page_size].tx_id
            rows = rows[:self.page_size]
            while rows and rows[-1].tx_id == cut:
                rows.pop()
            if not rows:  # one transaction bigger than a page travels alone
                rows = conn.execute(select(*columns).where(o.local_seq > after, o.tx_id == cut)
                                    .order_by(o.local_seq)).all()
        return rows

    def _outgoing(self, config: state.SyncConfig, after: int) -> tuple[list[Any], bytes] | None:
        """The next page of the outbox after ``after``: its rows and the JSON of its PushRequest, or None."""
        with self.db.reader.connect() as conn:
            rows = self._pending(conn, after)
            if not rows:
                return None
            envelope = self._envelope(config, conn)
        sizes: dict[str, int] = {}
        for row in rows:
            sizes[row.tx_id] = sizes.get(row.tx_id, 0) + 1
        # a PushRequest, its ops as SQLite wrote them (the hub validates them; no decode and encode per op here),
        # compressed here so that a page read ahead is ready to go
        head = json.dumps({**envelope, "tx_sizes": sizes}, ensure_ascii=False, separators=(",", ":"))
        return rows, p.gzip_json(f'{head[:-1]},"ops":[{",".join(row.op for row in rows)}]}}'.encode())[0]

    def _send(self, config: state.SyncConfig, rows: list[Any], body: bytes) -> tuple[int, int, int]:
        """Push one page; returns (ops sent, new rejections, the local_seq the hub acknowledged).

        The files of the page's case attachments go first: the hub takes an attachment row only once it
        holds the file the row names."""
        self._upload_files(config, rows)
        answer = self._client(config).post(p.PUSH_PATH, body, p.PushResponse)
        acked = min(answer.acked_local_seq, rows[-1].local_seq)
        with self._write() as conn:
            rejected = state.save_pushed(conn, acked, answer.results)
        fault_point("after_push_commit")
        return len(rows), rejected, acked

    def push_page(self) -> tuple[int, int] | None:
        """Send the next page of the outbox; returns (ops sent, new rejections), or None when nothing is pending.

        Raises:
            SyncError: the hub refused the page or could not be reached; ``pushed_seq`` did not move.
        """
        config = self._config()
        page = self._outgoing(config, config.pushed_seq)
        return None if page is None else self._send(config, *page)[:2]

    def push_pages(self) -> Iterator[tuple[int, int]]:
        """Push until the outbox is empty, each page as :meth:`push_page` sends it.

        While the hub applies a page, the next one is read from the outbox (a read: it is sent only once the
        page before it is acknowledged, and read again should the hub acknowledge less than that page).

        Raises:
            SyncError: as :meth:`push_page`; the pages acknowledged before it stay acknowledged.
        """
        config = self._config()
        page = self._outgoing(config, config.pushed_seq)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cunyi-push") as ahead:
            while page is not None:
                rows, body = page
                upcoming = ahead.submit(self._outgoing, config, rows[-1].local_seq)
                sent, rejected, acked = self._send(config, rows, body)
                page = upcoming.result()
                if acked < rows[-1].local_seq:
                    page = self._outgoing(config, self._config().pushed_seq)
                yield sent, rejected

    # -- the files of case attachments -----------------------------------------------------------
    @property
    def attachments_dir(self) -> Path:
        """The data folder's ``attachments/``, beside the database."""
        return DataDir(self.db.path.parent).attachments

    def _upload_files(self, config: state.SyncConfig, rows: list[Any]) -> None:
        for row in rows:
            if '"table_name":"case_attachments"' not in row.op:
                continue
            payload = json.loads(row.op)["payload"]
            sha, size = payload.get("sha256"), payload.get("size")
            if not blobs.has_blob(self.attachments_dir, sha):
                continue  # the hub rejects the row, naming the missing file, and the 同步 page shows it
            self.upload_file(config, sha, int(size))

    def upload_file(self, config: state.SyncConfig, sha256: str, size: int) -> None:
        """Upload the local file ``sha256`` in chunks, resuming from what the hub already holds.

        Raises:
            SyncError: the hub refused the file or could not be reached; what it received stays there.
        """
        path = blobs.blob_path(self.attachments_dir, sha256)
        hub = self._client(config)
        with self.db.reader.connect() as conn:
            envelope = self._envelope(config, conn)
        ask = p.BlobStatusRequest(**envelope, sha256=sha256, size=size)
        status = hub.post(p.BLOB_STATUS_PATH, ask, p.BlobStatus)
        resumes = 0
        with open(path, "rb") as f:
            while not status.complete:
                f.seek(status.received)
                data = f.read(p.BLOB_CHUNK_BYTES)
                if not data:
                    raise SyncError(f"本机附件文件 {sha256[:12]}… 比记录的 {size} 字节短，无法上传", "附件")
                chunk = p.BlobChunk(**envelope, sha256=sha256, size=size, offset=status.received,
                                    data=base64.b64encode(data).decode("ascii"))
                try:
                    status = hub.post(p.BLOB_PUT_PATH, chunk, p.BlobStatus)
                except HubRefused as error:
                    # a chunk that arrived although its answer was lost: carry on from what the hub holds
                    if error.code != p.BLOB_OFFSET or resumes >= _RESUMES:
                        raise
                    resumes += 1
                    status = hub.post(p.BLOB_STATUS_PATH, ask, p.BlobStatus)
                fault_point("after_blob_chunk")

    def fetch_file(self, attachment_id: str, root: Path | None = None) -> str:
        """Fetch the file of the attachment ``attachment_id`` from the hub into ``root`` (the data folder's
        ``attachments/``) and check its hash; returns its SHA-256.

        Raises:
            SyncError: the hub has no such file this site may see, the file arrived damaged, or the hub
                could not be reached.
        """
        config = self._config()
        root = root if root is not None else self.attachments_dir
        hub = self._client(config)
        with self.db.reader.connect() as conn:
            envelope = self._envelope(config, conn)
        parts: list[bytes] = []
        offset = 0
        while True:
            got = hub.post(p.BLOB_GET_PATH, p.BlobGetRequest(**envelope, attachment_id=attachment_id, offset=offset),
                           p.BlobData)
            data = base64.b64decode(got.data)
            parts.append(data)
            offset += len(data)
            if got.done or not data:
                break
        whole = b"".join(parts)
        if blobs.sha256_of(whole) != got.sha256 or len(whole) != got.size:
            raise SyncError("从乡镇同步服务取回的附件文件校验不符，没有保存，请稍后再试", "附件")
        return blobs.write_blob(root, whole)

    def fetch_missing_files(self) -> int:
        """Fetch the files of the attachments other sites added that are not here yet; how many were fetched.

        A file that cannot be fetched now is left for the next sync (or for when someone opens it)."""
        with self.db.reader.connect() as conn:
            config = state.load(conn)
            a = _attachments.c
            rows = conn.execute(select(a.id, a.sha256).where(a.owner_site_id != config.site_id)).all()
        fetched = 0
        for row in rows:
            if blobs.has_blob(self.attachments_dir, row.sha256):
                continue
            try:
                self.fetch_file(row.id)
                fetched += 1
            except SyncError as error:
                _log.warning("attachment %s not fetched: %s", row.id, error)
        return fetched

    # -- pull ------------------------------------------------------------------------------------
    def _fetch(self, config: state.SyncConfig, envelope: dict[str, Any], cursor: int) -> p.PullResponse:
        """The page of changes after ``cursor`` (a read at the hub: nothing is saved here)."""
        page = self._client(config).post(
            p.PULL_PATH, p.PullRequest(**envelope, cursor=cursor, limit=self.page_size), p.PullResponse)
        if page.cursor < cursor:
            raise SyncError(f"乡镇同步服务的变化序号倒退了（本机已取到 {cursor}，服务回答 {page.cursor}）。"
                            "乡镇同步服务可能从备份恢复过，请联系乡镇管理员", "同步")
        return page

    def _save(self, config: state.SyncConfig, page: p.PullResponse) -> set[str]:
        """Save ``page`` and move the cursor to its end, in one local transaction; the tables written."""
        with self._write(applying_remote=True) as conn:
            tables = apply_changes(conn, config.site_id, page.changes)
            fault_point("pull_before_cursor")
            state.save_pulled(conn, page.cursor)
        fault_point("after_pull_commit")
        return tables

    def _pull_start(self) -> tuple[state.SyncConfig, dict[str, Any]]:
        config = self._config()
        with self.db.reader.connect() as conn:
            return config, self._envelope(config, conn)

    def pull_page(self) -> tuple[p.PullResponse, set[str]]:
        """Fetch the next page of changes and save it with the new cursor in one transaction.

        Returns:
            The page, and the names of the tables it wrote.

        Raises:
            SyncError: a change was refused (nothing of the page is saved), or the hub could not be reached.
        """
        config, envelope = self._pull_start()
        page = self._fetch(config, envelope, config.pulled_seq)
        return page, self._save(config, page)

    def pull_pages(self) -> Iterator[tuple[p.PullResponse, set[str]]]:
        """Pull until the hub has no more, each page as :meth:`pull_page` saves it.

        While a page is being saved, the next one is already being fetched (the hub's work and the
        network overlap the local writes). Fetching is a read: a page fetched ahead is only saved after
        the page before it, and is dropped unsaved when that save fails.

        Raises:
            SyncError: as :meth:`pull_page`; the pages saved before it stay saved.
        """
        config, envelope = self._pull_start()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cunyi-pull") as ahead:
            upcoming = ahead.submit(self._fetch, config, envelope, config.pulled_seq)
            while True:
                page = upcoming.result()
                if page.more:
                    upcoming = ahead.submit(self._fetch, config, envelope, page.cursor)
                # should the save fail, leaving the block waits for the fetch ahead, whose page is dropped
                yield page, self._save(config, page)
                if not page.more:
                    return

    # -- the villages' sync status (a township) ---------------------------------------------------
    def fetch_peers(self) -> int:
        """At a township: ask the hub when each village last synced and how far it has received its outbox,
        and keep the answer in ``peer_sync_status`` (replacing the last one); returns how many villages.
        A village asks nothing and returns 0.

        Raises:
            SyncError: the hub refused or could not be reached; the last answer stays.
        """
        config = self._config()
        with self.db.reader.connect() as conn:
            kind = conn.execute(select(_sites.c.kind).where(_sites.c.id == config.site_id)).scalar()
            envelope = self._envelope(config, conn)
        if kind != "township":
            return 0
        answer = self._client(config).post(p.PEERS_PATH, p.PeersRequest(**envelope), p.PeersResponse)
        fetched = state._now()
        rows = [{"site_id": peer.site_id, "last_sync_at": _naive(peer.last_sync_at),
                 "last_local_seq": peer.last_local_seq, "fetched_at": fetched} for peer in answer.sites]
        with self._write() as conn:
            conn.execute(_peers.delete())
            if rows:
                conn.execute(_peers.insert(), rows)
        return len(rows)

    # -- both ------------------------------------------------------------------------------------
    def sync_once(self, progress: Progress | None = None) -> SyncResult:
        """Push until the outbox is empty, then pull until the hub has nothing more.

        ``progress`` is called after every page with ``{"phase": "push"|"pull", "pages", "rows",
        "remaining"}`` (``remaining``: at most that many changes still wait on the hub).

        Raises:
            SyncError: the hub refused a request or could not be reached in time; the error is also
                recorded in ``sync_state`` for the 同步 page. What was saved before it stays saved.
        """
        result = SyncResult()
        try:
            for pages, (sent, rejected) in enumerate(self.push_pages(), start=1):
                result.pushed += sent
                result.rejected += rejected
                if progress:
                    progress({"phase": "push", "pages": pages, "rows": result.pushed, "remaining": None})
            for pages, (page, tables) in enumerate(self.pull_pages(), start=1):
                result.pulled += len(page.changes)
                result.tables |= tables
                if progress:
                    progress({"phase": "pull", "pages": pages, "rows": result.pulled, "remaining": page.remaining})
            if "case_attachments" in result.tables:
                result.files = self.fetch_missing_files()  # ahead of time: the case worker opens them at once
            result.peers = self.fetch_peers()
        except SyncError as error:
            self._note(str(error))
            raise
        self._note(None)
        return result

    def _note(self, error: str | None) -> None:
        try:
            state.record_outcome(self.db.writer, error)
        except Exception:  # noqa: BLE001 - the note must never hide the sync's own outcome
            _log.exception("could not record the sync outcome")
