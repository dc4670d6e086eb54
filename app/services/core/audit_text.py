"""The audit log in words: each action and its details as a clinic reads them, in Chinese, with names
and yuan (居民 张三；收据号 20261202-0001；金额 ¥12.10), never ids or English keys.

Rows keep their structured details (ids, amounts in fen) for the record; ``describe`` turns them into
text, whether they were written today or by an older version. The names behind ids (a resident, a
batch's drug and batch number, a user) are looked up once per page of rows by ``lookup_refs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Batch, Drug, Resident, StockMovement, User
from app.domain.drug_fields import LABELS
from app.domain.enums import CaseStatus, CaseType, CoverageClass, Role, SiteKind
from app.domain.money import fen_to_yuan

#: action → 中文; every action the app writes
ACTION_LABELS = {
    "signin.ok": "登录成功",
    "signin.fail": "登录失败",
    "signin.locked": "锁定期间尝试登录",
    "signin.disabled": "停用账户尝试登录",
    "settings.change": "修改设置",
    "user.create": "新增用户",
    "user.unlock": "解锁账户",
    "user.reset_password": "重置密码",
    "user.password": "修改本人密码",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.role": "修改角色",
    "site.create": "建站",
    "site.join": "加入乡镇同步服务",
    "site.link_township": "登记所属乡镇",
    "drug.map": "本站药品对照乡镇目录",
    "settlement.create": "门诊结算",
    "settlement.reverse": "冲正退费",
    "stock.adjust": "库存调整",
    "stock.write_off": "报损",
    "stock.reverse": "库存冲正",
    "stock.return": "退回乡镇",
    "stocktake.finalise": "盘点定稿",
    "stocktake.cancel": "取消盘点",
    "demo.build": "生成演示数据",
    "catalog.create": "新增药品",
    "catalog.update": "修改药品信息或价格",
    "catalog.import": "导入药品目录",
    "case.open": "受理帮办代办事项",
    "case.step": "帮办代办办理记录",
    "case.collect": "登记帮办代办已收材料",
    "case.attach": "添加帮办代办附件",
    "transfers.distributor": "维护配送企业",
    "transfers.reference_price": "设置集采前参考价",
    "transfers.purchase": "采购入库",
    "transfers.purchase_return": "采购退货",
    "transfers.requisition": "报量",
    "transfers.requisition_cancel": "撤回报量单",
    "transfers.review": "审核报量",
    "transfers.draft": "开调拨出库单",
    "transfers.shipment_cancel": "作废调拨出库单",
    "transfers.ship": "调拨出库",
    "transfers.receive": "调拨入库",
    "transfers.return_receive": "验收退回的药品",
    "statement.close_month": "月结标记",
    "statement.set_subsidy": "录入基药补助",
    "statement.draft": "生成统一结算单",
    "statement.finalise": "统一结算单定稿",
    "statement.acknowledge": "确认统一结算单",
}

#: demo sizes (``cunyi demo --scale``) → 中文
SCALE_LABELS = {"small": "小型示例（1 个乡镇、3 个村）", "township-10y": "乡镇十年数据"}

#: user actions whose row names the account it changed (its target)
_ABOUT_A_USER = {"user.unlock", "user.reset_password", "user.disable", "user.enable", "user.role"}
_REASONS = {"unknown user": "用户不存在"}
#: details of a new drug (``catalog.create``) → 中文
_DRUG_FIELDS = {"coverage_class": "医保类别", "price_fen": "进价", "retail_price_fen": "零售价"}
#: details of the unified statement's actions → 中文
_STATEMENT_FIELDS = {"village": "村卫生室", "month": "月份", "months": "月份", "last_local_seq": "数据截至序号",
                     "statement_no": "结算单号", "amount_fen": "金额", "old_amount_fen": "原金额", "due_fen": "应扣",
                     "from_fund_fen": "从统筹基金扣", "from_subsidy_fen": "从基药补助扣", "carried_out_fen": "结转下月"}
#: details of the transfers area (采购、报量、调拨) → 中文
_TRANSFER_FIELDS = {"purchase_no": "单号", "distributor": "配送企业", "delivery_note_no": "随货单号",
                    "requisition_no": "报量单号", "shipment_no": "调拨单号", "village": "村卫生室", "return_no": "退回单号"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Ref:
    """What an id stands for: its words (张三, 阿莫西林胶囊 批号 A2401) and, for a batch, its base unit."""

    text: str
    unit: str = ""


def action_label(action: str) -> str:
    """The action in Chinese (an action of a newer version shows as 其他操作)."""
    return ACTION_LABELS.get(action, "其他操作")


def _yuan(fen: object) -> str:
    if not isinstance(fen, int):
        return str(fen)
    return f"-¥{fen_to_yuan(-fen)}" if fen < 0 else f"¥{fen_to_yuan(fen)}"


def _role(value: object) -> str:
    return Role(value).label if value in Role._value2member_map_ else str(value)


def _qty(value: object, unit: str, signed: bool = False) -> str:
    if not isinstance(value, int):
        return str(value)
    return (f"{value:+d}" if signed else str(value)) + unit


def describe(action: str, detail: Mapping[str, object], target_table: str | None = None,
             target_id: str | None = None, refs: Mapping[str, Ref] | None = None) -> str:
    """One line of an audit row's details in Chinese; ids become names (via ``refs``) or are left out."""
    refs = refs or {}
    d = dict(detail)
    target = refs.get(target_id or "")
    unit = target.unit if target else ""
    if action == "settings.change" and "key" in d:
        from app.services.core.settings import SPECS

        spec = SPECS.get(str(d["key"]))
        label = spec.label if spec else "设置项"
        return f"{label}：{_plain(d.get('old'))} → {_plain(d.get('new'))}"
    parts: list[str] = []
    if target is not None and (target_table in ("batches", "stock_movements") or action in _ABOUT_A_USER):
        parts.append(target.text)
    for key, value in d.items():
        text = _part(action, key, value, refs, unit, "resident" in d)
        if text:
            parts.append(text)
    return "；".join(parts)


