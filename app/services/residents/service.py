"""Residents 居民档案: create and update with ID-number check, household, enrollment years, assistance
category and chronic qualifications; search; and the coverage shown in the 门诊收费 header.

A resident is owned by the home village (DESIGN §4): another site may read it but not change it.
Sex and birth date come from the ID number (GB 11643). A duplicate ID number is refused; the same
name and birth date is only a warning (namesakes exist). Coverage figures are derived by the
settlement area from the year's settlements minus reversals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import ChronicQualification, Enrollment, Household, Resident, ResidentSearchKey, Site
from app.db.uow import Database
from app.domain import clock
from app.domain.digits import FULL_WIDTH, is_ascii_digits
from app.domain.enums import AssistanceCategory
from app.domain.errors import CunyiError, ForeignRecordError, NotFoundError, ValidationError
from app.domain.idcard import check_phone, mask_id, parse_id_number
from app.domain.pinyin import key_patterns, pinyin_codes, pinyin_sort_key
from app.domain.waiting import CoverageStatus, ResidentCover, coverage_status
from app.services.core.context import Session, requires
from app.services.residents.types import (
    RELATIONS,
    ChronicRecord,
    CoverageInfo,
    EnrollmentRecord,
    ResidentForm,
    ResidentInfo,
    ResidentSaved,
)

_DIGITS = re.compile(r"(\d+)", re.ASCII)
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])", re.ASCII)
_SCAN_KEYS = ("idNo", "certNo", "idCard", "psnCertNo", "certno", "idno")


def id_from_scan(text: str) -> str | None:
    """The ID number in a scanned 医保电子凭证 text: a JSON ``idNo``/``certNo`` or any 18-char number in it."""
    text = (text or "").strip()
    if "{" in text:
        try:
            found = _find_key(json.loads(text[text.index("{") : text.rindex("}") + 1]))
        except (ValueError, TypeError):
            found = None
        if found:
            return found.strip().upper()
    match = _ID_IN_TEXT.search(text)
    return match.group(1).upper() if match else None


def _find_key(obj: object) -> str | None:
    if isinstance(obj, dict):
        for key in _SCAN_KEYS:
            if isinstance(obj.get(key), str) and obj[key].strip():
                return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for value in obj:
            found = _find_key(value)
            if found:
                return found
    return None


def resident_info(session: OrmSession, row: Resident, local_site_id: str | None) -> ResidentInfo:
    return _infos(session, [row], local_site_id)[0]


def _infos(session: OrmSession, rows: list[Resident], local_site_id: str | None) -> list[ResidentInfo]:
    ids = [r.id for r in rows]
    enrollments: dict[str, list[EnrollmentRecord]] = {i: [] for i in ids}
    chronic: dict[str, list[ChronicRecord]] = {i: [] for i in ids}
    if ids:
        for e in session.scalars(select(Enrollment).where(Enrollment.resident_id.in_(ids)).order_by(Enrollment.year)):
            enrollments[e.resident_id].append(
                EnrollmentRecord(e.year, e.enrolled_on, e.central_period, e.repaid_years, e.newborn)
            )
        for c in session.scalars(
            select(ChronicQualification).where(ChronicQualification.resident_id.in_(ids)).order_by(
                ChronicQualification.disease_code, ChronicQualification.valid_from)
        ):
            chronic[c.resident_id].append(ChronicRecord(c.disease_code, c.disease_name, c.valid_from, c.valid_to))
    statuses = _coverage_today(session, enrollments)
    return [
        ResidentInfo(
            r.id, r.site_id, r.id_number, r.name, r.pinyin_abbr, r.sex, r.birth_date, r.phone, r.address,
            r.household_id, r.relation_to_head, r.assistance_category, r.insurance_no,
            tuple(enrollments[r.id]), tuple(chronic[r.id]), r.owner_site_id == local_site_id, statuses.get(r.id),
        )
        for r in rows
    ]


def _coverage_today(session: OrmSession, enrollments: dict[str, list[EnrollmentRecord]]) -> dict[str, CoverageStatus]:
    """Each resident's coverage today by the 门诊收费 rule (``coverage_status``); none without a policy."""
    from app.services.core.policies import site_policy

    if not enrollments:
        return {}
    try:
        policy = site_policy(session)
    except CunyiError:
        return {}
    today = clock.today()
    out: dict[str, CoverageStatus] = {}
    for resident_id, records in enrollments.items():
        this = next((e for e in records if e.year == today.year), None)
        cover = ResidentCover(
            frozenset(e.year for e in records), this.enrolled_on if this else None,
            this.central_period if this else False, this.newborn if this else False,
            this.repaid_years if this else 0,
        )
        try:
            out[resident_id] = coverage_status(policy, cover, today)
        except CunyiError:
            continue
    return out


