"""policy files as rows

A settlement was computed with whatever file the ``policy_file`` setting named at that moment, and
nothing recorded which. Policy files are township data that will sync to every village, so each
imported file becomes a ``policies`` row (its text, content-hash ``policy_version``, region, year and
effective dates; append-only: a changed file is a new row), the ``policy_id`` setting points at the
row in force, and every settlement stores the ``policy_version`` it was computed with.

At upgrade, for the local site: the bundled demo file becomes a row; the file the ``policy_file``
setting names, if it can still be read and is valid, becomes a row too and the one in force. The
existing settlements get the version of the file in force (the demo's when none was set or it can no
longer be read: the site is then asked to pick its file again before settling).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:25:00.000000
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers
from app.domain import clock
from app.domain.errors import PolicyError
from app.domain.ids import new_id
from app.domain.policy_file import parse_policy
from app.paths import resource

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_POLICIES = sa.table(
    'policies',
    *(sa.column(c) for c in ('id', 'owner_site_id', 'created_at', 'updated_at', 'version', 'region', 'year',
                             'policy_version', 'file_name', 'text', 'valid_from', 'valid_to')),
)


def _setting(conn: sa.Connection, key: str) -> str:
    raw = conn.execute(sa.text("SELECT value FROM app_settings WHERE key = :key"), {"key": key}).scalar()
    return str(json.loads(raw)).strip() if raw is not None else ""


def _set(conn: sa.Connection, key: str, value: str) -> None:
    conn.execute(sa.text("DELETE FROM app_settings WHERE key = :key"), {"key": key})
    conn.execute(sa.text("INSERT INTO app_settings (key, value) VALUES (:key, :value)"),
                 {"key": key, "value": json.dumps(value, ensure_ascii=False)})


def _read(value: str) -> tuple[str, str] | None:
    """The text and file name of the ``policy_file`` setting's file, None when it cannot be read."""
    path = Path(value)
    if not path.is_absolute() and not path.exists() and resource("policies", value).exists():
        path = resource("policies", value)
    try:
        return path.read_text(encoding="utf-8"), path.name
    except (OSError, UnicodeDecodeError):
        return None


def _insert(conn: sa.Connection, owner: str, text: str, file_name: str) -> tuple[str, str]:
    """Insert the file as a row owned by ``owner`` (once per version); its row id and policy version."""
    policy = parse_policy(text, source=file_name)
    found = conn.execute(sa.text("SELECT id FROM policies WHERE owner_site_id = :owner AND policy_version = :version"),
                         {"owner": owner, "version": policy.version}).scalar()
    if found is not None:
        return found, policy.version
    stamp = clock.now().replace(microsecond=0)
    row_id = new_id()
    conn.execute(_POLICIES.insert(), {
        "id": row_id, "owner_site_id": owner, "created_at": stamp, "updated_at": stamp, "version": 1,
        "region": policy.region, "year": policy.year, "policy_version": policy.version, "file_name": file_name,
        "text": text, "valid_from": policy.valid_from, "valid_to": policy.valid_to,
    })
    return row_id, policy.version


def upgrade() -> None:
    op.create_table('policies',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies')),
    sa.UniqueConstraint('owner_site_id', 'policy_version', name='uq_policies_owner_policy_version')
    )
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policies_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policies_policy_version'), ['policy_version'], unique=False)
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_version', sa.String(length=64), server_default='', nullable=False))

    conn = op.get_bind()
    owner = conn.execute(sa.text("SELECT site_id FROM local_site WHERE id = 1")).scalar()
    if owner is None:
        return
    drop_generated_triggers(conn)  # settlements are append-only; the backfill is neither refused nor queued
    demo = resource("policies", "demo-2026.toml")
    in_force, version = _insert(conn, owner, demo.read_text(encoding="utf-8"), demo.name)
    chosen = _setting(conn, 'policy_file')
    read = _read(chosen) if chosen else None
    imported = not chosen
    if read is not None:
        try:
            in_force, version = _insert(conn, owner, *read)
            imported = True
        except PolicyError:
            pass  # settling asks for the file again
    if imported:
        _set(conn, 'policy_id', in_force)
    conn.execute(sa.text("UPDATE settlements SET policy_version = :v"), {"v": version})


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM app_settings WHERE key = 'policy_id'"))
    drop_generated_triggers(conn)
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('policy_version')
    op.drop_table('policies')
