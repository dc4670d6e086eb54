"""``cunyi-hub``: the township sync server's command line.

The hub itself arrives with the sync issue; until then the command says so and exits 2.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "cunyi-hub：乡镇同步服务尚未随本版本提供。各站点现在以单机方式运行，"
        "所有本机修改都已记入待同步队列，同步服务上线后会自动上传。",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
