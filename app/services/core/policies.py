"""待遇政策 files as rows (DESIGN §4, §5): import a file, and the policy in force at this site.

A policy file is township data (a standalone site keeps its own until it enrolls): importing one
checks its text (``parse_policy``) and stores it as an append-only ``policies`` row, once per content
version; the ``policy_id`` setting points at the row in force and ``policy_file`` keeps the path the
administrator picked (shown in 设置). Settling reads the policy from the row, parsed once per version,
and stores that version on the settlement. A site that never picked a file settles with the bundled
demo file, imported as a row the first time a settlement needs it.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import AppSetting, LocalSite, PolicyFile
from app.db.outbox import sync_columns
from app.domain.errors import PolicyError, RuleViolation, ValidationError
from app.domain.policy_file import Policy, parse_policy, policy_version
from app.paths import resource

#: the path the administrator picked (设置 → 待遇政策文件), shown as picked
POLICY_SETTING = "policy_file"
#: the ``policies`` row in force
POLICY_ID_SETTING = "policy_id"
DEFAULT_POLICY = resource("policies", "demo-2026.toml")
FIELD = "待遇政策文件"

_SETTING = select(AppSetting.value).where(AppSetting.key == bindparam("key"))
_BY_ID = select(PolicyFile.policy_version, PolicyFile.text, PolicyFile.file_name).where(PolicyFile.id == bindparam("id"))
_BY_VERSION = select(PolicyFile.id).where(
    PolicyFile.owner_site_id == bindparam("owner"), PolicyFile.policy_version == bindparam("version")
)
_ANY_BY_VERSION = select(PolicyFile.id).where(PolicyFile.policy_version == bindparam("version")).limit(1)
_INSERT = PolicyFile.__table__.insert()

#: parsed policies by version (a version's text never changes)
_PARSED: dict[str, Policy] = {}


def resolve_path(value: str) -> Path:
    """The file a ``policy_file`` value names: a path, or a name in resources/policies; empty: the demo."""
    value = value.strip()
    if not value:
        return DEFAULT_POLICY
    path = Path(value)
    if not path.is_absolute() and not path.exists() and resource("policies", value).exists():
        return resource("policies", value)
    return path


def read_file(value: str) -> tuple[str, Policy]:
    """Read and check the file ``value`` names; its text and the parsed policy.

    Raises:
        ValidationError: the file is missing or unreadable (field 待遇政策文件).
        PolicyError: the file does not follow DESIGN §5 (naming the section and key).
    """
    path = resolve_path(value)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"待遇政策文件“{path}”不存在，请重新选择 .toml 政策文件", FIELD) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"待遇政策文件“{path}”无法读取：{exc}（应为 UTF-8 编码的 TOML 文件）", FIELD) from None
    try:
        policy = parse_policy(text, source=path.name)
    except PolicyError as exc:
        raise PolicyError(f"待遇政策文件有误，未导入：{exc.message}", exc.field) from None
    _PARSED.setdefault(policy.version, policy)
    return text, policy


def store(session: OrmSession, text: str, policy: Policy, owner_site_id: str, stamp: datetime) -> str:
    """The id of ``owner_site_id``'s row of this policy version, inserted if it has none (append-only)."""
    conn = session.connection()
    found = conn.execute(_BY_VERSION, {"owner": owner_site_id, "version": policy.version}).scalar()
    if found is not None:
        return found
    row = {
        **sync_columns(owner_site_id, stamp), "region": policy.region, "year": policy.year,
        "policy_version": policy.version, "file_name": policy.source, "text": text,
        "valid_from": policy.valid_from, "valid_to": policy.valid_to,
    }
    conn.execute(_INSERT, row)
    return row["id"]


def put_setting(session: OrmSession, key: str, value: str) -> None:
    """Write one ``app_settings`` value (JSON) in the session's transaction."""
    row = session.get(AppSetting, key)
    if row is None:
        row = AppSetting(key=key, value="")
        session.add(row)
    row.value = json.dumps(value, ensure_ascii=False)


def _value(session: OrmSession, key: str) -> str:
    if session.new or session.dirty:
        session.flush()
    raw = session.connection().execute(_SETTING, {"key": key}).scalar()
    return str(json.loads(raw)).strip() if raw is not None else ""


def _parsed(version: str, text: str, file_name: str) -> Policy:
    policy = _PARSED.get(version)
    if policy is None:
        try:
            policy = parse_policy(text, source=file_name)
        except PolicyError as exc:
            raise PolicyError(f"待遇政策文件有误，请管理员更正后再结算：{exc.message}", exc.field) from None
        _PARSED[version] = policy
    return policy


@lru_cache(maxsize=1)
def _demo_text() -> str:
    return DEFAULT_POLICY.read_text(encoding="utf-8")


def site_policy(session: OrmSession) -> Policy:
    """The policy in force at this site: the ``policy_id`` row, else the bundled demo file.

    Raises:
        ValidationError: the row is missing, or a file was picked but never imported (field 待遇政策文件).
        PolicyError: the stored text does not parse (a row from an older or foreign program).
    """
    policy_id = _value(session, POLICY_ID_SETTING)
    if policy_id:
        row = session.connection().execute(_BY_ID, {"id": policy_id}).first()
        if row is None:
            raise ValidationError("找不到正在使用的待遇政策，请管理员在 设置 → 待遇政策文件 中重新选择", FIELD)
        return _parsed(row.policy_version, row.text, row.file_name)
    chosen = _value(session, POLICY_SETTING)
    if chosen:
        raise ValidationError(
            f"待遇政策文件“{chosen}”尚未导入，请管理员在 设置 → 待遇政策文件 中重新选择后保存", FIELD
        )
    text = _demo_text()
    return _parsed(policy_version(text), text, DEFAULT_POLICY.name)


def version_in_force(session: OrmSession, policy: Policy, site_id: str, stamp: datetime) -> str:
    """The version a settlement computed with ``policy`` records; the first one at a site that never
    picked a file imports the bundled demo file as a row and points the setting at it.

    Raises:
        RuleViolation: a village enrolled under a township has no policy from the township yet.
    """
    if _value(session, POLICY_ID_SETTING):
        return policy.version
    conn = session.connection()
    existing = conn.execute(_ANY_BY_VERSION, {"version": policy.version}).scalar()
    if existing is None:
        local = session.get(LocalSite, 1)
        if local is not None and local.enrolled_at is not None:
            raise RuleViolation("尚未收到乡镇卫生院的待遇政策，请先同步后再结算", FIELD)
        existing = store(session, _demo_text(), policy, site_id, stamp)
    put_setting(session, POLICY_ID_SETTING, existing)
    return policy.version
