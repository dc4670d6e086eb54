"""附件 of a case (DESIGN §6): scans and photos of the material, stored beside the database and synced.

- ``add_attachment`` takes a file the user picked: JPEG, PNG or PDF, known by its content (the first
  bytes), not by its extension alone; an empty file, another type, or a file still over ``MAX_BYTES``
  after shrinking is refused with a message naming 附件, and nothing is written. A photo from a phone or
  scanner is turned upright (EXIF orientation) and shrunk to ``MAX_SIDE`` pixels on its long side (JPEG
  quality ``JPEG_QUALITY``) before it is stored.
- The file is stored once under the SHA-256 of its bytes in the data folder's ``attachments/``
  (``app.db.blobs``); the ``CaseAttachment`` row names it. The file is written before the row, so a
  row never names a file this site does not have.
- ``open_attachment`` gives the local path, fetching the file from the hub first when only its row
  has arrived (``fetch_blob``, wired by ``app.bootstrap`` to the sync client).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app.db import blobs
from app.db.models import Case, CaseAttachment
from app.db.uow import Database, now
from app.domain.errors import NotFoundError, RuleViolation, ValidationError
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires

#: the largest file stored (after a photo is shrunk)
MAX_BYTES = 10 * 1024 * 1024
#: the largest file even looked at (a photo this big is not shrunk: it is refused)
MAX_INPUT_BYTES = 60 * 1024 * 1024
#: a photo's long side after shrinking, in pixels
MAX_SIDE = 2000
JPEG_QUALITY = 85
MAX_NAME = 120
FIELD = "附件"

#: media type → (the first bytes of such a file, the extensions it may have, what users call it)
TYPES = {
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg"), "JPEG 图片"),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",), "PNG 图片"),
    "application/pdf": (b"%PDF-", (".pdf",), "PDF 文件"),
}
ALLOWED = "JPEG、PNG 图片或 PDF 文件"

#: fetches the file of an attachment from the hub into the folder given: (attachment id, folder) → None
BlobFetcher = Callable[[str, Path], None]


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as the case's detail lists it; ``present``: its file is on this computer."""

    attachment_id: str
    case_id: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    added_at: datetime
    user_name: str
    site_id: str
    present: bool


def _sniff(head: bytes) -> str | None:
    for media_type, (magic, _ext, _label) in TYPES.items():
        if head.startswith(magic):
            return media_type
    return None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def prepare(path: Path) -> tuple[bytes, str, str]:
    """The bytes to store for the file at ``path``, its media type and file name; a photo shrunk.

    Raises:
        ValidationError: naming 附件, for a missing, empty, oversize or not allowed file.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"附件文件不存在：{path}", FIELD)
    size = path.stat().st_size
    if size == 0:
        raise ValidationError(f"附件“{path.name}”是空文件，请重新扫描或拍照", FIELD)
    if size > MAX_INPUT_BYTES:
        raise ValidationError(f"附件“{path.name}”太大（{_mb(size)}），最大 {_mb(MAX_BYTES)}", FIELD)
    data = path.read_bytes()
    media_type = _sniff(data[:16])
    ext = path.suffix.lower()
    if media_type is None:
        raise ValidationError(f"附件“{path.name}”不是{ALLOWED}（按文件内容判断），不能添加", FIELD)
    _magic, extensions, label = TYPES[media_type]
    if ext not in extensions:
        raise ValidationError(f"附件“{path.name}”的内容是{label}，与扩展名“{ext or '（无）'}”不符，请核对文件", FIELD)
    if media_type != "application/pdf":
        data = _shrink(data, media_type, path.name)
    if len(data) > MAX_BYTES:
        raise ValidationError(f"附件“{path.name}”太大（{_mb(len(data))}），最大 {_mb(MAX_BYTES)}", FIELD)
    name = path.name.strip()
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME - len(ext)] + ext
    return data, media_type, name


def _shrink(data: bytes, media_type: str, name: str) -> bytes:
    """A photo turned upright and shrunk to ``MAX_SIDE`` on its long side; unchanged when it needs neither."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            orientation = image.getexif().get(0x0112, 1)
            upright = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
            if max(upright.size) <= MAX_SIDE and upright is image and len(data) <= MAX_BYTES:
                return data
            upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if media_type == "image/jpeg":
                upright.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            else:
                upright.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(f"附件“{name}”的图片已损坏或无法读取（{error}），请重新扫描或拍照", FIELD) from None


