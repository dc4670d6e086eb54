"""Sync fixtures: one real hub per database kind (SQLite, PostgreSQL) for the session, fresh sites per test.

PostgreSQL comes from ``CUNYI_TEST_PG_URL`` (``.ci/run`` starts a server and sets it); without it the
session tries to start a throw-away server with ``.ci/postgres``. Only outside CI, and only when no
server can be started, is the PostgreSQL case skipped, with a message that says so.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from hub_harness import ROOT, HubProcess, Site, pg_admin_url
from sqlalchemy import make_url

PG_MISSING = ("!!! PostgreSQL 不可用：同步服务的 PostgreSQL 测试被跳过。设置 CUNYI_TEST_PG_URL=postgresql+psycopg://… "
              "或安装 PostgreSQL（.ci/run 会自动安装并启动）后重跑 !!!")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """A PostgreSQL admin URL, or None when none is available outside CI."""
    url = pg_admin_url()
    if url:
        yield url
        return
    folder = tmp_path_factory.mktemp("pg") / "pg"
    result = subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), "start", str(folder)], capture_output=True,
                            text=True, timeout=180)
    if result.returncode != 0 or not result.stdout.strip():
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须能启动 PostgreSQL：{result.stderr}")
        yield None
        return
    try:
        yield result.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), "stop", str(folder)], capture_output=True, timeout=120)


def _new_database(admin_url: str) -> str:
    import psycopg

    url = make_url(admin_url)
    name = f"hub_{uuid.uuid4().hex[:12]}"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    """A running ``cunyi-hub serve`` on SQLite or on PostgreSQL."""
    db_url = None
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_server")
        if admin is None:
            pytest.skip(PG_MISSING)
        db_url = _new_database(admin)
    process = HubProcess(tmp_path_factory.mktemp(f"hub-{request.param}") / "home", db_url)
    yield process
    process.stop()


@dataclass
class Township:
    """A township and two villages, enrolled at the hub."""

    township: Site
    a: Site
    b: Site


@pytest.fixture
def sites(hub: HubProcess) -> Township:
    """A fresh township with villages 东村 (``a``) and 西村 (``b``)."""
    tag = uuid.uuid4().hex[:6]
    township = Site.enroll(hub, hub.add_site("township", f"乡镇{tag}")[1])
    a = Site.enroll(hub, hub.add_site("village", f"东村{tag}", township.site_id)[1])
    b = Site.enroll(hub, hub.add_site("village", f"西村{tag}", township.site_id)[1])
    return Township(township, a, b)


@pytest.fixture
def hub_home(tmp_path: Path) -> Path:
    return tmp_path / "hub"
