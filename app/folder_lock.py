"""One app per data folder: the lock file ``cunyi.lock`` in the data folder.

The desktop app holds it for as long as it runs; ``cunyi restore``, ``demo`` and ``init`` hold it while
they work. A second holder is refused with a message naming the holder (computer, process id, since
when) and what to do. Reading commands (``check``, ``report``, ``backup``) take no lock.

The lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), so a
program that crashes or is killed releases it at once. The file's text (process id, computer, start
time) only names the holder. When the operating system cannot lock the file (some network drives),
the text decides: a holder on this computer whose process no longer runs is stale and taken over.
The file stays in the folder after release (emptied): deleting a lock file others may be waiting on
would let two programs lock two different files.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.domain import clock
from app.domain.errors import RuleViolation

LOCK_NAME = "cunyi.lock"
#: Windows locks a byte range that readers of the holder's text must not need: a byte far past the text
_WINDOWS_LOCK_OFFSET = 1 << 20
#: how long a refused caller waits for a holder that has just locked to write its text
_TEXT_WAIT_S = 0.5


@dataclass(frozen=True)
class Holder:
    """Who holds a data folder: process id, computer, start time (ISO text) and which program."""

    pid: int
    host: str
    since: str
    program: str

    @classmethod
    def me(cls, program: str) -> Holder:
        return cls(os.getpid(), socket.gethostname(), clock.now().isoformat(sep=" ", timespec="seconds"), program)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            raw = json.loads(text)
            return cls(int(raw["pid"]), str(raw["host"]), str(raw["since"]), str(raw.get("program", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def text(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "since": self.since, "program": self.program},
                          ensure_ascii=False)

    def is_stale(self) -> bool:
        """True when the holder was on this computer and its process no longer runs."""
        return self.host == socket.gethostname() and self.pid != os.getpid() and not pid_running(self.pid)


class FolderInUse(RuleViolation):
    """Another program holds the data folder."""

    def __init__(self, root: Path, holder: Holder | None, action: str) -> None:
        self.root, self.holder = root, holder
        if holder is None:
            who = "使用者：另一个村医通程序（未能读出它的电脑和进程号）"
            advice = "请先关闭正在使用这个文件夹的村医通程序，再重试。"
        else:
            program = f"（{holder.program}）" if holder.program else ""
            who = f"使用者：电脑 {holder.host}，进程号 {holder.pid}{program}，{holder.since} 起"
            if holder.host == socket.gethostname():
                advice = (f"村医通已在这台电脑上打开：请在任务栏中切换到它的窗口，或先关闭它再重试；"
                          f"若它已无响应，可在任务管理器中结束进程 {holder.pid}。")
            else:
                advice = f"请先在电脑 {holder.host} 上关闭村医通，再重试。"
        super().__init__(f"数据文件夹 {root} 正在被另一个村医通程序使用，不能{action}。\n{who}\n{advice}", "数据文件夹")


def pid_running(pid: int) -> bool:
    """True when process ``pid`` runs on this computer."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    return True


def _os_lock(fd: int) -> bool | None:
    """Try the operating system's lock: True taken, False held by another, None not supported here."""
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as exc:
        if sys.platform == "win32" and exc.errno in (13, 36):  # EACCES / EDEADLOCK: another holds it
            return False
        return None
    return True


def _os_unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def read_holder(root: Path) -> Holder | None:
    """The holder named in ``root``'s lock file (None when empty or unreadable)."""
    try:
        return Holder.parse((Path(root) / LOCK_NAME).read_text(encoding="utf-8"))
    except OSError:
        return None


class FolderLock:
    """The lock of one data folder, for ``program`` (e.g. ``cunyi gui``); ``action`` ends the refusal
    ("不能{action}"). Use as a context manager, or ``acquire``/``release``."""

    def __init__(self, root: Path | str, program: str, action: str) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK_NAME
        self.program, self.action = program, action
        self._fd: int | None = None
        #: the holder a crashed program left in the file, taken over by ``acquire``
        self.taken_over: Holder | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FolderLock:
        """Take the folder or raise ``FolderInUse`` naming the holder. A stale holder is taken over."""
        if self._fd is not None:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            taken = _os_lock(fd)
            if taken is False:
                raise FolderInUse(self.root, self._wait_for_text(), self.action)
            left = read_holder(self.root)  # with the lock taken, any text left is a crashed holder's
            if taken is None and left is not None and not left.is_stale() and left.pid != os.getpid():
                raise FolderInUse(self.root, left, self.action)  # no OS lock here: the holder's text decides
            self.taken_over = left
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, Holder.me(self.program).text().encode("utf-8"))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def _wait_for_text(self) -> Holder | None:
        """The holder's text; a holder that has only just locked may not have written it yet."""
        deadline = time.monotonic() + _TEXT_WAIT_S
        while True:
            holder = read_holder(self.root)
            if holder is not None or time.monotonic() >= deadline:
                return holder
            time.sleep(0.02)

    def release(self) -> None:
        """Empty the file (no holder) and let go of the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            _os_unlock(fd)
        except OSError:
            pass  # closing the file releases the lock anyway
        finally:
            os.close(fd)

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()
