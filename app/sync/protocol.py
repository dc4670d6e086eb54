"""The wire between a site and the township hub (DESIGN §4): HTTP+JSON, gzip either way.

Endpoints (all ``POST``, JSON bodies, gzip-compressed bodies accepted with ``Content-Encoding: gzip``,
responses gzip-compressed when the client sends ``Accept-Encoding: gzip``):

- ``ENROLL_PATH`` ``/v1/enroll``: :class:`EnrollRequest` → :class:`EnrollResponse`. No token yet; the
  one-time secret from the enrollment code (``app.sync.codes``) proves the site may join.
- ``PUSH_PATH`` ``/v1/push``: :class:`PushRequest` → :class:`PushResponse`.
- ``PULL_PATH`` ``/v1/pull``: :class:`PullRequest` → :class:`PullResponse`.
- ``PEERS_PATH`` ``/v1/peers``: :class:`PeersRequest` → :class:`PeersResponse`, a township only: when each of
  its villages last synced and how far the hub has received its outbox (a village is refused, 403
  ``NOT_TOWNSHIP``). The township's client asks at the end of each sync and keeps the answer in
  ``peer_sync_status`` (村室药品一览, 工作台, and a statement's ``covers_local_seq``).
- ``BLOB_STATUS_PATH``, ``BLOB_PUT_PATH``, ``BLOB_GET_PATH``: the files of case attachments, content-addressed
  by SHA-256. A site uploads a file in chunks of at most ``BLOB_CHUNK_BYTES`` (:class:`BlobChunk`, appended
  at ``offset``; :class:`BlobStatusRequest` says how much the hub has, so an interrupted upload resumes
  there) BEFORE it pushes the row that names it; the hub checks the hash when the last chunk arrives and
  refuses a pushed attachment row whose file it does not hold. A site fetches a file by the attachment's
  id (:class:`BlobGetRequest`), only for a row it may see.

Every request but enrollment carries ``Authorization: Bearer <token>`` and, in its body, the site's id,
its ``db_instance_id`` and ``last_local_seq`` (:class:`SiteRequest`). A refusal of the whole request is
an HTTP error whose body is an :class:`ErrorBody` with a Chinese ``message``: 401 a wrong token, 403 an
enrollment code already used or unknown, 409 a copied or restored database (``COPIED_DATABASE``), 413 a
page that is too big, 422 a malformed body (bad JSON, a missing field, a page not ending on a
transaction boundary). Nothing is written on any refusal.

A push page holds at most ``MAX_PAGE_OPS`` outbox rows in ``local_seq`` order and ends on a
transaction boundary: every transaction in it is complete (``PushRequest.tx_sizes`` says how many
outbox rows each transaction has, and the hub checks the page against it). One transaction larger than
a page travels alone, up to ``MAX_TX_OPS`` rows. The hub applies each transaction whole, in one database
transaction, and answers every op with an :class:`OpResult`; a transaction with a rejected op is
rejected whole. A pull page likewise ends on a transaction boundary.
"""

from __future__ import annotations

import gzip
import io
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PROTOCOL_VERSION = 1

ENROLL_PATH = "/v1/enroll"
PUSH_PATH = "/v1/push"
PULL_PATH = "/v1/pull"
PEERS_PATH = "/v1/peers"
BLOB_STATUS_PATH = "/v1/blobs/status"
BLOB_PUT_PATH = "/v1/blobs/put"
BLOB_GET_PATH = "/v1/blobs/get"

#: bytes of a file per upload or download request (base64 in the JSON body)
BLOB_CHUNK_BYTES = 512 * 1024
#: the largest file the hub takes (a case attachment is at most 10 MB)
MAX_BLOB_BYTES = 16 * 1024 * 1024

#: the most outbox rows (or changelog rows) one page carries
MAX_PAGE_OPS = 1000
#: the most rows of one transaction, which travels alone in a page when it is bigger than a page
MAX_TX_OPS = 20000
#: gzip level of requests and answers: the fastest; JSON of similar rows shrinks well even so
GZIP_LEVEL = 1
#: the most bytes a request body may have once decompressed
MAX_BODY_BYTES = 64 * 1024 * 1024

#: the columns every synced row's payload has (``app.db.outbox.SYNC_COLUMNS``)
BASE_FIELDS = ("id", "owner_site_id", "created_at", "updated_at", "version")

#: payload field of a row meant for one other site (a shipment to a village, an answer to a request)
ADDRESSED_FIELD = "to_site_id"

