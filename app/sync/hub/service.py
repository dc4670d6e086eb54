"""The hub's use cases: register a site, enroll it, authenticate it, push, pull, list the sites.

Every refusal is a :class:`HubError` carrying the HTTP status and a Chinese message; it is raised before
anything is written, or inside the transaction it rolls back.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select

from app.domain import clock
from app.domain.errors import RuleViolation
from app.domain.ids import new_id
from app.sync import protocol as p
from app.sync.fault_points import fault_point

from . import tables as t
from .db import hash_secret, new_secret, transaction, verify_secret

if TYPE_CHECKING:
    from .blobs import BlobStore
    from .pull import Page


class HubError(Exception):
    """A refused request: HTTP ``status`` and the :class:`~app.sync.protocol.ErrorBody` to send."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, p.ErrorBody(code=code, message=message, field=field)


REINIT = ("这通常是因为本机数据库是从别的电脑复制来的，或从备份恢复过。为避免数据重复或丢失，本次同步已拒绝，"
          "乡镇同步服务未写入任何内容。请联系乡镇管理员用 cunyi-hub add-site 生成新的同步码，"
          "再用 cunyi init --code 新同步码 重新初始化本站（本站已上传的数据会从乡镇同步服务取回）")


@dataclass(frozen=True)
class SiteRow:
    """A site as the hub knows it."""

    site_id: str
    kind: str
    name: str
    township_site_id: str | None
    db_instance_id: str | None
    last_local_seq: int
    acked_local_seq: int

    @property
    def township(self) -> str:
        """The township whose data this site belongs to (itself for a township)."""
        return self.site_id if self.kind == "township" else (self.township_site_id or "")


def _site(conn: Connection, site_id: str) -> SiteRow | None:
    s = t.hub_sites.c
    row = conn.execute(select(s.site_id, s.kind, s.name, s.township_site_id, s.db_instance_id, s.last_local_seq,
                              s.acked_local_seq).where(s.site_id == site_id)).first()
    return SiteRow(*row) if row else None


