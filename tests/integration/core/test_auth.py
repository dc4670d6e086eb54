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


def _users(township: Services) -> dict[str, str]:
    """username → id, with a second admin-free team: tadmin (admin), caseworker, pharm."""
    township.identity.sign_in("tadmin", "right-pass-1")
    township.users.create("caseworker", "陈丹", Role.CASE_WORKER, "casework-1")
    township.users.create("pharm", "李药管", Role.TOWNSHIP_PHARMACIST, "pharmacy-1")
    return {u.username: u.id for u in township.users.list()}


def test_a_disabled_user_cannot_sign_in_and_is_told_so(township: Services) -> None:
    ids = _users(township)
    assert not township.users.set_active(ids["caseworker"], False).active
    township.identity.sign_out()
    with pytest.raises(AuthError, match="已被管理员停用") as err:
        township.identity.sign_in("caseworker", "casework-1")
    assert err.value.field == "用户名" and township.session.actor.user_id is None
    with pytest.raises(AuthError, match="用户名或密码不正确"):  # a guess learns nothing about the account
        township.identity.sign_in("caseworker", "guess-guess")
    township.identity.sign_in("tadmin", "right-pass-1")
    assert township.users.set_active(ids["caseworker"], True).active
    township.identity.sign_out()
    assert township.identity.sign_in("caseworker", "casework-1").username == "caseworker"
    actions = [(a, actor, target) for a, actor, target, _ in _audit(township) if a in ("user.disable", "user.enable", "signin.disabled")]
    assert actions == [("user.disable", "管理员", ids["caseworker"]), ("signin.disabled", "陈丹", ids["caseworker"]),
                       ("user.enable", "管理员", ids["caseworker"])]


def test_the_site_keeps_an_active_admin_and_an_admin_cannot_disable_themselves(township: Services) -> None:
    ids = _users(township)
    with pytest.raises(RuleViolation, match="不能停用自己的账户"):
        township.users.set_active(ids["tadmin"], False)
    with pytest.raises(RuleViolation, match="不能修改自己的角色"):
        township.users.change_role(ids["tadmin"], Role.CASE_WORKER)
    with pytest.raises(ValidationError, match="不适用于本机构") as err:
        township.users.change_role(ids["pharm"], Role.VILLAGE_DOCTOR)  # a village role at a township
    assert err.value.field == "角色"
    assert township.users.change_role(ids["pharm"], Role.ADMIN).role is Role.ADMIN

    # a second window on the same file: pharm, now an admin, makes tadmin a case worker
    other = bootstrap(township.data.root, backup_before_migrate=False)
    try:
        other.identity.sign_in("pharm", "pharmacy-1")
        assert other.users.change_role(ids["tadmin"], Role.CASE_WORKER).role is Role.CASE_WORKER
    finally:
        other.close()
    # tadmin's session still says admin, but pharm is the last active admin: neither disabled nor demoted
    with pytest.raises(RuleViolation, match="李药管是本机构唯一在用的管理员，不能停用"):
        township.users.set_active(ids["pharm"], False)
    with pytest.raises(RuleViolation, match="唯一在用的管理员，不能改为其他角色"):
        township.users.change_role(ids["pharm"], Role.CASE_WORKER)
    assert {u.username: (u.role, u.active) for u in township.users.list()}["pharm"] == (Role.ADMIN, True)
    roles = [(actor, d) for a, actor, _, d in _audit(township) if a == "user.role"]
    assert roles == [("管理员", {"username": "pharm", "name": "李药管", "old": "township_pharmacist", "new": "admin"}),
                     ("李药管", {"username": "tadmin", "name": "管理员", "old": "admin", "new": "case_worker"})]


def test_only_an_admin_resets_passwords_and_everyone_changes_their_own(township: Services) -> None:
    ids = _users(township)
    with pytest.raises(ValidationError, match="至少需要 6 位"):
        township.users.reset_password(ids["caseworker"], "short")
    township.users.reset_password(ids["caseworker"], "new-case-1")
    township.identity.sign_out()
    with pytest.raises(AuthError):
        township.identity.sign_in("caseworker", "casework-1")
    township.identity.sign_in("caseworker", "new-case-1")
    with pytest.raises(PermissionDenied):
        township.users.reset_password(ids["pharm"], "hacked-it-1")
    with pytest.raises(PermissionDenied):
        township.users.set_active(ids["pharm"], False)
    with pytest.raises(PermissionDenied):
        township.users.change_role(ids["caseworker"], Role.ADMIN)
    with pytest.raises(AuthError, match="当前密码不正确") as err:
        township.users.change_own_password("not-my-password", "mine-now-1")
    assert err.value.field == "当前密码"
    with pytest.raises(ValidationError, match="至少需要 6 位") as err:
        township.users.change_own_password("new-case-1", "abc")
    assert err.value.field == "新密码"
    township.users.change_own_password("new-case-1", "mine-now-1")
    township.identity.sign_out()
    assert township.identity.sign_in("caseworker", "mine-now-1").username == "caseworker"
    rows = [(a, actor, target, d) for a, actor, target, d in _audit(township) if a in ("user.reset_password", "user.password")]
    assert rows == [("user.reset_password", "管理员", ids["caseworker"], {"username": "caseworker", "name": "陈丹"}),
                    ("user.password", "陈丹", ids["caseworker"], {"username": "caseworker", "name": "陈丹"})]


def test_an_unknown_user_is_answered_as_a_wrong_password_after_the_same_hash(township: Services, monkeypatch) -> None:
    from app.services.core import identity as identity_module

    hashed: list[str] = []
    real = identity_module.verify_password
    monkeypatch.setattr(identity_module, "verify_password", lambda p, stored: hashed.append(stored) or real(p, stored))
    for attempt in range(1, 7):  # five failures lock; the sixth try meets the lock
        at = T0 + timedelta(seconds=attempt)
        with pytest.raises(AuthError) as known:
            township.identity.sign_in("tadmin", "wrong-pass", at=at)
        with pytest.raises(AuthError) as unknown:
            township.identity.sign_in("ghost", "wrong-pass", at=at)
        assert (str(unknown.value), unknown.value.field) == (str(known.value), known.value.field)
    assert len(hashed) == 10 and hashed[1] != hashed[0]  # a hash for every try before the lock, the unknown one too
    assert str(known.value).startswith("账户已锁定")
    assert township.session.actor.user_id is None


def test_signing_out_leaves_an_actor_that_can_do_nothing(township: Services) -> None:
    township.identity.sign_in("tadmin", "right-pass-1")
    township.identity.sign_out()
    assert township.session.actor.role == "" and township.session.actor.name == "未登录"
    with pytest.raises(PermissionDenied, match="未登录不能修改系统设置.*请先登录"):
        township.settings.set("idle_lock_minutes", "25")
    with pytest.raises(PermissionDenied, match="请先登录"):
        township.settings.get("idle_lock_minutes")
    assert not [r for r in _audit(township) if r[0] == "settings.change"]