SiteKind = Literal["village", "township"]
OpStatus = Literal["applied", "duplicate", "rejected"]

_Id = Field(min_length=1, max_length=64)
#: the largest sequence number a database column (SQLite INTEGER, PostgreSQL BIGINT) holds
MAX_SEQ = 2**63 - 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorBody(_Model):
    """The body of every refused request."""

    code: str = Field(description="machine-readable reason, e.g. ``bad_token``, ``copied_database``")
    message: str = Field(description="what went wrong and what to do, in Chinese")
    field: str | None = Field(default=None, description="the request field at fault, when there is one")


# Error codes of ErrorBody.code
BAD_TOKEN = "bad_token"
ENROLLMENT_REFUSED = "enrollment_refused"
COPIED_DATABASE = "copied_database"
MALFORMED = "malformed"
PAGE_TOO_BIG = "page_too_big"
SCHEMA_TOO_NEW = "schema_too_new"
BLOB_OFFSET = "blob_offset"
BLOB_MISMATCH = "blob_mismatch"
NOT_FOUND = "not_found"
NOT_TOWNSHIP = "not_township"

_Sha256 = Field(pattern="^[0-9a-f]{64}$", description="the file's SHA-256, 64 lower-case hex digits")


class EnrollRequest(_Model):
    """A new site's first call, with the secret of its enrollment code."""

    secret: str = Field(min_length=1, max_length=200, description="the enrollment code's one-time secret")
    db_instance_id: str = Field(min_length=1, max_length=64, description="the id of the site's new database")
    last_local_seq: int = Field(default=0, ge=0, le=MAX_SEQ, description="the highest outbox local_seq the database ever assigned")
    site_id: str | None = Field(default=None, min_length=1, max_length=64,
                                description="a standalone site joining later: its own site id, which it keeps")
    kind: SiteKind | None = Field(default=None, description="a standalone site joining later: its kind")


class EnrollResponse(_Model):
    """Who the site is from now on. The token is shown once; the hub keeps only its hash."""

    site_id: str
    token: str
    kind: SiteKind
    name: str
    township_site_id: str | None = Field(description="the township a village belongs to; None for a township")


class SiteRequest(_Model):
    """What every authenticated request says about the database it comes from."""

    site_id: str = _Id
    db_instance_id: str = _Id
    last_local_seq: int = Field(
        ge=0, le=MAX_SEQ, description="the highest outbox local_seq this database ever assigned (its sqlite_sequence)")


class Op(_Model):
    """One outbox row (``app.db.models.local.Outbox``) with its payload decoded from JSON."""

    local_seq: int = Field(ge=1, le=MAX_SEQ)
    op_id: str = _Id
    tx_id: str = _Id
    table_name: str = Field(min_length=1, max_length=64)
    record_id: str = _Id
    schema_version: int = Field(ge=1, le=2**31 - 1)
    payload: dict[str, Any] = Field(description="the row's columns, at least id, owner_site_id, version, "
                                                "created_at and updated_at")
    created_at: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _payload_has_base_fields(self) -> Op:
        missing = [f for f in BASE_FIELDS if f not in self.payload]
        if missing:
            raise ValueError(f"第 {self.local_seq} 号记录（{self.table_name}）的内容缺少字段 {'、'.join(missing)}")
        if str(self.payload["id"]) != self.record_id:
            raise ValueError(f"第 {self.local_seq} 号记录的 record_id 与内容中的 id 不一致")
        if not isinstance(self.payload["owner_site_id"], str) or not self.payload["owner_site_id"]:
            raise ValueError(f"第 {self.local_seq} 号记录的 owner_site_id 应为站点编号")
        return self


class PushRequest(SiteRequest):
    """A page of outbox rows, in ``local_seq`` order, ending on a transaction boundary."""

    ops: list[Op] = Field(max_length=MAX_TX_OPS)
    tx_sizes: dict[str, int] = Field(
        description="tx_id → how many outbox rows that transaction has in all; every transaction in the "
                    "page must be complete")


class OpResult(_Model):
    """The hub's answer to one op. A rejected op is kept on the hub and shown on both sides."""

    op_id: str
    local_seq: int
    status: OpStatus
    table_name: str
    record_id: str
    field: str | None = None
    reason: str | None = Field(default=None, description="why it was rejected, in Chinese")
    action: str | None = Field(default=None, description="what to do about it, in Chinese")


class PushResponse(_Model):
    """A status per op, and the highest ``local_seq`` the hub has now settled (applied, duplicate or rejected)."""

    results: list[OpResult]
    acked_local_seq: int


