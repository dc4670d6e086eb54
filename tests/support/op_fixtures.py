"""Fixtures of the 门诊收费, 居民 and 报表 UI tests: a seeded village clinic (built once, copied per
test), the main window of its doctor, keyboard helpers and a read-only look into the SQLite file."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from op_keys import settle
from op_seed import Clinic, seed_clinic


@pytest.fixture(scope="session")
def _clinic_template(_site_templates, tmp_path_factory) -> tuple[Path, Clinic]:  # noqa: ANN001
    from app.bootstrap import bootstrap

    root = tmp_path_factory.mktemp("outpatient-template")
    target = root / "clinic"
    shutil.copytree(_site_templates["village"], target)
    sv = bootstrap(target)
    try:
        clinic = seed_clinic(sv, root)
    finally:
        sv.close()
    return target, clinic


@pytest.fixture
def clinic(_clinic_template, tmp_path: Path) -> tuple[Path, Clinic]:
    """(data dir, Clinic) of a fresh copy of the seeded village clinic."""
    template, seeded = _clinic_template
    target = tmp_path / "clinic"
    shutil.copytree(template, target)
    return target, seeded


@pytest.fixture
def doctor_window(open_window, clinic):  # noqa: ANN001, ANN201
    """``doctor_window(area)`` → (main window, page) of the clinic's doctor with ``area`` open and focused."""
    data, _ = clinic

    def open_(area: str = "outpatient", username: str = "doctor"):  # noqa: ANN202
        window = open_window("village", username, data)
        window.activateWindow()
        window.go(area)
        settle()
        return window, window.pages[area]

    return open_


@pytest.fixture
def db(clinic) -> Iterator[Callable[[str, tuple], list[tuple]]]:  # noqa: ANN001
    """``db(sql, params)`` → rows, read from the clinic's SQLite file by a separate connection."""
    data, _ = clinic

    def query(sql: str, params: tuple = ()) -> list[tuple]:
        con = sqlite3.connect(f"file:{data / 'cunyi.db'}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    yield query
