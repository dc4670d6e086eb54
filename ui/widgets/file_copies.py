"""Stored files opened under their own names: a copy in this user's temporary folder, removed on exit.

Files kept by content (a case attachment is named by its SHA-256, without an extension) cannot be handed
to the system as they are: Windows would ask which program to use. ``named_copy`` makes a copy named
like the original (``发票.jpg``) for the system to open. The copies are patients' papers, so they do not
stay behind: ``forget_copies`` removes them when the program quits and when it next starts (after a
crash or a power cut).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

COPIES_FOLDER = "cunyi-附件"


def copies_root() -> Path:
    return Path(tempfile.gettempdir()) / COPIES_FOLDER


def named_copy(path: Path, file_name: str, key: str) -> Path:
    """A copy of ``path`` named ``file_name`` (made once per ``key``: a copy of the same size is kept)."""
    folder = copies_root() / key[:16]
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(file_name).name.strip() or key[:16]
    target = folder / name
    if not target.is_file() or target.stat().st_size != path.stat().st_size:
        tmp = folder / f".{name}.tmp"
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target


def forget_copies() -> None:
    """Remove every copy (one a viewer still holds open on Windows stays until the next start)."""
    shutil.rmtree(copies_root(), ignore_errors=True)
