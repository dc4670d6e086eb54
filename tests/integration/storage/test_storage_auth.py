"""Sign-in lockout, audit rows for sign-ins and settings changes, on a real database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.bootstrap import Services, bootstrap
from app.domain.enums import Role
from app.domain.errors import AuthError, PermissionDenied, RuleViolation, ValidationError

T0 = datetime(2026, 3, 5, 9, 0, 0)


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Services]:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    sv.sites.create_standalone("township", "示例镇卫生院", "tadmin", "right-pass-1")
    try:
        yield sv
    finally:
        sv.close()


def _audit(sv: Services) -> list[tuple[str, str, str | None, dict]]:
    con = sqlite3.connect(sv.data.database)
    try:
        rows = con.execute("SELECT action, actor, target_id, detail FROM audit_log ORDER BY id").fetchall()
    finally:
        con.close()
    return [(a, actor, target, json.loads(detail)) for a, actor, target, detail in rows]


def test_five_wrong_passwords_lock_for_fifteen_minutes(township: Services) -> None:
    identity = township.identity
    for attempt in range(1, 5):
        with pytest.raises(AuthError) as err:
            identity.sign_in("tadmin", "wrong-pass", at=T0 + timedelta(seconds=attempt))
        assert err.value.field == "密码" and f"再错 {5 - attempt} 次" in str(err.value)
    with pytest.raises(AuthError, match="锁定 15 分钟"):
        identity.sign_in("tadmin", "wrong-pass", at=T0 + timedelta(seconds=5))
    locked_at = T0 + timedelta(seconds=5)
    for later in (timedelta(0), timedelta(minutes=1), timedelta(minutes=14, seconds=59)):
        with pytest.raises(AuthError, match="已锁定") as err:
            identity.sign_in("tadmin", "right-pass-1", at=locked_at + later)  # even the right password
        assert err.value.field == "密码"
    info = identity.sign_in("tadmin", "right-pass-1", at=locked_at + timedelta(minutes=15))
    assert info.username == "tadmin" and info.role is Role.ADMIN
    # the counter starts again after a successful sign-in: 4 more wrong ones do not lock
    for attempt in range(4):
        with pytest.raises(AuthError, match="再错"):
            identity.sign_in("tadmin", "wrong-pass", at=locked_at + timedelta(minutes=16, seconds=attempt))
    assert identity.sign_in("tadmin", "right-pass-1", at=locked_at + timedelta(minutes=17)).username == "tadmin"


def test_sign_ins_are_audited_success_and_failure(township: Services) -> None:
    with pytest.raises(AuthError):
        township.identity.sign_in("tadmin", "nope-nope", at=T0)
    with pytest.raises(AuthError, match="用户名或密码不正确"):
        township.identity.sign_in("ghost", "whatever", at=T0)
    user = township.identity.sign_in("tadmin", "right-pass-1", at=T0 + timedelta(seconds=1))
    rows = [r for r in _audit(township) if r[0].startswith("signin.")]
    assert [(a, actor) for a, actor, _, _ in rows] == [
        ("signin.fail", "管理员"), ("signin.fail", "ghost"), ("signin.ok", "管理员"),
    ]
    assert rows[0][2] == user.id and rows[0][3] == {"failures": 1}
    assert rows[2][2] == user.id


def test_settings_change_is_audited_with_old_and_new_value(township: Services) -> None:
    township.identity.sign_in("tadmin", "right-pass-1")
    township.settings.set("idle_lock_minutes", "25")
    assert township.settings.get("idle_lock_minutes") == 25
    with pytest.raises(ValidationError) as err:
        township.settings.set("idle_lock_minutes", "999")
    assert err.value.field == "无操作自动锁屏（分钟，0=不锁屏）"
    changes = [r for r in _audit(township) if r[0] == "settings.change"]
    assert len(changes) == 1
    action, actor, _, detail = changes[0]
    assert actor == "管理员" and detail == {"key": "idle_lock_minutes", "old": 10, "new": 25}


def test_only_an_admin_creates_users(township: Services) -> None:
    township.identity.sign_in("tadmin", "right-pass-1")
    township.users.create("caseworker", "陈丹", Role.CASE_WORKER, "casework-1")
    township.identity.sign_out()
    township.identity.sign_in("caseworker", "casework-1")
    with pytest.raises(PermissionDenied):
        township.users.create("someone", "某人", Role.ADMIN, "whatever-1")
    assert any(r[0] == "user.create" for r in _audit(township))


def test_before_the_wizard_there_is_no_site_and_nobody_signs_in(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "new")
    try:
        with pytest.raises(RuleViolation, match="建站向导"):
            sv.identity.local_site()
        with pytest.raises(AuthError, match="用户名或密码不正确"):
            sv.identity.sign_in("admin", "whatever-1")
        assert sv.session.actor.user_id is None
    finally:
        sv.close()
