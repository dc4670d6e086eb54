"""Which files the wheel carries (the project's metadata is in pyproject.toml).

The resources (fonts, policies, catalog, names, icons, style sheet) live in ``resources/`` of the
source tree and go into the wheel as ``app/resources`` (``app.paths`` finds either); the migrations
go in with their ``versions/*.py`` and ``env.py`` as files alembic loads by path. The screenshots stay
out.
"""

from setuptools import find_namespace_packages, setup

RESOURCE_FOLDERS = ["fonts", "policies", "catalog", "names", "icons"]

setup(
    packages=[
        *find_namespace_packages(include=["app*", "ui*"], exclude=["*.__pycache__"]),
        "app.resources",
        *(f"app.resources.{folder}" for folder in RESOURCE_FOLDERS),
        "app.db.migrations.versions",
    ],
    package_dir={"app.resources": "resources"},
    package_data={
        "app.db.migrations": ["*.ini", "*.mako"],
        "app.resources": ["style.qss"],
        **{f"app.resources.{folder}": ["*"] for folder in RESOURCE_FOLDERS},
    },
)
