"""Real sites for the sync client tests: ``cunyi init --code`` folders that work through the services.

``join`` runs the real ``cunyi init --data DIR --code CODE`` in this process; ``SiteFolder`` opens the
folder's services signed in as its administrator, runs ``cunyi sync --once`` and ``cunyi check`` and
reads every synced row, so two sites' copies of a record can be compared.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from app.bootstrap import Services, bootstrap
from app.cli import main as cunyi
from app.db.models import synced_tables
from app.domain.idcard import check_digit
from app.services.core.policies import DEFAULT_POLICY
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft

PASSWORD = "demo1234"


def run(*args: str) -> tuple[int, str, str]:
    """``cunyi ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cunyi(list(args))
    return code, out.getvalue(), err.getvalue()


def id_number(birth: str, seq: str) -> str:
    first17 = "410102" + birth + seq
    return first17 + check_digit(first17)


def births_for(tag: str) -> tuple[str, str]:
    """Two birth dates of a test's own, for :meth:`SiteFolder.village_work` at a hub that other tests share."""
    rng = random.Random(tag)
    return tuple(f"{rng.randint(1940, 1990)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" for _ in range(2))


@dataclass
class SiteFolder:
    """One site's data folder, joined to a hub."""

    data: Path
    site_id: str

    @contextlib.contextmanager
    def services(self) -> Iterator[Services]:
        sv = bootstrap(self.data, backup_before_migrate=False)
        try:
            sv.identity.sign_in("admin", PASSWORD)
            yield sv
        finally:
            sv.close()

    def sync(self) -> dict[str, int]:
        code, out, err = run("sync", "--data", str(self.data), "--once")
        assert code == 0, err
        return json.loads(out.strip().splitlines()[-1])

    def check(self) -> None:
        code, out, err = run("check", "--data", str(self.data))
        assert code == 0, out + err

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.data / "cunyi.db")) as con:
            return con.execute(query, params).fetchall()

    def rows(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every synced row here, by (table, id), with its owner."""
        found = {}
        with contextlib.closing(sqlite3.connect(self.data / "cunyi.db")) as con:
            con.row_factory = sqlite3.Row
            for table in synced_tables():
                for row in con.execute(f"SELECT * FROM {table}"):
                    found[(table, row["id"])] = dict(row)
        return found

    def audit_texts(self, action: str) -> list[str]:
        """The 操作日志 lines of ``action`` at this site, as the 设置 page shows them."""
        with self.services() as sv:
            return [e.text for e in sv.status.audit_page(0, 10_000) if e.action == action]

    def pending(self) -> int:
        return self.sql("SELECT count(*) FROM outbox WHERE local_seq > (SELECT pushed_seq FROM local_site)")[0][0]

    # -- work through the services -----------------------------------------------------------------
    def township_setup(self) -> dict[str, str]:
        """Policy file and catalog of a township, and a receipt into its store; returns the drug ids."""
        with self.services() as sv:
            sv.settings.import_policy(str(DEFAULT_POLICY))
            drugs = {
                "amox": sv.catalog.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒",
                                          base_unit="粒", units_per_pack=24, coverage_class="B",
                                          class_b_self_bp=1500, price_fen=1250).id,
                "vitc": sv.catalog.create(generic_name="维生素C片", strength="100mg×100片", pack_unit="瓶",
                                          base_unit="片", units_per_pack=100, coverage_class="C", price_fen=350).id,
            }
            sv.stock.receive(drugs["amox"], "T2501", date(2027, 7, 31), 480)
            return drugs

    def village_work(self, drugs: dict[str, str], seq: str,
                     births: tuple[str, str] = ("19590312", "19620520")) -> dict[str, str]:
        """Receive stock, register two residents, settle twice and reverse one settlement.

        ID numbers come from ``births`` and ``seq``: tests sharing a hub pass births of their own, since
        an ID number registered by any village of the hub is refused to another.
        """
        with self.services() as sv:
            sv.stock.receive(drugs["amox"], f"A{seq}", date(2027, 7, 31), 96)
            sv.stock.receive(drugs["vitc"], f"V{seq}", date(2027, 5, 31), 300)
            ids = {}
            for n, (name, birth) in enumerate(zip(("张三", "李四"), births)):
                form = ResidentForm(id_number=id_number(birth, f"{seq[-1]}{n}1"), name=name, phone="", address="示例村3组",
                                    enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),))
                ids[name] = sv.residents.create(form).resident.id
            settled = []
            for resident_id in ids.values():
                draft = VisitDraft(resident_id=resident_id, visit_date=date(2026, 6, 15), diagnosis="急性上呼吸道感染",
                                   diagnosis_code="J06.9",
                                   lines=(DraftLine(drugs["amox"], 24, "口服 每日3次 每次1粒"),
                                          DraftLine(drugs["vitc"], 20, "口服 每日1次 每次1片")))
                settled.append(sv.settlement.settle(draft).id)
            sv.settlement.reverse(settled[0], "收费录错，退费重收")
            return ids


def join(code: str, data: Path, password_file: Path) -> tuple[int, str, str]:
    """``cunyi init --data DATA --code CODE --admin admin --password-file F``."""
    return run("init", "--data", str(data), "--code", code, "--admin", "admin", "--password-file", str(password_file))


def joined(code: str, data: Path, password_file: Path) -> SiteFolder:
    status, out, err = join(code, data, password_file)
    assert status == 0, err
    return SiteFolder(data, json.loads(out.strip().splitlines()[-1])["site_id"])
