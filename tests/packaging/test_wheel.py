"""``pip install .`` (not editable) carries everything: the wheel installed into a fresh virtual
environment runs ``cunyi --smoke-test`` from outside the source tree, on its own installed copy.

The fresh environment borrows the project environment's third-party packages (a ``.pth`` line to its
site-packages) and installs the wheel with ``--no-deps``, so the test needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("app", "ui", "resources", "setup.py", "pyproject.toml", "README.md")
BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=timeout, check=False)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel of a clean copy of the sources (no caches, no build folders of the working tree)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("cunyi-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    _run(base, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / BIN / f"python{EXE}"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip())
    (purelib / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def test_the_installed_wheel_runs_the_smoke_test_outside_the_source_tree(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("app/resources/fonts/wqy-microhei.ttc", "app/resources/style.qss",
                   "app/resources/policies/demo-2026.toml", "app/resources/catalog/drugs.csv",
                   "app/resources/catalog/diagnoses.csv", "app/resources/names/surnames.csv",
                   "app/resources/icons/chevron-down.svg", "app/db/migrations/env.py",
                   "app/db/migrations/script.py.mako", "app/db/migrations/versions/0001_foundation_sites_users_catalog_stock_.py"):
        assert needed in names, needed
    assert not any("screenshots" in name or name.startswith("tests/") for name in names)
    # every resource the program may read (all of resources/ but the README's screenshots) is in it
    for path in (REPO / "resources").rglob("*"):
        relative = path.relative_to(REPO / "resources")
        if path.is_file() and relative.parts[0] != "screenshots":
            assert f"app/resources/{relative.as_posix()}" in names, relative
    versions = {Path(p).name for p in (REPO / "app" / "db" / "migrations" / "versions").glob("*.py")}
    assert versions <= {Path(name).name for name in names if name.startswith("app/db/migrations/versions/")}

    venv = _fresh_venv(tmp_path)
    python = venv / BIN / f"python{EXE}"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--ignore-installed",
         "--disable-pip-version-check", "-q", wheel, cwd=tmp_path)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    where = _run(python, "-c", "import app, ui, app.paths, app.db.schema_head as s; "
                 "print(app.__file__); print(ui.__file__); print(app.paths.RESOURCES); print(s.MIGRATIONS)",
                 cwd=outside, env=env).split("\n")
    site = venv.resolve()
    for found in where[:4]:
        assert Path(found).resolve().is_relative_to(site), f"{found} is not the installed copy"
        assert not Path(found).resolve().is_relative_to(REPO)

    summary = _run(venv / BIN / f"cunyi{EXE}", "--smoke-test", cwd=outside, env=env, timeout=600)
    assert summary.strip().splitlines()[-1].startswith("冒烟测试通过"), summary
    assert "村医通乡镇同步服务" in _run(venv / BIN / f"cunyi-hub{EXE}", "--help", cwd=outside, env=env)
