"""Content-addressed files: each stored once under the SHA-256 of its bytes (``ab/abcdef…``).

A site keeps its case attachments in the data folder's ``attachments/`` (beside the database); the hub
keeps the same files in its home's ``blobs/``. A file is written to a temporary name in its folder,
flushed and renamed, so a crash leaves the whole file or none.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(text: str) -> bool:
    """True for 64 lower-case hex digits."""
    return isinstance(text, str) and bool(_SHA256.match(text))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def blob_path(root: Path, sha256: str) -> Path:
    """Where the file of ``sha256`` lives under ``root``.

    Raises:
        ValueError: ``sha256`` is not 64 lower-case hex digits (never a path outside ``root``).
    """
    if not is_sha256(sha256):
        raise ValueError(f"附件文件编号应为 64 位十六进制 SHA-256：{sha256!r}")
    return Path(root) / sha256[:2] / sha256


def has_blob(root: Path, sha256: str) -> bool:
    return is_sha256(sha256) and blob_path(root, sha256).is_file()


def write_blob(root: Path, data: bytes) -> str:
    """Store ``data`` under ``root`` (once: a file already there is kept); returns its SHA-256."""
    sha = sha256_of(data)
    target = blob_path(root, sha)
    if target.is_file():
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return sha
