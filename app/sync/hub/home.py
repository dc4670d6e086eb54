"""The hub's home folder: its settings, database (SQLite), TLS key and certificate, QR images.

``hub.json`` holds ``db_url``, ``public_url`` (fixed at init, or None) and ``served_url`` (where
``serve`` last listened). The enrollment code names ``public_url`` when it is set, else ``served_url``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.errors import RuleViolation


@dataclass(frozen=True)
class HubHome:
    """Paths inside one hub home folder."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "hub.json"

    @property
    def sqlite_path(self) -> Path:
        return self.root / "hub.db"

    @property
    def cert_path(self) -> Path:
        return self.root / "tls" / "hub-cert.pem"

    @property
    def key_path(self) -> Path:
        return self.root / "tls" / "hub-key.pem"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def read(self) -> dict[str, Any]:
        """The settings; refuses a folder that ``cunyi-hub init`` did not make."""
        if not self.exists():
            raise RuleViolation(f"{self.root} 不是乡镇同步服务的目录（缺少 hub.json），请先运行 cunyi-hub init --home {self.root}",
                                field="home")
        return json.loads(self.config_path.read_text(encoding="utf-8"))

    def write(self, config: dict[str, Any]) -> None:
        """Replace the settings atomically (a crash leaves the old or the new file, never half)."""
        tmp = self.config_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.config_path)

    def hub_url(self) -> str:
        """The address enrollment codes name.

        Raises:
            RuleViolation: neither ``init --public-url`` nor a ``serve`` has fixed one yet.
        """
        config = self.read()
        url = config.get("public_url") or config.get("served_url")
        if not url:
            raise RuleViolation("还不知道乡镇同步服务的地址：请先运行 cunyi-hub serve，"
                                "或在 cunyi-hub init 时用 --public-url 指定各站点访问的地址", field="public-url")
        return url
