"""One app per data folder: ``cunyi gui`` holds the folder's lock, a second one is refused with a plain
dialog naming the holder, and a lock left by a program that no longer runs is taken over."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app import folder_lock
from app.folder_lock import LOCK_NAME, FolderInUse, FolderLock, Holder, read_holder

from demo_cli import holding_folder, run_cunyi


@pytest.fixture
def gui(qapp, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # noqa: ANN001
    """``run_gui`` in this process, its message boxes collected instead of shown."""
    from PySide6.QtWidgets import QMessageBox

    from ui import errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs the crash hook
    monkeypatch.setattr(errors, "_log_dir", None)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    return shown


def _close_dialogs_after(ms: int) -> None:
    """Whatever dialog a failing run would wait on is rejected, so the test fails instead of hanging."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def close() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            modal.reject()

    QTimer.singleShot(ms, close)


def test_a_second_cunyi_gui_is_refused_with_who_holds_the_folder_and_what_to_do(gui: list[str],
                                                                                demo_copy: Path) -> None:
    from ui.app import run_gui

    with holding_folder(demo_copy) as holder:
        _close_dialogs_after(5000)
        assert run_gui(["--data", str(demo_copy)]) == 1
    assert len(gui) == 1
    text = gui[0]
    assert "正在被另一个村医通程序使用" in text and str(demo_copy) in text
    assert f"电脑 {socket.gethostname()}" in text and f"进程号 {holder.pid}" in text and "起" in text
    assert "请" in text and "关闭" in text  # what to do
    assert not list((demo_copy / "logs").glob("crash-*.log"))  # a refusal, not a crash


def test_the_running_app_holds_its_folder_until_it_ends(gui: list[str], demo_copy: Path) -> None:
    """While ``cunyi gui`` waits at the login dialog, ``cunyi restore`` on its folder is refused naming it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.app import run_gui
    from ui.dialogs.login import LoginDialog

    seen: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, LoginDialog):
            QTimer.singleShot(30, drive)
            return
        seen.append(run_cunyi("restore", "--data", str(demo_copy), "--from", str(demo_copy / "x.db")).stderr)
        holder = read_holder(demo_copy)
        seen.append(f"{holder.pid}:{holder.program}" if holder else "")
        modal.reject()

    QTimer.singleShot(30, drive)
    _close_dialogs_after(60000)
    assert run_gui(["--data", str(demo_copy)]) == 0
    assert "正在被另一个村医通程序使用" in seen[0] and f"进程号 {os.getpid()}" in seen[0]
    assert seen[1] == f"{os.getpid()}:村医通桌面程序"
    assert read_holder(demo_copy) is None  # released when the app ended
    with FolderLock(demo_copy, "test", "测试"):
        pass


def _finished_pid() -> int:
    """The id of a process on this computer that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def test_a_stale_lock_is_detected_and_taken_over(tmp_path: Path) -> None:
    """A lock file left by a program that crashed (its process no longer runs here) does not keep the
    folder: the next program takes it over and names itself."""
    stale = Holder(_finished_pid(), socket.gethostname(), "2026-06-14 08:00:00", "村医通桌面程序")
    (tmp_path / LOCK_NAME).write_text(stale.text(), encoding="utf-8")
    assert stale.is_stale()
    lock = FolderLock(tmp_path, "cunyi restore", "恢复备份").acquire()
    try:
        assert lock.taken_over == stale
        assert read_holder(tmp_path).pid == os.getpid()
    finally:
        lock.release()


def test_without_an_os_lock_the_holders_text_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the operating system cannot lock the file (a network drive), a live holder on this computer
    or a holder on another computer is refused, and a dead one on this computer is taken over."""
    monkeypatch.setattr(folder_lock, "_os_lock", lambda _fd: None)
    lock_file = tmp_path / LOCK_NAME
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as alive:
        try:
            for holder, named in ((Holder(alive.pid, socket.gethostname(), "2026-06-15 08:00:00", "村医通桌面程序"),
                                   f"进程号 {alive.pid}"),
                                  (Holder(4242, "另一台电脑", "2026-06-15 08:00:00", "村医通桌面程序"),
                                   "请先在电脑 另一台电脑 上关闭村医通")):
                lock_file.write_text(holder.text(), encoding="utf-8")
                with pytest.raises(FolderInUse) as refused:
                    FolderLock(tmp_path, "cunyi demo", "生成演示数据").acquire()
                assert named in str(refused.value) and refused.value.holder == holder
                assert read_holder(tmp_path) == holder  # the holder's text is left alone
        finally:
            alive.communicate(b"")
    lock_file.write_text(Holder(alive.pid, socket.gethostname(), "2026-06-15 08:00:00", "x").text(), encoding="utf-8")
    with FolderLock(tmp_path, "cunyi demo", "生成演示数据") as lock:
        assert lock.taken_over is not None and lock.taken_over.pid == alive.pid
    assert read_holder(tmp_path) is None
