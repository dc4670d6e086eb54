"""帮办代办 UI tests: residents to file cases for."""

from __future__ import annotations

from datetime import date

from app.domain.idcard import check_digit
from app.services.residents.types import EnrollmentRecord, ResidentForm


def id_number(birth: str, seq: str) -> str:
    first17 = "410102" + birth + seq
    return first17 + check_digit(first17)


#: (birth, sequence, name, address) of the residents the tests file cases for
RESIDENTS = (("19590312", "241", "王秀英", "示例村2组"), ("19621105", "122", "李桂兰", "示例村3组"),
             ("19880715", "031", "赵建国", "示例村1组"))


def add_residents(sv) -> dict[str, str]:  # noqa: ANN001
    """The residents of ``RESIDENTS`` at the signed-in site: name → id."""
    ids = {}
    for birth, seq, name, address in RESIDENTS:
        saved = sv.residents.create(ResidentForm(id_number=id_number(birth, seq), name=name, address=address,
                                                 enrollments=(EnrollmentRecord(2026, date(2025, 11, 15)),)))
        ids[name] = saved.resident.id
    return ids