class PullRequest(SiteRequest):
    """Ask for the changes after ``cursor`` that this site may see."""

    cursor: int = Field(ge=0, le=MAX_SEQ, description="the last changelog seq already saved at the site (0 at first)")
    limit: int = Field(default=MAX_PAGE_OPS, ge=1, le=MAX_PAGE_OPS)


class Change(_Model):
    """One changelog row: a record as its owner last wrote it."""

    seq: int
    table_name: str
    record_id: str
    owner_site_id: str
    tx_id: str
    schema_version: int
    payload: dict[str, Any]


class PullResponse(_Model):
    """A page of changes ending on a transaction boundary; save it and ``cursor`` in one transaction."""

    changes: list[Change]
    cursor: int = Field(description="the next request's cursor (the last seq this page covers)")
    more: bool = Field(description="more changes wait after this page")
    remaining: int = Field(default=0, ge=0, description="at most this many changes wait after this page (the "
                                                          "hub's latest seq less the cursor), for a progress bar")


class PeersRequest(SiteRequest):
    """A township asks how its villages stand with the hub."""


class PeerStatus(_Model):
    """One village of the asking township, as the hub knows it."""

    site_id: str
    name: str
    last_sync_at: str | None = Field(description="when the village last pushed or pulled (ISO, the hub's clock), "
                                                 "None before its first sync")
    last_local_seq: int = Field(ge=0, description="the highest outbox local_seq of the village the hub has seen")


class PeersResponse(_Model):
    """Every village registered under the township, enrolled or not, by name."""

    sites: list[PeerStatus]


class BlobStatusRequest(SiteRequest):
    """How much of the file ``sha256`` (of ``size`` bytes) the hub holds."""

    sha256: str = _Sha256
    size: int = Field(ge=1, le=MAX_BLOB_BYTES)


class BlobChunk(BlobStatusRequest):
    """A chunk of the file, to be appended at ``offset`` (what the hub said it holds)."""

    offset: int = Field(ge=0, le=MAX_BLOB_BYTES)
    data: str = Field(min_length=1, max_length=(BLOB_CHUNK_BYTES * 4) // 3 + 4, description="the bytes in base64")


class BlobStatus(_Model):
    """The hub holds ``received`` bytes of the file; ``complete``: all of it, its hash checked."""

    sha256: str
    size: int
    received: int
    complete: bool


class BlobGetRequest(SiteRequest):
    """A chunk of the file of the case attachment ``attachment_id``, from ``offset``."""

    attachment_id: str = _Id
    offset: int = Field(default=0, ge=0, le=MAX_BLOB_BYTES)


class BlobData(_Model):
    """Bytes ``offset``… of the file (base64); ``done``: they reach its end."""

    sha256: str
    size: int
    offset: int
    data: str
    done: bool


class GzippedJson(bytes):
    """JSON already compressed by :func:`gzip_json` (a request body made ahead of its request)."""


def gzip_json(model: BaseModel | bytes) -> tuple[GzippedJson, dict[str, str]]:
    """A request body: the model (or JSON already encoded, or already compressed) as gzip-compressed JSON,
    and the headers that say so."""
    if isinstance(model, GzippedJson):
        body = model
    else:
        raw = model if isinstance(model, bytes) else model.model_dump_json().encode("utf-8")
        body = GzippedJson(gzip.compress(raw, compresslevel=GZIP_LEVEL))
    return body, {"Content-Type": "application/json", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"}


def read_json(body: bytes, encoding: str | None = None) -> Any:
    """Decode a (possibly gzip-compressed) JSON body, refusing one that inflates past ``MAX_BODY_BYTES``.

    Raises:
        ValueError: with a Chinese message, when the body is not gzip or JSON as it says.
    """
    if encoding and encoding.lower() == "gzip":
        try:
            body = gunzip(body)
        except (OSError, EOFError) as error:
            raise ValueError("请求内容标明为 gzip 压缩，但无法解压") from error
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("请求内容不是有效的 JSON") from error


def gunzip(body: bytes) -> bytes:
    """Inflate a gzip body, refusing one past ``MAX_BODY_BYTES`` (ValueError with a Chinese message)."""
    decompressor = gzip.GzipFile(fileobj=io.BytesIO(body))
    data = decompressor.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise ValueError(f"请求内容解压后超过 {MAX_BODY_BYTES // (1024 * 1024)} MB，请分页发送")
    return data
