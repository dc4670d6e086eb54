"""UI test fixtures: the styled QApplication, ready-made sites (copied per test) and main windows."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from op_fixtures import _clinic_template, clinic, db, doctor_window  # noqa: F401 - the seeded clinic of the
# 门诊收费, 居民 and 报表 tests

PASSWORD = "secret123"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: users of the template sites: kind → [(username, display name, role)]
USERS = {
    "village": [("doctor", "张医生", "village_doctor")],
    "township": [("pharmacist", "李药管", "township_pharmacist"), ("caseworker", "王专干", "case_worker")],
}
SITE_NAMES = {"village": "示例村卫生室", "township": "示例镇卫生院"}


@pytest.fixture(autouse=True)
def styled_app(qapp):  # noqa: ANN001, ANN201
    """Every UI test runs with the real font, translations and style sheet."""
    from ui.app import setup_application

    return setup_application(qapp)


@pytest.fixture(autouse=True)
def _settle_ops(styled_app) -> Iterator[None]:  # noqa: ANN001
    """No op or message box leaks from one test into the next."""
    yield
    from ui import errors
    from ui.workers import wait_idle

    assert wait_idle(10000), "database ops still pending at the end of the test"
    for box in errors.open_boxes():
        box.close()


#: the dialogs that wait for a person: offscreen nobody closes them, so a test that opens one by mistake
#: would wait for ever (and hold up the whole run). Tests that mean to open one patch it themselves.
_BLOCKING = {"QFileDialog": ("getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory"),
             "QMessageBox": ("critical", "warning", "information", "question", "about"),
             "QInputDialog": ("getText", "getInt", "getDouble", "getItem")}


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal dialog opened in a UI test fails that test at once, naming the dialog, instead of hanging."""
    from PySide6 import QtWidgets

    for class_name, methods in _BLOCKING.items():
        for method in methods:
            def refuse(*_args: object, _name: str = f"{class_name}.{method}", **_kwargs: object) -> None:
                raise AssertionError(f"{_name} 会一直等人点击：测试里要先替换它（monkeypatch）")

            monkeypatch.setattr(getattr(QtWidgets, class_name), method, refuse)


def _build_site(root: Path, kind: str) -> None:
    from app.bootstrap import bootstrap

    sv = bootstrap(root)
    try:
        sv.sites.create_standalone(kind, SITE_NAMES[kind], "admin", PASSWORD)
        sv.identity.sign_in("admin", PASSWORD)
        for username, name, role in USERS[kind]:
            sv.users.create(username, name, role, PASSWORD)
    finally:
        sv.close()


@pytest.fixture(scope="session")
def _site_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("site-templates")
    templates = {}
    for kind in ("village", "township"):
        _build_site(root / kind, kind)
        templates[kind] = root / kind
    return templates


@pytest.fixture
def make_site(_site_templates: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """``make_site("village"|"township")`` → a fresh data folder with admin + that site's users."""

    def make(kind: str = "village") -> Path:
        target = tmp_path / f"data-{kind}"
        shutil.copytree(_site_templates[kind], target)
        return target

    return make


@pytest.fixture
def open_window(qtbot, make_site):  # noqa: ANN001, ANN201
    """``open_window(kind, username)`` → the shown main window of that user, data loaded."""
    from ui.app import create_main_window
    from ui.workers import wait_idle

    def open_(kind: str = "village", username: str = "admin", data: Path | None = None):  # noqa: ANN202
        window = create_main_window(data or make_site(kind), username, PASSWORD)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        assert wait_idle()
        return window

    return open_


@pytest.fixture
def services(make_site):  # noqa: ANN001, ANN201
    """``services(kind)`` → (Services, data dir) of a fresh site; closed after the test."""
    from app.bootstrap import bootstrap

    opened = []

    def make(kind: str = "village"):  # noqa: ANN202
        data = make_site(kind)
        sv = bootstrap(data)
        opened.append(sv)
        return sv, data

    yield make
    for sv in opened:
        sv.close()


def save_artifact(widget, name: str) -> Path:  # noqa: ANN001
    """Grab ``widget`` to tests/artifacts/<name>.png (gitignored) and return the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    image = widget.grab()
    assert not image.isNull()
    assert image.save(str(path))
    return path


@pytest.fixture
def artifact() -> Callable[..., Path]:
    """``artifact(widget, name)`` saves a screenshot under tests/artifacts/."""
    return save_artifact


@pytest.fixture
def audit_log() -> Callable[..., list]:
    """``audit_log(sv, action)`` → the audit rows of ``action`` read as the installation does (an
    administrator's view), whoever is signed in: only an administrator may read the log in the app."""
    from app.services.core.audit import AuditService
    from app.services.core.context import SYSTEM_ACTOR, Session

    def read(sv, action: str | None = None) -> list:  # noqa: ANN001
        return AuditService(sv.db, Session(SYSTEM_ACTOR)).recent(action=action)

    return read


@pytest.fixture
def password() -> str:
    """The password of every user of the template sites."""
    return PASSWORD