def _plain(value: object) -> str:
    if value is None or value == "":
        return "（空）"
    if value is True or value is False:
        return "是" if value else "否"
    return str(value)


def _part(action: str, key: str, value: object, refs: Mapping[str, Ref], unit: str,  # noqa: PLR0911, C901
          detail_has_name: bool = False) -> str:
    """One detail as 标签：值, or "" for ids and keys a reader has no use for."""
    if key == "resident_id":  # rows of older versions hold the id only
        ref = refs.get(str(value))
        return f"居民：{ref.text}" if ref and not detail_has_name else ""
    if key in ("resident", "resident_name"):
        return f"居民：{value}"
    if key == "name":
        return "" if action.startswith("user.") else f"名称：{value}"
    if key == "username":
        return f"用户名：{value}" if action == "user.create" else ""
    if key == "role":
        return f"角色：{_role(value)}"
    if key in ("old", "new") and action == "user.role":
        return f"{'原角色' if key == 'old' else '新角色'}：{_role(value)}"
    if key == "kind":
        return f"类型：{SiteKind(value).label if value in SiteKind._value2member_map_ else value}"
    if key == "failures":
        return f"连续错误 {value} 次"
    if key == "reason":
        return f"原因：{_REASONS.get(str(value), value)}" if value else ""
    if key == "receipt_no":
        return f"{'原收据号' if action == 'settlement.reverse' else '收据号'}：{value}"
    if key == "reversal_receipt_no":
        return f"冲正单号：{value}"
    if key == "total_fen":
        return f"金额：{_yuan(value)}"
    if key == "fund_fen":
        return f"统筹支付：{_yuan(value)}"
    if key == "refund_fen":
        return f"退款：{_yuan(value)}"
    if key == "value_fen":
        return f"差异金额：{_yuan(value)}"
    if key == "movements":
        return f"冲回库存 {value} 笔"
    if key == "adjustments":
        return f"调整 {value} 个批次"
    if key == "delta":
        return f"数量变化：{_qty(value, unit, signed=True)}"
    if key == "quantity":
        return f"{'冲正数量' if action == 'stock.reverse' else '数量'}：{_qty(value, unit)}"
    if key == "villages":
        return f"村卫生室 {value} 个"
    if key == "scale":
        return f"规模：{SCALE_LABELS.get(str(value), '自定义')}"
    if key in ("drug", "drug_name"):
        return f"药品：{value}"
    if key in _DRUG_FIELDS:  # a new drug's class and prices
        return f"{_DRUG_FIELDS[key]}：{_drug_value(key, value)}"
    if key == "changes" and isinstance(value, Mapping):
        return "；".join(_change(str(field), old_new) for field, old_new in value.items())
    if key == "file":
        return f"文件：{value}"
    if key in ("created", "updated"):
        return f"{'新增' if key == 'created' else '更新'} {value} 种"
    if key == "batch_no":
        return f"批号：{value}"
    if key == "hub":
        return f"同步服务：{value}"
    if key == "township":
        return f"所属乡镇：{value}"
    if key == "national_code":
        return f"医保编码：{value}"
    if key == "case_no":
        return f"事项编号：{value}"
    if key == "case_type":
        return f"事项：{CaseType(value).label if value in CaseType._value2member_map_ else value}"
    if key == "due_on":
        return f"办结时限：{value}"
    if key == "status":
        return f"办理：{CaseStatus(value).label if value in CaseStatus._value2member_map_ else value}"
    if key == "note":
        return f"说明：{value}" if value else ""
    if key == "collected":
        return f"已收材料：{value or '（无）'}"
    if key == "missing":
        return f"缺少材料：{value}" if value else ""
    if key == "moved_units":
        return f"库存转入乡镇目录药品：{value}（最小单位）"
    if key in _TRANSFER_FIELDS:
        return f"{_TRANSFER_FIELDS[key]}：{value}"
    if key == "lines":
        return f"明细 {value} 行"
    if key in ("received_units", "lost_units"):
        return f"{'实收' if key == 'received_units' else '短少'} {value}（最小单位）"
    if key in _STATEMENT_FIELDS:  # 统一结算单: the village, the month, its number and amounts
        label = _STATEMENT_FIELDS[key]
        return f"{label}：{_yuan(value)}" if key.endswith("_fen") else f"{label}：{_plain(value)}"
    return ""  # an id (movement_id, reversal_id…) or a key of a newer version: not for reading


