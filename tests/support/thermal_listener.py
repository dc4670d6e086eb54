"""A network thermal printer on loopback (port 9100's stand-in): each connection's bytes are one job.

``closed_port()`` is a loopback port nothing listens on (a printer that is off or unplugged).
"""

from __future__ import annotations

import socket
import threading


def closed_port() -> int:
    """A loopback port that refuses connections (bound for a moment, then released without listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackPrinter:
    """Listens on 127.0.0.1; each connection's bytes, read to EOF, become one item of ``jobs``."""

    def __init__(self, timeout_s: float = 20.0) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.server.settimeout(timeout_s)
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:  # timed out or closed: the test is over
                return
            with conn:
                conn.settimeout(10.0)
                chunks = []
                try:
                    while chunk := conn.recv(65536):
                        chunks.append(chunk)
                except OSError:
                    pass
                if chunks:
                    self.jobs.append(b"".join(chunks))
            if not chunks and self._stop.is_set():  # the wake-up of ``close``, queued behind every job
                return

    def close(self) -> None:
        """Stop listening once every job sent so far has been read."""
        self._stop.set()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()  # wake the accept
        except OSError:
            pass
        self._thread.join(5)
        self.server.close()
