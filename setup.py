"""Which files the wheel carries (the project's metadata is in pyproject.toml).

The resources (fonts, policies, catalog, names, icons, style sheet) live in ``resources/`` of the
source tree and go into the wheel as ``app/resources`` (``app.paths`` finds either); the migrations
go in with their ``versions/*.py`` and ``env.py`` as files alembic loads by path. The screenshots stay
out.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

#: in resources/ but not for the program (the README's pictures)
NOT_SHIPPED = {"screenshots"}
RESOURCES = Path(__file__).resolve().parent / "resources"
#: every folder under resources/ (but NOT_SHIPPED) as a package of data files: a new one ships by itself
RESOURCE_PACKAGES = ["app.resources"] + sorted(
    "app.resources." + ".".join(path.relative_to(RESOURCES).parts)
    for path in RESOURCES.rglob("*")
    if path.is_dir() and path.relative_to(RESOURCES).parts[0] not in NOT_SHIPPED and path.name != "__pycache__"
)

setup(
    packages=[
        *find_namespace_packages(include=["app*", "ui*"], exclude=["*.__pycache__"]),
        *RESOURCE_PACKAGES,
        "app.db.migrations.versions",
    ],
    package_dir={"app.resources": "resources"},
    package_data={
        "app.db.migrations": ["*.ini", "*.mako"],
        **{package: ["*"] for package in RESOURCE_PACKAGES},
    },
)
