"""Three sites' databases merge into one without a key conflict (DESIGN §4).

A township and two standalone villages are made with the real ``cunyi init``, each with an
administrator named ``admin``. A day's work is done at each through the services (receipts with trace
codes, a stocktake; at the villages settlements and a reversal). Then every synced row of the three
files is copied, parents first, into one fresh database of the same schema, as the hub will hold them:
no key conflicts, every row arrives, applying them queues nothing, and ``cunyi check`` passes on the
merged file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from demo_cli import REPO, last_json, run_cunyi
from sqlalchemy import select

from app.bootstrap import Services, bootstrap
from app.db.models import Base, Drug, synced_tables
from app.db.outbox import clear_transaction, mark_transaction
from app.domain.errors import AuthError
from app.domain.idcard import check_digit
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft

DRUGS_CSV = REPO / "resources" / "catalog" / "drugs.csv"
#: the drugs each site stocks (names as in the bundled catalog file)
AMLO, IRBE, ATOR = "苯磺酸氨氯地平片", "厄贝沙坦片", "阿托伐他汀钙片"
AT = datetime(2026, 11, 23, 9, 30)
DAY = AT.date()
RECEIVED = datetime(2026, 11, 20, 9, 0)
EXPIRY = date(2028, 6, 30)


@dataclass
class Installation:
    """One site's data folder, its site id and the administrator's password."""

    folder: Path
    site_id: str
    password: str

    @property
    def database(self) -> Path:
        return self.folder / "cunyi.db"


def id_number(birth: str, seq: str) -> str:
    """A valid 18-digit ID number for birth date 'YYYYMMDD'."""
    first17 = "410102" + birth + seq
    return first17 + check_digit(first17)


def _init(root: Path, kind: str, name: str, password: str) -> Installation:
    folder = root / name
    secret = root / f"{name}.password"
    secret.write_text(password, encoding="utf-8")
    made = run_cunyi("init", "--data", str(folder), "--kind", kind, "--name", name, "--admin", "admin",
                     "--password-file", str(secret))
    assert made.returncode == 0, made.stderr
    return Installation(folder, last_json(made.stdout)["site_id"], password)


def _open(site: Installation) -> Services:
    """The site's services with its administrator signed in, the catalog file imported."""
    sv = bootstrap(site.folder, backup_before_migrate=False)
    sv.identity.sign_in("admin", site.password, at=RECEIVED)
    sv.catalog.import_file(DRUGS_CSV)
    return sv


def _drug_ids(sv: Services) -> dict[str, str]:
    with sv.db.read() as s:
        rows = s.execute(select(Drug.generic_name, Drug.id).where(Drug.owner_site_id == sv.db.local_site_id))
        return dict(rows.all())


def _stocktake(sv: Services, store_id: str, short: str) -> None:
    """Count the whole store; batch ``short`` is one unit short, the rest as the books say."""
    take = sv.stocktake.start(store_id)
    for line in sv.stocktake.lines(take.id):
        counted = line.expected_qty - 1 if line.batch_id == short else line.expected_qty
        sv.stocktake.record_count(take.id, line.batch_id, counted, reason="盘亏" if line.batch_id == short else "")
    sv.stocktake.finalise(take.id, at=AT + timedelta(hours=8))


def _township_day(site: Installation) -> None:
    sv = _open(site)
    try:
        store_id = sv.identity.local_site().store_id
        sv.users.create("yaoshi", "周药师", "township_pharmacist", "yaoshi123")
        sv.identity.sign_in("yaoshi", "yaoshi123", at=RECEIVED)
        drugs = _drug_ids(sv)
        codes = [f"8300000000000000{n:04d}" for n in range(1, 4)]
        amlo = sv.stock.receive(drugs[AMLO], "T-A1", EXPIRY, 84, trace_codes=codes, at=RECEIVED)
        irbe = sv.stock.receive(drugs[IRBE], "T-I1", EXPIRY, 56, at=RECEIVED)
        sv.catalog.set_store_settings(drugs[IRBE], shelf="中-03", min_stock_units=112)
        sv.stock.write_off(irbe, 28, "damaged", at=AT)
        _stocktake(sv, store_id, amlo)
    finally:
        sv.close()