class Hub:
    """The hub over its database. Thread-safe: uvicorn runs requests on a thread pool.

    ``blobs_root`` is where the files of case attachments live (the home's ``blobs/``); by default the
    ``blobs/`` beside a SQLite database, and none for a PostgreSQL one (its attachment rows are refused).
    """

    def __init__(self, engine: Engine, blobs_root: Path | None = None) -> None:
        from .blobs import BlobStore

        self.engine = engine
        if blobs_root is None and engine.url.get_backend_name() == "sqlite" and engine.url.database:
            blobs_root = Path(engine.url.database).parent / "blobs"
        self.blobs: BlobStore | None = BlobStore(blobs_root) if blobs_root is not None else None
        # site_id -> (stored token hash, sha256 of the token): a token proven once is not scrypt-hashed again
        self._proven: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    # -- registration and enrollment --------------------------------------------------------------
    def add_site(self, kind: str, name: str, township_site_id: str | None = None) -> tuple[str, str]:
        """Register a site to be enrolled; returns its id and its one-time enrollment secret.

        Raises:
            RuleViolation: a village without an existing township, a township given one, an empty name.
        """
        name = (name or "").strip()
        if kind not in ("village", "township"):
            raise RuleViolation("站点类型应为 village（村卫生室）或 township（乡镇卫生院）", field="kind")
        if not name or len(name) > 100:
            raise RuleViolation("站点名称不能为空，最多 100 个字", field="name")
        site_id = new_id()
        secret = new_secret(site_id)
        with transaction(self.engine) as conn:
            if kind == "village":
                township = _site(conn, township_site_id or "")
                if township is None or township.kind != "township":
                    raise RuleViolation(
                        "村卫生室要指明所属乡镇：--township 应为已登记的乡镇卫生院站点编号（见 cunyi-hub sites --json）",
                        field="township")
            elif township_site_id:
                raise RuleViolation("乡镇卫生院不属于其他乡镇，请去掉 --township", field="township")
            conn.execute(t.hub_sites.insert().values(
                site_id=site_id, kind=kind, name=name, township_site_id=township_site_id if kind == "village" else None,
                created_at=clock.now(), enroll_secret_hash=hash_secret(secret), enroll_used=False,
                last_local_seq=0, acked_local_seq=0))
        return site_id, secret

    def enroll(self, req: p.EnrollRequest) -> p.EnrollResponse:
        """Enroll the site the secret names; the secret works once.

        Raises:
            HubError: 403 for an unknown, wrong or already used enrollment code.
        """
        site_id = req.secret.split(".", 1)[0]
        s = t.hub_sites.c
        with transaction(self.engine) as conn:
            row = conn.execute(select(s.enroll_secret_hash, s.enroll_used, s.kind, s.name, s.township_site_id)
                               .where(s.site_id == site_id)).first()
            if row is None or not verify_secret(req.secret, row.enroll_secret_hash):
                raise HubError(403, p.ENROLLMENT_REFUSED, "同步码无效：乡镇同步服务不认识这个同步码（可能已经用过），"
                               "请向乡镇管理员要一个新的同步码", "secret")
            if row.enroll_used:
                raise HubError(403, p.ENROLLMENT_REFUSED, "这个同步码已经用过，不能再次使用。"
                               "每个同步码只能加入一次；请向乡镇管理员要一个新的同步码", "secret")
            token = new_secret(site_id)
            values = {"enroll_used": True, "token_hash": hash_secret(token), "enrolled_at": clock.now(),
                      "db_instance_id": req.db_instance_id, "last_local_seq": req.last_local_seq, "acked_local_seq": 0}
            if req.site_id is not None:  # a standalone site joining later keeps its own id (its rows name it)
                self._check_existing(conn, req, row.kind)
                values["site_id"] = req.site_id
            done = conn.execute(t.hub_sites.update().where(s.site_id == site_id, s.enroll_used.is_(False))
                                .values(**values))
            if done.rowcount != 1:
                raise HubError(403, p.ENROLLMENT_REFUSED, "这个同步码已经用过，不能再次使用", "secret")
            if req.site_id is not None:
                conn.execute(t.hub_sites.update().where(s.township_site_id == site_id)
                             .values(township_site_id=req.site_id))
                site_id = req.site_id
        return p.EnrollResponse(site_id=site_id, token=token, kind=row.kind, name=row.name,
                                township_site_id=row.township_site_id)

    @staticmethod
    def _check_existing(conn: Connection, req: p.EnrollRequest, kind: str) -> None:
        """Refuse a standalone site whose id the hub knows already, or whose kind is not the code's."""
        if req.kind != kind:
            label = {"village": "村卫生室", "township": "乡镇卫生院"}
            raise HubError(403, p.ENROLLMENT_REFUSED, f"这个同步码是给{label.get(kind, kind)}的，本站是"
                           f"{label.get(req.kind or '', '未说明类型的站点')}，不能用它加入；"
                           "请向乡镇管理员要一个与本站类型相符的同步码", "kind")
        known = conn.execute(select(t.hub_sites.c.site_id).where(t.hub_sites.c.site_id == req.site_id)).first()
        if known is not None:
            raise HubError(403, p.ENROLLMENT_REFUSED, "本站已经加入过乡镇同步服务（乡镇同步服务已有这个站点编号），"
                           "不能再用新的同步码加入；如需重新初始化本站，请用 cunyi init --code 在一个空的数据文件夹建站",
                           "site_id")

    # -- every authenticated request ---------------------------------------------------------------
    def authenticate(self, token: str | None, site_id: str) -> None:
        """Check the bearer token against the site's stored hash.

        Raises:
            HubError: 401 when the token is missing, wrong, or another site's.
        """
        refused = HubError(401, p.BAD_TOKEN, "身份验证失败：本站的同步凭据不对（可能是别的站点的，或已作废）。"
                           "请联系乡镇管理员生成新的同步码，用 cunyi init --code 重新加入", "Authorization")
        if not token:
            raise refused
        with self.engine.connect() as conn:
            stored = conn.execute(select(t.hub_sites.c.token_hash).where(t.hub_sites.c.site_id == site_id)).scalar()
        if not stored:
            raise refused
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        with self._lock:
            proven = self._proven.get(site_id)
        if proven and proven[0] == stored and proven[1] == digest:
            return
        if not verify_secret(token, stored):
            raise refused
        with self._lock:
            self._proven[site_id] = (stored, digest)

    @staticmethod
    def check_database(conn: Connection, req: p.SiteRequest) -> SiteRow:
        """Refuse a copied or restored site database (inside the request's transaction).

        Raises:
            HubError: 409 when the database instance differs from the enrolled one, or its sequence went back.
        """
        site = _site(conn, req.site_id)
        if site is None:
            raise HubError(401, p.BAD_TOKEN, "乡镇同步服务没有这个站点", "site_id")
        if site.db_instance_id != req.db_instance_id:
            raise HubError(409, p.COPIED_DATABASE,
                           "本机数据库不是加入乡镇同步服务时的那一个（数据库编号不同）。" + REINIT, "db_instance_id")
        if req.last_local_seq < site.last_local_seq:
            raise HubError(409, p.COPIED_DATABASE,
                           f"本机待同步记录的序号倒退了（本机 {req.last_local_seq}，乡镇同步服务已收到 {site.last_local_seq}）。"
                           + REINIT, "last_local_seq")
        return site

    @staticmethod
    def touch(conn: Connection, site: SiteRow, req: p.SiteRequest, acked: int | None = None) -> None:
        """Record the request's sequence and time on the site's row."""
        values: dict[str, Any] = {"last_local_seq": max(site.last_local_seq, req.last_local_seq),
                                  "last_sync_at": clock.now()}
        if acked is not None:
            values["acked_local_seq"] = max(site.acked_local_seq, acked)
        conn.execute(t.hub_sites.update().where(t.hub_sites.c.site_id == site.site_id).values(**values))

    # -- push and pull -----------------------------------------------------------------------------
    def push(self, token: str | None, req: p.PushRequest) -> dict[str, Any]:
        """Apply a page of ops (``app.sync.hub.push``); the answer is a :class:`~app.sync.protocol.PushResponse`
        as its JSON object (a plain dict per op result)."""
        from .push import apply_page, check_page

        self.authenticate(token, req.site_id)
        check_page(req)
        with transaction(self.engine, apply_lock=True) as conn:
            site = self.check_database(conn, req)
            results = apply_page(conn, site, req.ops, self.blobs)
            acked = req.ops[-1].local_seq if req.ops else None
            self.touch(conn, site, req, acked)
        fault_point("hub_after_apply")
        return {"results": results, "acked_local_seq": max(site.acked_local_seq, acked or 0)}

    def pull(self, token: str | None, req: p.PullRequest) -> Page:
        """A page of the changes the site may see after its cursor (``app.sync.hub.pull``), its payloads
        as stored (``Page.json`` is the :class:`~app.sync.protocol.PullResponse` to send)."""
        from .pull import page

        self.authenticate(token, req.site_id)
        with transaction(self.engine) as conn:
            site = self.check_database(conn, req)
            self.touch(conn, site, req)
            return page(conn, site, req.cursor, req.limit)

    def peers(self, token: str | None, req: p.PeersRequest) -> p.PeersResponse:
        """The asking township's villages: last sync and the highest local_seq the hub has seen.

        Raises:
            HubError: 401/409 as every request; 403 ``NOT_TOWNSHIP`` for a village (it sees no other site).
        """
        self.authenticate(token, req.site_id)
        s = t.hub_sites.c
        with self.engine.connect() as conn:
            site = self.check_database(conn, req)
            if site.kind != "township":
                raise HubError(403, p.NOT_TOWNSHIP, "只有乡镇卫生院可以查看所辖村卫生室的同步情况", "site_id")
            rows = conn.execute(select(s.site_id, s.name, s.last_sync_at, s.last_local_seq)
                                .where(s.township_site_id == site.site_id, s.kind == "village")
                                .order_by(s.name, s.site_id)).all()
        return p.PeersResponse(sites=[p.PeerStatus(
            site_id=row.site_id, name=row.name,
            last_sync_at=row.last_sync_at.isoformat(timespec="seconds") if row.last_sync_at else None,
            last_local_seq=int(row.last_local_seq or 0)) for row in rows])

    # -- the files of case attachments ---------------------------------------------------------------
    def _site_for_blobs(self, token: str | None, req: p.SiteRequest) -> SiteRow:
        self.authenticate(token, req.site_id)
        with self.engine.connect() as conn:
            site = self.check_database(conn, req)
        if self.blobs is None:
            raise HubError(404, p.NOT_FOUND, "这个乡镇同步服务没有附件文件存储，请乡镇管理员用 cunyi-hub serve --home 启动",
                           "sha256")
        return site

    def blob_status(self, token: str | None, req: p.BlobStatusRequest) -> p.BlobStatus:
        """How much of a file the site is uploading the hub holds (its upload resumes there)."""
        site = self._site_for_blobs(token, req)
        return self.blobs.status(site.site_id, req.sha256, req.size)

    def blob_put(self, token: str | None, req: p.BlobChunk) -> p.BlobStatus:
        """Append a chunk of a file (``app.sync.hub.blobs.BlobStore.put``)."""
        site = self._site_for_blobs(token, req)
        return self.blobs.put(site.site_id, req)

    def blob_get(self, token: str | None, req: p.BlobGetRequest) -> p.BlobData:
        """A chunk of the file of an attachment the site may see."""
        site = self._site_for_blobs(token, req)
        with self.engine.connect() as conn:
            return self.blobs.get(conn, site, req)

    # -- the admin's view ---------------------------------------------------------------------------
    def sites(self) -> list[dict[str, Any]]:
        """Every site with its enrollment, last sync, last sequence and rejected ops."""
        s, r = t.hub_sites.c, t.rejected_ops.c
        with self.engine.connect() as conn:
            rejected = dict(conn.execute(select(r.site_id, func.count()).group_by(r.site_id)).all())
            rows = conn.execute(select(s.site_id, s.kind, s.name, s.township_site_id, s.enroll_used, s.enrolled_at,
                                       s.last_sync_at, s.last_local_seq, s.acked_local_seq)
                                .order_by(s.created_at, s.site_id)).all()
        return [{
            "site_id": row.site_id, "kind": row.kind, "name": row.name, "township_site_id": row.township_site_id,
            "enrolled": bool(row.enroll_used),
            "enrolled_at": row.enrolled_at.isoformat(timespec="seconds") if row.enrolled_at else None,
            "last_sync_at": row.last_sync_at.isoformat(timespec="seconds") if row.last_sync_at else None,
            "last_local_seq": int(row.last_local_seq), "acked_local_seq": int(row.acked_local_seq),
            "rejected_ops": int(rejected.get(row.site_id, 0)),
        } for row in rows]