def _pinyin(name: str) -> dict[str, str]:
    """A resident's 拼音码 (surname reading: 曾丽萍 → zlp), search keys of every reading, sort key."""
    codes = pinyin_codes(name, person=True, width=16)
    return {"pinyin_abbr": codes.abbr, "pinyin_keys": codes.keys, "pinyin_sort": codes.sort}


class ResidentService:
    """居民档案 of this site, and read access to residents of other sites that synced here."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- writes ---------------------------------------------------------------------------------
    @requires("residents.create")
    def create(self, form: ResidentForm) -> ResidentSaved:
        """A new resident of this site. Raises ValidationError naming the field (身份证号, 姓名, 手机号…)."""
        card, clean = self._check(form)
        with self.db.unit_of_work() as uow:
            s = uow.session
            self._refuse_duplicate_id(s, card.number, None)
            row = Resident(
                site_id=uow.local_site_id, id_number=card.number, sex=card.sex, birth_date=card.birth_date, **clean
            )
            s.add(row)
            s.flush()
            self._household(s, row, form.household_id, uow.local_site_id)
            self._upsert_children(s, row.id, form.enrollments, form.chronic)
            s.flush()
            warnings = self._namesakes(s, row)
            return ResidentSaved(resident_info(s, row, uow.local_site_id), warnings)

    @requires("residents.update")
    def update(self, resident_id: str, form: ResidentForm) -> ResidentSaved:
        """Change a resident of this site; enrollment years and qualifications are added or updated."""
        card, clean = self._check(form)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = self._row(s, resident_id)
            self._require_owned(s, row, uow.local_site_id)
            if card.number != row.id_number:
                self._refuse_duplicate_id(s, card.number, row.id)
            row.id_number, row.sex, row.birth_date = card.number, card.sex, card.birth_date
            for key, value in clean.items():
                setattr(row, key, value)
            self._household(s, row, form.household_id, uow.local_site_id)
            self._upsert_children(s, row.id, form.enrollments, form.chronic)
            s.flush()
            warnings = self._namesakes(s, row)
            return ResidentSaved(resident_info(s, row, uow.local_site_id), warnings)

    @requires("residents.set_enrollment")
    def set_enrollment(self, resident_id: str, record: EnrollmentRecord) -> ResidentInfo:
        """Add or correct one enrollment year (参保登记)."""
        return self._change_children(resident_id, (record,), ())

    @requires("residents.set_chronic")
    def set_chronic(self, resident_id: str, record: ChronicRecord) -> ResidentInfo:
        """Add or renew one chronic qualification (by disease code)."""
        return self._change_children(resident_id, (), (record,))

    def _change_children(self, resident_id: str, enrollments: tuple, chronic: tuple) -> ResidentInfo:
        with self.db.unit_of_work() as uow:
            row = self._row(uow.session, resident_id)
            self._require_owned(uow.session, row, uow.local_site_id)
            self._upsert_children(uow.session, row.id, enrollments, chronic)
            uow.session.flush()
            return resident_info(uow.session, row, uow.local_site_id)

    # -- reads ----------------------------------------------------------------------------------
    @requires("residents.read")
    def get(self, resident_id: str) -> ResidentInfo:
        with self.db.read() as s:
            return resident_info(s, self._row(s, resident_id), self.db.local_site_id)

    @requires("residents.read")
    def by_id_number(self, id_number: str) -> ResidentInfo | None:
        with self.db.read() as s:
            number = re.sub(r"\s", "", id_number.translate(FULL_WIDTH)).upper()
            row = s.scalar(select(Resident).where(Resident.id_number == number))
            return resident_info(s, row, self.db.local_site_id) if row else None

    @requires("residents.read")
    def household_members(self, household_id: str) -> list[ResidentInfo]:
        """The residents of one household, the head first."""
        with self.db.read() as s:
            rows = list(s.scalars(select(Resident).where(Resident.household_id == household_id)))
            rows.sort(key=lambda r: (r.relation_to_head != "本人", RELATIONS.index(r.relation_to_head)
                                     if r.relation_to_head in RELATIONS else 99, r.birth_date))
            return _infos(s, rows, self.db.local_site_id)

    @requires("residents.read")
    def site_roster(self) -> tuple[str, ...]:
        """Ids of this site's residents (a township: its villages' too) in the 居民档案 list order.

        Households stay together, ordered by their address in natural order (4组9号 before 4组27号,
        2组 before 10组), per village by its name's pinyin; in a household the head comes first, then by
        relation and age. Only the light columns are read, so a village of thousands lists at once; the
        records are read page by page with ``many``.
        """
        with self.db.read() as s:
            local = self.db.local_site_id
            names = {i: n for i, n in s.execute(
                select(Site.id, Site.name).where(or_(Site.id == local, Site.township_id == local)))}
            sites = ({i: (pinyin_sort_key(n), n) for i, n in names.items()} if len(names) > 1
                     else dict.fromkeys(names, ("", "")))
            rows = s.execute(
                select(Resident.id, Resident.site_id, Resident.household_id, Resident.relation_to_head,
                       Resident.birth_date, func.coalesce(func.nullif(Household.address, ""), Resident.address).label("home"),
                       Household.head_resident_id)
                .outerjoin(Household, Household.id == Resident.household_id)
                .where(Resident.site_id.in_(list(sites)))
            ).all()
        keys: dict[str, tuple] = {}

        def address_key(text: str) -> tuple:
            if text not in keys:
                keys[text] = tuple((0, int(p)) if is_ascii_digits(p) else (1, p) for p in _DIGITS.split(text) if p)
            return keys[text]

        rank = {relation: i for i, relation in enumerate(RELATIONS)}
        rows.sort(key=lambda r: (
            sites[r.site_id], address_key(r.home or ""), r.household_id or r.id,
            r.id != r.head_resident_id, rank.get(r.relation_to_head, len(rank)), r.birth_date, r.id))
        return tuple(r.id for r in rows)

    @requires("residents.read")
    def many(self, ids: Sequence[str]) -> list[ResidentInfo]:
        """The residents of ``ids`` in that order (ids not found are left out); one page of the list."""
        out: list[ResidentInfo] = []
        with self.db.read() as s:
            for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
                chunk = list(ids[start:start + 500])
                found = {r.id: r for r in s.scalars(select(Resident).where(Resident.id.in_(chunk)))}
                out += _infos(s, [found[i] for i in chunk if i in found], self.db.local_site_id)
        return out

    @requires("residents.read")
    def search(self, text: str, limit: int = 20) -> list[ResidentInfo]:
        """Find residents by ID number (full or last digits), name, pinyin initials, phone, or 医保电子凭证 scan."""
        query = (text or "").strip()
        if not query:
            return []
        with self.db.read() as s:
            rows = self._search_rows(s, query, limit)
            return _infos(s, rows, self.db.local_site_id)

    @requires("residents.read")
    def coverage(self, resident_id: str, on: date) -> CoverageInfo:
        """Enrollment, waiting period, fund used and cap left, assistance and chronic qualifications on ``on``."""
        from app.services.residents.coverage import coverage_on

        with self.db.read() as s:
            return coverage_on(s, self._row(s, resident_id), on)

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _search_rows(s: OrmSession, query: str, limit: int) -> list[Resident]:
        query = query.translate(FULL_WIDTH)
        scanned = id_from_scan(query) if len(query) > 18 or "{" in query else None
        compact = re.sub(r"[\s-]", "", query)
        if scanned or (len(compact) in (15, 18) and is_ascii_digits(compact[:-1])):
            try:
                number = parse_id_number(scanned or compact).number
            except ValidationError:
                number = (scanned or compact).upper()
            return list(s.scalars(select(Resident).where(Resident.id_number == number)))
        stmt = select(Resident)
        if is_ascii_digits(compact) or (is_ascii_digits(compact[:-1]) and compact[-1:] in "xX"):
            if len(compact) < 4:
                return []
            digits = compact.upper()
            stmt = stmt.where(or_(Resident.id_number.like(f"%{digits}"), Resident.phone.like(f"%{digits}%")))
        elif query.isascii() and query.replace(" ", "").isalnum():
            # any reading of a multi-reading character: wcl and wzl both find 王长林; a prefix of any
            # search key is an index range of resident_search_keys (keys are lower-case ASCII)
            prefix = key_patterns(query.replace(" ", ""))[0][:-1]
            keys = select(ResidentSearchKey.resident_id).where(ResidentSearchKey.key >= prefix,
                                                               ResidentSearchKey.key < prefix + "\x7f")
            stmt = stmt.where(Resident.id.in_(keys))
        else:
            # the start of the name, read on its index (王 finds 王长林 among a township's residents)
            stmt = stmt.where(Resident.name >= query, Resident.name < query + "\U0010ffff")
        rows = list(s.scalars(stmt.order_by(Resident.pinyin_sort, Resident.birth_date).limit(limit * 3)))
        if not rows and not query.isascii():
            # nobody's name starts so: a given name alone (长林 finds 王长林), read the slow way
            rows = list(s.scalars(select(Resident).where(Resident.name.contains(query, autoescape=True))
                                  .order_by(Resident.pinyin_sort, Resident.birth_date).limit(limit * 3)))
        typed = query.replace(" ", "").lower()
        # the name itself, then the 拼音码 (the most likely reading), then other readings; shorter names first
        rows.sort(key=lambda r: (not r.name.startswith(query), not r.pinyin_abbr.startswith(typed), len(r.name),
                                 r.pinyin_sort, r.name, r.birth_date))
        return rows[:limit]

    @staticmethod
    def _row(s: OrmSession, resident_id: str) -> Resident:
        row = s.get(Resident, resident_id) if resident_id else None
        if row is None:
            raise NotFoundError("参保人：找不到该居民档案，请先搜索或新建居民", "参保人")
        return row

    @staticmethod
    def _require_owned(s: OrmSession, row: Resident, local_site_id: str | None) -> None:
        if row.owner_site_id != local_site_id:
            site = s.get(Site, row.owner_site_id)
            where = site.name if site else "其他机构"
            raise ForeignRecordError(
                f"居民“{row.name}”的档案属于{where}，本机不能修改；请联系{where}修改或提交变更申请", "参保人"
            )

    @staticmethod
    def _check(form: ResidentForm) -> tuple:
        card = parse_id_number(form.id_number, "身份证号")
        name = re.sub(r"\s+", "", form.name or "")
        if not name:
            raise ValidationError("姓名不能为空", "姓名")
        if len(name) > 32:
            raise ValidationError("姓名太长（最多 32 个字）", "姓名")
        phone = check_phone(form.phone, "手机号") if (form.phone or "").strip() else ""
        if form.relation_to_head not in RELATIONS:
            raise ValidationError(f"与户主关系只能是：{'、'.join(RELATIONS)}", "与户主关系")
        category = form.assistance_category or None
        if category is not None and category not in {c.value for c in AssistanceCategory}:
            labels = "、".join(f"{c.value}（{c.label}）" for c in AssistanceCategory)
            raise ValidationError(f"救助类别“{category}”不对，只能是：{labels}，或留空", "救助类别")
        address = (form.address or "").strip()
        if len(address) > 128:
            raise ValidationError("住址太长（最多 128 个字）", "住址")
        insurance_no = (form.insurance_no or "").strip()
        if len(insurance_no) > 32:
            raise ValidationError("医保号太长（最多 32 位）", "医保号")
        _check_enrollments(form.enrollments, card.birth_date)
        _check_chronic(form.chronic)
        clean = {
            "name": name, **_pinyin(name), "phone": phone, "address": address,
            "relation_to_head": form.relation_to_head, "assistance_category": category, "insurance_no": insurance_no,
        }
        return card, clean

    @staticmethod
    def _refuse_duplicate_id(s: OrmSession, number: str, self_id: str | None) -> None:
        other = s.scalar(select(Resident).where(Resident.id_number == number))
        if other is not None and other.id != self_id:
            site = s.get(Site, other.site_id)
            raise ValidationError(
                f"身份证号 {mask_id(number)} 已登记为居民“{other.name}”（{site.name if site else '其他机构'}），"
                "不能重复建档；请搜索该居民后使用原档案", "身份证号",
            )

    @staticmethod
    def _namesakes(s: OrmSession, row: Resident) -> tuple[str, ...]:
        others = s.scalars(
            select(Resident).where(Resident.name == row.name, Resident.birth_date == row.birth_date, Resident.id != row.id)
        ).all()
        return tuple(
            f"已有同名且出生日期相同的居民：{o.name}（{mask_id(o.id_number)}），请确认不是同一人重复建档" for o in others
        )

    @staticmethod
    def _household(s: OrmSession, row: Resident, household_id: str | None, site_id: str | None) -> None:
        if household_id:
            household = s.get(Household, household_id)
            if household is None:
                raise NotFoundError("家庭户：找不到所选家庭户，请重新选择户主", "家庭户")
            if row.relation_to_head == "本人" and household.head_resident_id not in (None, row.id):
                head = s.get(Resident, household.head_resident_id)
                raise ValidationError(
                    f"家庭户已有户主“{head.name if head else ''}”，与户主关系不能是“本人”", "与户主关系"
                )
            if row.relation_to_head == "本人" and household.head_resident_id is None:
                household.head_resident_id = row.id
            row.household_id = household.id
        elif row.household_id is None:
            if row.relation_to_head != "本人":
                raise ValidationError(
                    f"与户主关系为“{row.relation_to_head}”时请选择所属家庭户（按户主查找）", "家庭户"
                )
            household = Household(site_id=site_id, address=row.address, head_resident_id=row.id)
            s.add(household)
            s.flush()
            row.household_id = household.id

    @staticmethod
    def _upsert_children(s: OrmSession, resident_id: str, enrollments: Iterable[EnrollmentRecord],
                         chronic: Iterable[ChronicRecord]) -> None:
        for e in enrollments:
            row = s.scalar(select(Enrollment).where(Enrollment.resident_id == resident_id, Enrollment.year == e.year))
            if row is None:
                row = Enrollment(resident_id=resident_id, year=e.year)
                s.add(row)
            row.enrolled_on, row.central_period = e.enrolled_on, bool(e.central_period)
            row.repaid_years, row.newborn = int(e.repaid_years), bool(e.newborn)
        for c in chronic:
            row = s.scalar(select(ChronicQualification).where(
                ChronicQualification.resident_id == resident_id, ChronicQualification.disease_code == c.code.strip()))
            if row is None:
                row = ChronicQualification(resident_id=resident_id, disease_code=c.code.strip())
                s.add(row)
            row.disease_name, row.valid_from, row.valid_to = c.name.strip(), c.valid_from, c.valid_to


def _check_enrollments(records: Iterable[EnrollmentRecord], born: date) -> None:
    seen: set[int] = set()
    for e in records:
        if isinstance(e.year, bool) or not isinstance(e.year, int) or not 2000 <= e.year <= 2100:
            raise ValidationError(f"参保年度“{e.year}”不对，应为 2000–2100 的年份", "参保年度")
        if e.year in seen:
            raise ValidationError(f"参保年度 {e.year} 重复了，每年只登记一次", "参保年度")
        seen.add(e.year)
        if not isinstance(e.enrolled_on, date):
            raise ValidationError(f"{e.year}年度的参保（缴费）日期必须是日期", "参保日期")
        if e.enrolled_on < born:
            raise ValidationError(f"{e.year}年度的参保日期早于出生日期，请核对", "参保日期")
        if e.enrolled_on.year > e.year:
            raise ValidationError(f"{e.year}年度的参保日期 {e.enrolled_on} 晚于该年度，请核对", "参保日期")
        if isinstance(e.repaid_years, bool) or not isinstance(e.repaid_years, int) or not 0 <= e.repaid_years <= 20:
            raise ValidationError(f"{e.year}年度的补缴年数“{e.repaid_years}”应为 0–20 的整数", "补缴年数")


def _check_chronic(records: Iterable[ChronicRecord]) -> None:
    seen: set[str] = set()
    for c in records:
        code = (c.code or "").strip()
        if not code or len(code) > 16:
            raise ValidationError("慢特病病种编码不能为空（最多 16 位），如 I10", "慢特病编码")
        if code in seen:
            raise ValidationError(f"慢特病病种 {code} 重复了", "慢特病编码")
        seen.add(code)
        if not (c.name or "").strip():
            raise ValidationError(f"慢特病 {code} 的病种名称不能为空", "慢特病名称")
        if not isinstance(c.valid_from, date) or not isinstance(c.valid_to, date) or c.valid_from > c.valid_to:
            raise ValidationError(f"慢特病 {code} 的有效期不对：开始日期应不晚于结束日期", "慢特病有效期")
