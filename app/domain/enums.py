"""Closed vocabularies, named as in GLOSSARY.md. Stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class SiteKind(StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"

    @property
    def label(self) -> str:
        return {"village": "定点村卫生室", "township": "乡镇卫生院"}[self.value]


class Role(StrEnum):
    VILLAGE_DOCTOR = "village_doctor"
    TOWNSHIP_PHARMACIST = "township_pharmacist"
    CASE_WORKER = "case_worker"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.VILLAGE_DOCTOR: "村医",
    Role.TOWNSHIP_PHARMACIST: "乡镇药管员",
    Role.CASE_WORKER: "医保专干",
    Role.ADMIN: "管理员",
}


class CoverageClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"

    @property
    def label(self) -> str:
        return {"A": "甲类", "B": "乙类", "C": "丙类(自费)"}[self.value]

    @property
    def short(self) -> str:
        return {"A": "甲", "B": "乙", "C": "丙"}[self.value]


class MovementKind(StrEnum):
    """Kinds of stock ledger rows; quantity sign says in (+) or out (−)."""

    RECEIPT = "receipt"  # 入库 (purchase receipt / opening stock)
    DISPENSE = "dispense"  # 发药
    ADJUSTMENT = "adjustment"  # 调整 (stocktake gain/loss or manual, with reason)
    WRITE_OFF = "write_off"  # 报损
    RETURN_TO_TOWNSHIP = "return"  # 退回乡镇
    TRANSFER_IN = "transfer_in"  # 调拨入库
    TRANSFER_OUT = "transfer_out"  # 调拨出库
    SUPPLIER_RETURN = "supplier_return"  # 采购退货 (the township returns to the distributor)
    REVERSAL = "reversal"  # 冲正

    @property
    def label(self) -> str:
        return MOVEMENT_LABELS[self]


MOVEMENT_LABELS = {
    MovementKind.RECEIPT: "入库",
    MovementKind.DISPENSE: "发药",
    MovementKind.ADJUSTMENT: "盘点调整",
    MovementKind.WRITE_OFF: "报损",
    MovementKind.RETURN_TO_TOWNSHIP: "退回乡镇",
    MovementKind.TRANSFER_IN: "调拨入库",
    MovementKind.TRANSFER_OUT: "调拨出库",
    MovementKind.SUPPLIER_RETURN: "采购退货",
    MovementKind.REVERSAL: "冲正",
}


class TraceEventKind(StrEnum):
    """What happened to a trace code at a store (one ``trace_code_events`` row)."""

    RECEIVED = "received"  # 入库 with the code scanned
    UNRECEIVED = "unreceived"  # the receipt was reversed (冲正): the box was never here
    SOLD = "sold"  # 销售 (a visit or a manual issue)
    UNSOLD = "unsold"  # the sale was reversed: the box is back on the shelf
    SHIPPED = "shipped"  # 调拨出库 to another store
    RETURNED = "returned"  # 退回乡镇
    SUPPLIER_RETURNED = "supplier_return"  # 采购退货: back to the distributor

    @property
    def label(self) -> str:
        return TRACE_EVENT_LABELS[self]


TRACE_EVENT_LABELS = {
    TraceEventKind.RECEIVED: "入库",
    TraceEventKind.UNRECEIVED: "入库冲正",
    TraceEventKind.SOLD: "售出",
    TraceEventKind.UNSOLD: "销售冲正",
    TraceEventKind.SHIPPED: "调出",
    TraceEventKind.RETURNED: "退回乡镇",
    TraceEventKind.SUPPLIER_RETURNED: "退回配送企业",
}


class AssistanceCategory(StrEnum):
    TEKUN = "tekun"
    DIBAO = "dibao"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        return {"tekun": "特困人员", "dibao": "低保对象", "monitor": "防返贫监测对象"}[self.value]


class StocktakeStatus(StrEnum):
    COUNTING = "counting"
    FINALISED = "finalised"
    CANCELLED = "cancelled"


class CaseType(StrEnum):
    """帮办代办事项的类型 (GLOSSARY: assisted filing); the checklist and due time of each are in
    ``resources/cases/case_types.toml`` (``app.domain.cases``)."""

    ENROLLMENT = "enrollment"
    SUBSIDIZED_ENROLLMENT = "subsidized_enrollment"
    REMOTE_CARE_FILING = "remote_care_filing"
    CHRONIC_DISEASE = "chronic_disease"
    SPECIAL_DRUG = "special_drug"
    MEDICAL_ASSISTANCE = "medical_assistance"
    MANUAL_REIMBURSEMENT = "manual_reimbursement"
    MATERNITY = "maternity"
    FAMILY_ACCOUNT = "family_account"

    @property
    def label(self) -> str:
        return CASE_TYPE_LABELS[self]


CASE_TYPE_LABELS = {
    CaseType.ENROLLMENT: "参保登记",
    CaseType.SUBSIDIZED_ENROLLMENT: "困难群众资助参保",
    CaseType.REMOTE_CARE_FILING: "异地就医备案",
    CaseType.CHRONIC_DISEASE: "门诊慢特病申报",
    CaseType.SPECIAL_DRUG: "门诊特定药品待遇认定",
    CaseType.MEDICAL_ASSISTANCE: "医疗救助申请",
    CaseType.MANUAL_REIMBURSEMENT: "零星报销",
    CaseType.MATERNITY: "生育保险待遇",
    CaseType.FAMILY_ACCOUNT: "职工医保个人账户家庭共济",
}


class CaseStatus(StrEnum):
    """Where a case stands: the status of its latest ``CaseEvent`` (办理记录)."""

    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return CASE_STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        return self in (CaseStatus.APPROVED, CaseStatus.REJECTED)


CASE_STATUS_LABELS = {
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.SUBMITTED: "已报送",
    CaseStatus.RETURNED: "退回补件",
    CaseStatus.APPROVED: "已办结",
    CaseStatus.REJECTED: "不予办理",
}
