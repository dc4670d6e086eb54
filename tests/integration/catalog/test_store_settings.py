"""Keys and owners for a database that holds several sites' rows: per-store shelf and minimum stock,
catalog writes at an enrolled village, user names unique per site."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from stock_helpers import Clinic, days

from app.domain.errors import AuthError, PermissionDenied
from app.domain.ids import new_id
from app.domain.passwords import hash_password

STAMP = "2026-06-01 09:00:00.000000"


def _other_village(clinic: Clinic, admin_password: str = "other-pass-1") -> tuple[str, str]:
    """A second village of the township with its store and its own ``admin``, as rows pulled from the hub."""
    site, store = new_id(), new_id()
    con = sqlite3.connect(clinic.path)
    try:
        with con:
            con.execute("INSERT INTO sites (id, owner_site_id, created_at, updated_at, version, kind, name, code, "
                        "township_id, region, address, phone) VALUES (?, ?, ?, ?, 1, 'village', '另一村卫生室', '', "
                        "NULL, '', '', '')", (site, site, STAMP, STAMP))
            con.execute("INSERT INTO stores (id, owner_site_id, created_at, updated_at, version, site_id, name) "
                        "VALUES (?, ?, ?, ?, 1, ?, '药房')", (store, site, STAMP, STAMP, site))
            con.execute("INSERT INTO users (id, owner_site_id, created_at, updated_at, version, site_id, username, "
                        "display_name, role, password_hash, active) VALUES (?, ?, ?, ?, 1, ?, 'admin', '另一管理员', "
                        "'admin', ?, 1)", (new_id(), site, STAMP, STAMP, site, hash_password(admin_password)))
    finally:
        con.close()
    return site, store


def test_two_sites_may_both_have_an_admin_and_sign_in_stays_within_the_local_site(clinic: Clinic) -> None:
    _other_village(clinic)  # would be a key conflict if a user name were unique across the database
    con = sqlite3.connect(clinic.path)
    try:
        assert con.execute("SELECT count(*) FROM users WHERE username = 'admin'").fetchone()[0] == 2
    finally:
        con.close()
    local = clinic.sv.identity.sign_in("admin", "secret123")
    assert local.site_id == clinic.sv.db.local_site_id and local.display_name == "管理员"
    with pytest.raises(AuthError, match="用户名或密码不正确"):  # the other village's admin does not sign in here
        clinic.sv.identity.sign_in("admin", "other-pass-1")


def test_each_store_keeps_its_own_shelf_and_minimum_for_the_same_drug(clinic: Clinic) -> None:
    _site, other_store = _other_village(clinic)
    con = sqlite3.connect(clinic.path)
    try:
        with con:  # the other village chose its own shelf and a minimum of 10 boxes for 硝苯地平
            con.execute("INSERT INTO store_drug_settings (id, owner_site_id, created_at, updated_at, version, store_id, "
                        "drug_id, shelf, min_stock_units) VALUES (?, ?, ?, ?, 1, ?, ?, 'Z9', 300)",
                        (new_id(), _site, STAMP, STAMP, other_store,
                         clinic.nife.id))
    finally:
        con.close()
    cat = clinic.sv.catalog
    assert (cat.get(clinic.nife.id).shelf, cat.get(clinic.nife.id).min_stock_units) == ("B2", 60)
    changed = cat.update(clinic.nife.id, shelf="C3", min_stock_units=90)
    assert (changed.shelf, changed.min_stock_units) == ("C3", 90)
    con = sqlite3.connect(clinic.path)
    try:
        own = dict(((s, (shelf, m)) for s, shelf, m in con.execute(
            "SELECT store_id, shelf, min_stock_units FROM store_drug_settings WHERE drug_id = ?", (clinic.nife.id,))))
        drug_columns = [c[1] for c in con.execute("PRAGMA table_info(drugs)")]
    finally:
        con.close()
    assert own == {clinic.store_id: ("C3", 90), other_store: ("Z9", 300)}
    assert "shelf" not in drug_columns and "min_stock_units" not in drug_columns  # not on the township's row
    # the stock list, the low-stock tile and a count by shelf read each store's own values
    clinic.sv.stock.receive(clinic.nife.id, "N1", days(300), 120)
    row = next(r for r in clinic.sv.stock.on_hand(include_zero=True) if r.drug_id == clinic.nife.id)
    assert (row.shelf, row.min_stock_units) == ("C3", 90) and "low" not in row.alerts
    mine, theirs = clinic.sv.stock.alerts(clinic.store_id), clinic.sv.stock.alerts(other_store)
    assert clinic.nife.id not in {r.drug_id for r in mine.low_stock.rows}
    low = {r.drug_id: r for r in theirs.low_stock.rows}
    assert low[clinic.nife.id].min_stock_units == 300 and low[clinic.nife.id].below_minimum
    take = clinic.sv.stocktake.start(clinic.store_id, "shelf", "C3")
    assert take.lines == 1
    clinic.sv.stocktake.cancel(take.id)
    assert clinic.sv.stocktake.start(clinic.store_id, "shelf", "B2").lines == 0


def test_an_enrolled_village_may_not_write_the_catalog_but_keeps_its_own_shelves(clinic: Clinic) -> None:
    before = clinic.fingerprint()
    con = sqlite3.connect(clinic.path)
    try:
        with con:
            con.execute("UPDATE local_site SET enrolled_at = ?", (datetime(2026, 6, 10, 9).isoformat(" "),))
    finally:
        con.close()
    cat = clinic.sv.catalog
    for call in (lambda: cat.create(generic_name="布洛芬片", strength="0.2g", pack_unit="盒", base_unit="片",
                                    units_per_pack=20, price_fen=500, coverage_class="A"),
                 lambda: cat.update(clinic.amox.id, retail_price_fen=1),
                 lambda: cat.reset_pinyin(clinic.amox.id)):
        with pytest.raises(PermissionDenied, match="已加入乡镇的村卫生室不能.*药品目录由乡镇卫生院维护"):
            call()
    after = clinic.fingerprint()
    assert {t: v for t, v in after.items() if t != "local_site"} == {t: v for t, v in before.items() if t != "local_site"}
    assert cat.set_store_settings(clinic.amox.id, shelf="D4").shelf == "D4"
    assert cat.get(clinic.amox.id).shelf == "D4" and cat.get(clinic.amox.id).retail_price_fen == clinic.amox.retail_price_fen