def _village_day(site: Installation, seq: str, codes_from: int) -> None:
    sv = _open(site)
    try:
        store_id = sv.identity.local_site().store_id
        sv.users.create("doctor", "李医生", "village_doctor", "doctor123")
        sv.identity.sign_in("doctor", "doctor123", at=RECEIVED)
        drugs = _drug_ids(sv)
        codes = [f"8400000000000000{n:04d}" for n in range(codes_from, codes_from + 3)]
        amlo = sv.stock.receive(drugs[AMLO], "V-A1", EXPIRY, 84, trace_codes=codes, at=RECEIVED)
        sv.stock.receive(drugs[ATOR], "V-T1", EXPIRY, 56, at=RECEIVED)
        sv.catalog.set_store_settings(drugs[AMLO], shelf="A-01", min_stock_units=28)
        enrolled = (EnrollmentRecord(2026, date(2025, 11, 15), True),)
        residents = [
            sv.residents.create(ResidentForm(id_number=id_number(birth, seq), name=name, address="三组",
                                             enrollments=enrolled)).resident
            for name, birth in (("张三", "19590312"), ("李四", "19621105"))
        ]

        def visit(resident_id: str, lines: tuple[DraftLine, ...]) -> VisitDraft:
            return VisitDraft(resident_id=resident_id, visit_date=DAY, diagnosis="高血压", diagnosis_code="I10",
                              lines=lines)

        sold = DraftLine(drugs[AMLO], 28, "口服 每日1次 每次1片", (codes[0],))
        sv.settlement.settle(visit(residents[0].id, (sold,)), at=AT)
        wrong = sv.settlement.settle(visit(residents[1].id, (DraftLine(drugs[AMLO], 28, "口服", (codes[1],)),
                                                             DraftLine(drugs[ATOR], 14, "口服"))),
                                     at=AT + timedelta(hours=1))
        sv.settlement.reverse(wrong.id, "开错药，退药", at=AT + timedelta(hours=2))
        sv.settlement.settle(visit(residents[1].id, (DraftLine(drugs[ATOR], 14, "口服 每晚1次 每次1片"),)),
                             at=AT + timedelta(hours=3))
        _stocktake(sv, store_id, amlo)
    finally:
        sv.close()


def _copy_order() -> list[str]:
    """The synced tables, parents before the rows that refer to them."""
    synced = set(synced_tables())
    return [t.name for t in Base.metadata.sorted_tables if t.name in synced]


def _counts(database: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _copy_order()}
    finally:
        con.close()


def _merge(target: Path, sources: list[Installation]) -> None:
    """Copy every synced row of ``sources`` into ``target`` (a fresh database of the same schema) the way
    pulled rows are applied: foreign keys on, the transaction marked as applying remote rows."""
    con = sqlite3.connect(target, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        for n, site in enumerate(sources):
            con.execute(f"ATTACH DATABASE ? AS s{n}", (f"file:{site.database}?mode=ro",))
        con.execute("BEGIN")
        # this file is the township's: its local identity first
        con.execute("INSERT INTO local_site SELECT * FROM s0.local_site")
        mark_transaction(con, applying_remote=True)
        for table in _copy_order():
            columns = ", ".join(c.name for c in Base.metadata.tables[table].columns)
            for n, site in enumerate(sources):
                try:
                    con.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM s{n}.{table}")
                except sqlite3.IntegrityError as exc:
                    pytest.fail(f"{table} rows of {site.folder.name} conflict with rows already merged: {exc}")
        clear_transaction(con)
        con.execute("COMMIT")
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def test_a_township_and_two_villages_merge_without_key_conflicts(tmp_path: Path, today_is) -> None:
    today_is(DAY)
    township = _init(tmp_path, "township", "示例镇卫生院", "town1234")
    east = _init(tmp_path, "village", "东村卫生室", "east1234")
    west = _init(tmp_path, "village", "西村卫生室", "west1234")
    _township_day(township)
    _village_day(east, "123", 1)
    _village_day(west, "245", 11)
    sites = [township, east, west]
    counts = [_counts(site.database) for site in sites]
    # each village did the work the merge is meant to exercise
    for village in counts[1:]:
        assert village["settlements"] == 3 and village["reversals"] == 1 and village["stocktakes"] == 1
        assert village["trace_code_events"] == 3 + 2 + 1  # received, sold twice, unsold once

    merged = tmp_path / "merged"
    bootstrap(merged, backup_before_migrate=False).close()
    assert set(_counts(merged / "cunyi.db").values()) == {0}
    _merge(merged / "cunyi.db", sites)

    assert _counts(merged / "cunyi.db") == {t: sum(c[t] for c in counts) for t in _copy_order()}
    con = sqlite3.connect(merged / "cunyi.db")
    try:
        assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0  # applied rows queue nothing
        admins = con.execute("SELECT site_id FROM users WHERE username = 'admin'").fetchall()
        doctors = con.execute("SELECT site_id FROM users WHERE username = 'doctor'").fetchall()
    finally:
        con.close()
    assert sorted(site_id for (site_id,) in admins) == sorted(site.site_id for site in sites)
    assert sorted(site_id for (site_id,) in doctors) == sorted([east.site_id, west.site_id])

    checked = run_cunyi("check", "--data", str(merged))
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert last_json(checked.stdout)["ok"] is True

    # signing in looks the name up within this file's own site: the township's admin, not a village's
    sv = bootstrap(merged, backup_before_migrate=False)
    try:
        assert sv.identity.sign_in("admin", township.password).site_id == township.site_id
        with pytest.raises(AuthError):
            sv.identity.sign_in("admin", east.password)
    finally:
        sv.close()
