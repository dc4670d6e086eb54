"""Site settings: one typed registry over the ``app_settings`` table. Changes are audited.

待遇政策文件 is not a plain value: picking a file imports it (``import_policy``) as a ``policies`` row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.db.models import AppSetting
from app.db.uow import Database, now
from app.domain.digits import parse_int
from app.domain.errors import ValidationError
from app.printing.thermal_connection import THERMAL_SETTING, parse_connection
from app.services.core import policies
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    type: type
    default: Any
    minimum: int | None = None
    maximum: int | None = None


SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec("idle_lock_minutes", "无操作自动锁屏（分钟，0=不锁屏）", int, 10, 0, 240),
        SettingSpec("printer_name", "收据打印机", str, ""),
        SettingSpec("receipt_paper", "收据纸张（A5 或 80mm）", str, "A5"),
        SettingSpec(THERMAL_SETTING, "热敏小票打印机", str, ""),
        SettingSpec("backup_folder", "第二备份位置（如U盘）", str, ""),
        SettingSpec("near_expiry_days", "近效期预警天数", int, 180, 1, 730),
        SettingSpec("urgent_expiry_days", "近效期紧急天数", int, 90, 1, 365),
        SettingSpec("low_stock_days", "库存不足预警（按日均用量可用天数）", int, 15, 1, 365),
        SettingSpec("policy_file", "待遇政策文件", str, ""),
        SettingSpec("sync_interval_minutes", "自动同步间隔（分钟，0=只在点立即同步时同步）", int, 5, 0, 1440),
    )
}


class SettingsService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    @requires("settings.read")
    def get(self, key: str) -> Any:
        spec = SPECS[key]
        with self.db.read() as s:
            row = s.get(AppSetting, key)
            return spec.default if row is None else json.loads(row.value)

    @requires("settings.read")
    def all(self) -> dict[str, Any]:
        return {key: self.get(key) for key in SPECS}

    @requires("settings.set")
    def set(self, key: str, value: Any) -> None:
        spec = SPECS.get(key)
        if spec is None:
            raise ValidationError(f"没有名为“{key}”的设置项", key)
        value = self._coerce(spec, value)
        if key == policies.POLICY_SETTING:
            self.import_policy(value)
            return
        with self.db.unit_of_work() as uow:
            row = uow.session.get(AppSetting, key)
            old = spec.default if row is None else json.loads(row.value)
            if row is None:
                row = AppSetting(key=key, value="")
                uow.session.add(row)
            row.value = json.dumps(value, ensure_ascii=False)
            write_audit(uow.session, self.session.actor, uow.local_site_id, "settings.change", "app_settings", None, key=key, old=old, new=value)

    @requires("settings.import_policy")
    def import_policy(self, path: str) -> str:
        """Check the policy file ``path`` names and make it the one in force; return its version.

        The text is stored as a ``policies`` row (once per version: picking the same file again adds
        nothing), the 待遇政策文件 setting keeps ``path`` and points at the row. An empty path means the
        bundled demo file. Settlements already made keep the version they were computed with.

        Raises:
            ValidationError: the file is missing or unreadable (待遇政策文件); nothing is written.
            PolicyError: the file does not follow DESIGN §5, naming the section and key; nothing is written.
        """
        path = str(path or "").strip()
        text, policy = policies.read_file(path)
        with self.db.unit_of_work() as uow:
            s = uow.session
            old_row = s.get(AppSetting, policies.POLICY_SETTING)
            old = "" if old_row is None else json.loads(old_row.value)
            row_id = policies.store(s, text, policy, uow.local_site_id, now())
            policies.put_setting(s, policies.POLICY_SETTING, path)
            policies.put_setting(s, policies.POLICY_ID_SETTING, row_id)
            write_audit(s, self.session.actor, uow.local_site_id, "settings.change", "app_settings", None,
                        key=policies.POLICY_SETTING, old=old, new=path,
                        policy_version=policy.version, region=policy.region, year=policy.year)
        return policy.version

    @staticmethod
    def _coerce(spec: SettingSpec, value: Any) -> Any:
        if spec.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                value = parse_int(value, spec.label)
            if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
                raise ValidationError(f"“{spec.label}”应在 {spec.minimum}–{spec.maximum} 之间", spec.label)
            return value
        if spec.key == THERMAL_SETTING:  # one text for how the printer is reached, checked field by field
            connection = parse_connection(str(value or ""))
            return connection.text if connection else ""
        return str(value).strip()