def _drug_value(field: str, value: object) -> str:
    if field in ("price_fen", "retail_price_fen"):
        return _yuan(value)
    if field == "coverage_class" and value in CoverageClass._value2member_map_:
        return CoverageClass(value).label
    if field == "class_b_self_bp" and isinstance(value, int):
        return f"{value / 100:g}%"
    return _plain(value)


def _change(field: str, old_new: object) -> str:
    """One changed catalog field: 零售价：¥12.50 → ¥13.00."""
    old, new = old_new if isinstance(old_new, (list, tuple)) and len(old_new) == 2 else ("", old_new)
    return f"{LABELS.get(field, '其他信息')}：{_drug_value(field, old)} → {_drug_value(field, new)}"


def ids_in(rows: Iterable[tuple[str | None, str | None, Mapping[str, object]]]) -> dict[str, set[str]]:
    """The ids a page of rows (target table, target id, detail) needs names for, by kind."""
    wanted: dict[str, set[str]] = {"residents": set(), "batches": set(), "stock_movements": set(), "users": set()}
    for table, target_id, detail in rows:
        if table in wanted and target_id:
            wanted[table].add(target_id)
        resident = detail.get("resident_id")
        if isinstance(resident, str) and _UUID.match(resident):
            wanted["residents"].add(resident)
    return wanted


def lookup_refs(session: OrmSession, rows: Iterable[tuple[str | None, str | None, Mapping[str, object]]]) -> dict[str, Ref]:
    """id → ``Ref`` for the residents, batches, stock movements and users that ``rows`` name."""
    wanted = ids_in(rows)
    refs: dict[str, Ref] = {}
    for chunk in _chunks(wanted["residents"]):
        for rid, name in session.execute(select(Resident.id, Resident.name).where(Resident.id.in_(chunk))):
            refs[rid] = Ref(name)
    for chunk in _chunks(wanted["users"]):
        for uid, name, username in session.execute(
                select(User.id, User.display_name, User.username).where(User.id.in_(chunk))):
            refs[uid] = Ref(f"{name}（{username}）")
    batch_ids = set(wanted["batches"])
    movement_batch: dict[str, str] = {}
    for chunk in _chunks(wanted["stock_movements"]):
        for mid, bid in session.execute(select(StockMovement.id, StockMovement.batch_id).where(StockMovement.id.in_(chunk))):
            movement_batch[mid] = bid
            batch_ids.add(bid)
    for chunk in _chunks(batch_ids):
        for bid, batch_no, name, unit in session.execute(
                select(Batch.id, Batch.batch_no, Drug.generic_name, Drug.base_unit)
                .join(Drug, Drug.id == Batch.drug_id).where(Batch.id.in_(chunk))):
            refs[bid] = Ref(f"{name} 批号 {batch_no}", unit)
    for mid, bid in movement_batch.items():
        if bid in refs:
            refs[mid] = refs[bid]
    return refs


def _chunks(ids: set[str], size: int = 500) -> Iterable[list[str]]:
    items = sorted(ids)
    for start in range(0, len(items), size):
        yield items[start:start + size]
