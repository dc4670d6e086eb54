"""Policy files as rows: picking a file in 设置 stores its text as a ``policies`` row, settling reads the
row, and every settlement names the policy version it was computed with (DESIGN §4, §5)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from settle_helpers import AT

from app.domain.errors import PermissionDenied
from app.domain.policy_file import policy_version
from app.services.core.policies import DEFAULT_POLICY


@pytest.fixture
def resident(clinic):
    return clinic.resident()


def _rows(clinic, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(clinic.sv.data.database)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _policy_file(folder: Path, name: str, ratio_bp: int) -> Path:
    path = folder / name
    path.write_text(DEFAULT_POLICY.read_text(encoding="utf-8").replace("ratio_bp = 6000", f"ratio_bp = {ratio_bp}"),
                    encoding="utf-8")
    return path


def _version_of(clinic, settlement_id: str) -> str:
    return _rows(clinic, "SELECT policy_version FROM settlements WHERE id = ?", (settlement_id,))[0][0]


def test_picking_a_file_stores_a_row_and_settling_uses_it(clinic, resident, tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "county-2026.toml", 7000)
    text = path.read_text(encoding="utf-8")
    clinic.as_admin()
    clinic.sv.settings.set("policy_file", str(path))
    rows = _rows(clinic, "SELECT id, owner_site_id, region, year, policy_version, file_name, text, valid_from, valid_to "
                         "FROM policies")
    assert len(rows) == 1
    row_id, owner, region, year, version, file_name, stored, valid_from, valid_to = rows[0]
    assert (owner, region, year, file_name, stored) == (clinic.site_id, "示例县（示例数值）", 2026, "county-2026.toml", text)
    assert (valid_from, valid_to) == ("2026-01-01", "2026-12-31")
    assert version == policy_version(text) and version != policy_version(DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert clinic.sv.settings.get("policy_file") == str(path)  # 设置 shows the file as picked
    assert _rows(clinic, "SELECT value FROM app_settings WHERE key = 'policy_id'") == [(f'"{row_id}"',)]
    # the row is queued for the hub, and the change is audited with the version
    assert _rows(clinic, "SELECT count(*) FROM outbox WHERE table_name = 'policies' AND record_id = ?", (row_id,)) == [(1,)]
    assert version in _rows(clinic, "SELECT detail FROM audit_log WHERE action = 'settings.change' "
                                    "ORDER BY id DESC LIMIT 1")[0][0]

    path.unlink()  # settling reads the row, not the file
    clinic.as_doctor()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    assert _version_of(clinic, info.id) == version
    # 28 片 of 氨氯地平 (class A, 812 fen a box of 28) at 70 %: the fund pays 568 fen
    assert _rows(clinic, "SELECT fund_fen FROM settlements WHERE id = ?", (info.id,)) == [(568,)]


def test_a_second_file_is_a_new_row_and_old_settlements_keep_their_version(clinic, resident, tmp_path: Path) -> None:
    first, second = _policy_file(tmp_path, "a-2026.toml", 7000), _policy_file(tmp_path, "b-2026.toml", 5000)
    clinic.as_admin()
    clinic.sv.settings.set("policy_file", str(first))
    clinic.as_doctor()
    earlier = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    clinic.as_admin()
    clinic.sv.settings.set("policy_file", str(second))
    clinic.as_doctor()
    later = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    versions = dict(_rows(clinic, "SELECT file_name, policy_version FROM policies"))
    assert len(versions) == 2
    assert _version_of(clinic, earlier.id) == versions["a-2026.toml"]
    assert _version_of(clinic, later.id) == versions["b-2026.toml"]
    assert _rows(clinic, "SELECT fund_fen FROM settlements ORDER BY settled_at, receipt_no") == [(568,), (406,)]
    # picking the first file again adds no row: the same text is the same version
    clinic.as_admin()
    clinic.sv.settings.set("policy_file", str(first))
    assert _rows(clinic, "SELECT count(*) FROM policies") == [(2,)]
    # a stored policy is never changed: a new version is a new row
    con = sqlite3.connect(clinic.sv.data.database)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="待遇政策文件导入后不能修改"):
            con.execute("UPDATE policies SET text = ''")
    finally:
        con.close()


def test_without_a_picked_file_the_first_settlement_imports_the_demo_file(clinic, resident) -> None:
    assert _rows(clinic, "SELECT count(*) FROM policies") == [(0,)]
    info = clinic.sv.settlement.settle(clinic.draft(resident.id), at=AT)
    demo = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert _rows(clinic, "SELECT owner_site_id, policy_version, text FROM policies") == [
        (clinic.site_id, policy_version(demo), demo)]
    assert _version_of(clinic, info.id) == policy_version(demo)
    clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    assert _rows(clinic, "SELECT count(*) FROM policies") == [(1,)]


def test_an_enrolled_village_may_not_import_a_policy_file(clinic, tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "own-2026.toml", 7000)
    con = sqlite3.connect(clinic.sv.data.database)
    try:
        with con:
            con.execute("UPDATE local_site SET enrolled_at = ?", (datetime(2026, 6, 10, 9).isoformat(" "),))
    finally:
        con.close()
    before = clinic.fingerprint()
    clinic.as_admin()
    with pytest.raises(PermissionDenied, match="已加入乡镇的村卫生室不能导入待遇政策文件：待遇政策文件由乡镇卫生院维护"):
        clinic.sv.settings.set("policy_file", str(path))
    assert clinic.fingerprint() == before
    assert clinic.sv.settings.get("policy_file") == ""