class AttachmentsMixin:
    """The attachments of ``CaseService`` (its ``db`` and ``session``)."""

    db: Database
    session: Session
    #: set by ``app.bootstrap``: how to fetch a file from the hub (None: only local files open)
    fetch_blob: BlobFetcher | None = None

    @property
    def attachments_dir(self) -> Path:
        """The data folder's ``attachments/``, beside the database."""
        return Path(self.db.path).parent / "attachments"

    @requires("cases.attach")
    def add_attachment(self, case_id: str, path: Path | str) -> AttachmentInfo:
        """Attach the file at ``path`` to the case (a photo is shrunk first). Raises ValidationError naming
        附件, or NotFoundError for an unknown case; nothing is written then."""
        data, media_type, name = prepare(Path(path))
        actor = self.session.actor
        with self.db.read() as s:
            case = s.get(Case, case_id or "")
            if case is None:
                raise NotFoundError("帮办代办事项不存在（可能还没有同步到本站）", "事项")
        sha = blobs.write_blob(self.attachments_dir, data)  # the file before the row that names it
        with self.db.unit_of_work() as uow:
            s, site_id = uow.session, uow.local_site_id
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError("帮办代办事项不存在（可能还没有同步到本站）", "事项")
            row = CaseAttachment(case_id=case.id, sha256=sha, file_name=name, media_type=media_type, size=len(data),
                                 added_at=now(), user_id=actor.user_id, user_name=actor.name[:32],
                                 to_site_id=case.owner_site_id if case.owner_site_id != site_id else None)
            s.add(row)
            s.flush()
            write_audit(s, actor, site_id, "case.attach", "case_attachments", row.id, case_no=case.case_no,
                        file=name, sha256=sha)
            return self._attachment_info(row, True)

    @requires("cases.read")
    def attachments(self, case_id: str) -> list[AttachmentInfo]:
        """The case's attachments, the first added first."""
        a = CaseAttachment
        with self.db.read() as s:
            rows = s.scalars(select(a).where(a.case_id == (case_id or "")).order_by(a.added_at, a.id)).all()
            return [self._attachment_info(r, blobs.has_blob(self.attachments_dir, r.sha256)) for r in rows]

    @requires("cases.read")
    def open_attachment(self, attachment_id: str) -> Path:
        """The local path of the attachment's file, fetched from the hub first when it is not here yet.

        Raises:
            NotFoundError: no such attachment here.
            RuleViolation: the file is not here and cannot be fetched now (the reason, in Chinese).
        """
        with self.db.read() as s:
            row = s.get(CaseAttachment, attachment_id or "")
            if row is None:
                raise NotFoundError("附件不存在（可能还没有同步到本站）", FIELD)
            sha, name = row.sha256, row.file_name
        root = self.attachments_dir
        if not blobs.has_blob(root, sha):
            if self.fetch_blob is None:
                raise RuleViolation(f"附件“{name}”的文件还没有同步到本机，请先同步", FIELD)
            self.fetch_blob(attachment_id, root)
            if not blobs.has_blob(root, sha):
                raise RuleViolation(f"附件“{name}”的文件没有取到，请稍后再试", FIELD)
        return blobs.blob_path(root, sha)

    @staticmethod
    def _attachment_info(row: CaseAttachment, present: bool) -> AttachmentInfo:
        return AttachmentInfo(row.id, row.case_id, row.file_name, row.media_type, row.size, row.sha256, row.added_at,
                              row.user_name, row.owner_site_id, present)
