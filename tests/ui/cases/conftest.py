"""帮办代办 UI fixtures: residents to file cases for, and (for the two-site test) a real hub on loopback
with sites that joined it through ``cunyi init --code`` (the sync tests' own harness, as tests/ui/sync)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sync"))

from hub_harness import HubProcess  # noqa: E402
from site_harness import PASSWORD, SiteFolder, check_digit, joined  # noqa: E402

from app.services.residents.types import EnrollmentRecord, ResidentForm  # noqa: E402

JOIN_PASSWORD = PASSWORD


def id_number(birth: str, seq: str) -> str:
    first17 = "410102" + birth + seq
    return first17 + check_digit(first17)


#: (birth, sequence, name, address) of the residents the tests file cases for
RESIDENTS = (("19590312", "241", "王秀英", "示例村2组"), ("19621105", "122", "李桂兰", "示例村3组"),
             ("19880715", "031", "赵建国", "示例村1组"))


def add_residents(sv, shift: int = 0) -> dict[str, str]:  # noqa: ANN001
    """The residents of ``RESIDENTS`` at the signed-in site (birth years moved by ``shift``): name → id."""
    ids = {}
    for birth, seq, name, address in RESIDENTS:
        number = id_number(f"{int(birth[:4]) + shift}{birth[4:]}", seq)
        info = sv.residents.create(ResidentForm(id_number=number, name=name, address=address,
                                                enrollments=(EnrollmentRecord(2026, date(2025, 11, 15)),)))
        ids[name] = info.resident.id
    return ids


@pytest.fixture(scope="session")
def sync_hub(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A running ``cunyi-hub serve`` on SQLite, shared by the session."""
    process = HubProcess(tmp_path_factory.mktemp("cases-hub") / "home")
    yield process
    process.stop()


@pytest.fixture
def join_site(sync_hub: HubProcess, tmp_path: Path) -> Callable[..., SiteFolder]:
    """``join_site(kind, township=None)`` → a data folder that joined the hub with ``cunyi init --code``."""
    password_file = tmp_path / "password.txt"
    password_file.write_text(JOIN_PASSWORD, encoding="utf-8")

    def make(kind: str = "village", township: str | None = None) -> SiteFolder:
        tag = uuid.uuid4().hex[:6]
        if kind == "village" and township is None:
            township = sync_hub.add_site("township", f"乡镇{tag}")[0]
        name = f"{'东村' if kind == 'village' else '乡镇'}{tag}"
        _site_id, code = sync_hub.add_site(kind, name, township)
        return joined(code, tmp_path / f"{kind}-{tag}", password_file)

    return make
