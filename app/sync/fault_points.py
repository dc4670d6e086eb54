"""Named points where a test may kill this process with SIGKILL, to prove a crash there loses nothing.

Set ``CUNYI_FAULT_POINT`` to one name before starting ``cunyi sync`` or ``cunyi-hub serve``; when the
process reaches that point it kills itself at once, as a power cut would (no cleanup, no rollback hooks).
Unset, :func:`fault_point` does nothing. The points:

- ``pull_before_cursor``: a pulled page is applied, its cursor not yet saved, the transaction still open;
- ``after_pull_commit``: the transaction saving a pulled page and its cursor has committed;
- ``after_push_commit``: the hub's acknowledgment of a pushed page has been saved (``pushed_seq``);
- ``after_blob_chunk``: a chunk of an attachment's file has been uploaded (the hub holds it);
- ``hub_after_apply``: the hub has committed a pushed page and not yet answered.
"""

from __future__ import annotations

import os
import signal

ENV = "CUNYI_FAULT_POINT"


def fault_point(name: str) -> None:
    """Kill this process now if ``CUNYI_FAULT_POINT`` names ``name``."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
