"""The files of case attachments at the hub: content-addressed by SHA-256, uploaded in chunks before
the row that names them, fetched only by a site that may see that row.

Files live in the hub home's ``blobs/`` folder (``blobs/ab/abcdef…``, ``app.db.blobs``), for a SQLite
hub and a PostgreSQL hub alike; an upload in progress is ``blobs/partial/<site>-<sha256>``, to which
each chunk is appended at the offset the hub said it holds, so an interrupted upload resumes there.
When the last byte arrives the hash is checked and the file moved into place (or the upload thrown
away). A pushed ``case_attachments`` row whose file the hub does not hold is rejected (``missing``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from app.db import blobs
from app.sync import protocol as p

from . import tables as t
from .service import HubError, SiteRow

TABLE = "case_attachments"


class BlobStore:
    """The hub's files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def _partial(self, site_id: str, sha256: str) -> Path:
        return self.root / "partial" / f"{hashlib.sha256(site_id.encode()).hexdigest()[:16]}-{sha256}"

    def holds(self, sha256: str, size: int | None = None) -> bool:
        if not blobs.has_blob(self.root, sha256):
            return False
        return size is None or blobs.blob_path(self.root, sha256).stat().st_size == size

    def status(self, site_id: str, sha256: str, size: int) -> p.BlobStatus:
        if blobs.has_blob(self.root, sha256):
            held = blobs.blob_path(self.root, sha256).stat().st_size
            if held != size:
                raise HubError(422, p.BLOB_MISMATCH, f"附件文件 {sha256[:12]}… 在乡镇同步服务上是 {held} 字节，"
                               f"请求说是 {size} 字节", "size")
            return p.BlobStatus(sha256=sha256, size=size, received=size, complete=True)
        partial = self._partial(site_id, sha256)
        received = partial.stat().st_size if partial.is_file() else 0
        if received > size:  # an earlier upload said another size: start again
            partial.unlink(missing_ok=True)
            received = 0
        return p.BlobStatus(sha256=sha256, size=size, received=received, complete=False)

    def put(self, site_id: str, chunk: p.BlobChunk) -> p.BlobStatus:
        """Append ``chunk`` at its offset; check and keep the file when it is whole.

        Raises:
            HubError: 409 when the offset is not what the hub holds (ask the status, resume there), 422 for
                data that is not base64, runs past the size, or a whole file whose hash is not its name.
        """
        try:
            data = base64.b64decode(chunk.data, validate=True)
        except (binascii.Error, ValueError):
            raise HubError(422, p.MALFORMED, "附件文件块应为 base64 编码", "data") from None
        with self._lock:
            now = self.status(site_id, chunk.sha256, chunk.size)
            if now.complete:
                return now
            if chunk.offset != now.received:
                raise HubError(409, p.BLOB_OFFSET, f"乡镇同步服务已收到这个附件文件的 {now.received} 字节，"
                               f"请从第 {now.received} 字节接着上传（本次从 {chunk.offset} 字节开始）", "offset")
            if not data or now.received + len(data) > chunk.size:
                raise HubError(422, p.MALFORMED, f"附件文件块超出文件大小 {chunk.size} 字节", "data")
            partial = self._partial(site_id, chunk.sha256)
            partial.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            received = now.received + len(data)
            if received < chunk.size:
                return p.BlobStatus(sha256=chunk.sha256, size=chunk.size, received=received, complete=False)
            if blobs.sha256_file(partial) != chunk.sha256:
                partial.unlink(missing_ok=True)
                raise HubError(422, p.BLOB_MISMATCH, "附件文件上传完后校验不符（SHA-256 与文件编号不同），已丢弃，"
                               "请重新上传", "sha256")
            target = blobs.blob_path(self.root, chunk.sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
            return p.BlobStatus(sha256=chunk.sha256, size=chunk.size, received=chunk.size, complete=True)

    def get(self, conn: Connection, site: SiteRow, req: p.BlobGetRequest) -> p.BlobData:
        """A chunk of the file of the attachment ``req.attachment_id``, for a site that may see its row.

        Raises:
            HubError: 404 when the hub holds no such attachment the site may see, or not its file.
        """
        refused = HubError(404, p.NOT_FOUND, "乡镇同步服务上没有这个附件，或本站不能查看它", "attachment_id")
        rec = t.records.c
        row = conn.execute(select(rec.owner_site_id, rec.payload).where(
            rec.table_name == TABLE, rec.record_id == req.attachment_id)).first()
        if row is None:
            raise refused
        payload: dict[str, Any] = json.loads(row.payload)
        if not _may_see(conn, site, row.owner_site_id, payload.get(p.ADDRESSED_FIELD)):
            raise refused
        sha = str(payload.get("sha256") or "")
        if not blobs.has_blob(self.root, sha):
            raise HubError(404, p.NOT_FOUND, "乡镇同步服务上没有这个附件的文件", "attachment_id")
        path = blobs.blob_path(self.root, sha)
        size = path.stat().st_size
        offset = min(req.offset, size)
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(p.BLOB_CHUNK_BYTES)
        return p.BlobData(sha256=sha, size=size, offset=offset, data=base64.b64encode(data).decode("ascii"),
                          done=offset + len(data) >= size)


def _may_see(conn: Connection, site: SiteRow, owner: str, to_site: object) -> bool:
    """The pull's rule for one row (``app.sync.hub.pull``): its owner, the site it is addressed to, and the
    owner's township."""
    if owner == site.site_id or (isinstance(to_site, str) and to_site == site.site_id):
        return True
    if site.kind != "township":
        return False
    s = t.hub_sites.c
    return conn.execute(select(s.township_site_id).where(s.site_id == owner)).scalar() == site.site_id


def missing(op: p.Op, store: BlobStore | None) -> tuple[str, str, str] | None:
    """(field, reason, what to do) when ``op`` is an attachment row whose file the hub does not hold."""
    if op.table_name != TABLE:
        return None
    sha, size = op.payload.get("sha256"), op.payload.get("size")
    if isinstance(sha, str) and isinstance(size, int) and store is not None and store.holds(sha, size):
        return None
    return ("sha256", "附件记录所指的文件还没有上传到乡镇同步服务（或大小不符）",
            "请再同步一次：附件文件会先上传，再上传附件记录；如仍不行，请在本站重新添加这个附件")
