"""Network faults between a site and its hub: an ``httpx.BaseTransport`` that wraps the real one.

``FaultTransport`` is given to the site's client through its ``wrap`` hook
(``SyncClient(db, wrap=FaultTransport({...}).wrap)``). For each request it decides a fault, from a
schedule (``{("push", 2): "drop_response"}``: the second push request loses its answer) or from a seeded
RNG (``rate`` and ``kinds``), so a run is repeatable:

- ``drop_request``: the request never leaves: a connect error, the hub saw nothing;
- ``drop_response``: the hub gets and applies the request, the answer is lost: a read time-out;
- ``duplicate``: the request reaches the hub twice; the client gets the first or the second answer;
- ``reorder``: the request is held and the client times out; the held request reaches the hub only
  after the next request of the same kind has been answered (an older page arrives after a newer one
  was acknowledged, or at :meth:`flush`); its late answer has nobody to read it and is kept in ``late``;
- ``delay``: a pause before the request is sent and before the answer is returned.

Every request is logged (``log``) with its decoded body, so tests can follow the cursors it carried.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

KINDS = ("drop_request", "drop_response", "duplicate", "reorder", "delay")


@dataclass
class Sent:
    """One request the client made, what the transport did with it, and the answer the hub gave."""

    path: str
    n: int
    fault: str | None
    body: dict[str, Any]
    status: int | None = None
    answer: dict[str, Any] | None = None
    delivered: bool = False


def _decode(content: bytes) -> dict[str, Any]:
    try:
        raw = gzip.decompress(content)
    except OSError:
        raw = content
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def _path(request: httpx.Request) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[-1]


def _detached(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """A fully read copy of ``response``, independent of its connection, its body already decoded."""
    response.read()
    response.close()
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")]
    return httpx.Response(response.status_code, headers=headers, content=response.content, request=request)


def _copy(request: httpx.Request) -> httpx.Request:
    return httpx.Request(request.method, request.url, headers=request.headers, content=request.read())


class FaultTransport(httpx.BaseTransport):
    """The real transport with scheduled or random faults.

    Args:
        schedule: ``{(path, n): kind}``: the ``n``-th request (from 1) to the path ending in ``path``
            (``push``, ``pull``) gets ``kind``.
        seed: the RNG seed for ``rate`` faults and for which of a duplicate's answers is returned.
        rate: the chance that a request not in the schedule gets a fault of ``kinds``.
        kinds: the faults ``rate`` picks from.
        paths: the paths ``rate`` applies to.
        delay: seconds of a ``delay`` fault, before sending and again before answering.
        inner: the real transport (else given by :meth:`wrap`).
    """

    def __init__(self, schedule: dict[tuple[str, int], str] | None = None, *, inner: httpx.BaseTransport | None = None,
                 seed: int = 0, rate: float = 0.0, kinds: Iterable[str] = KINDS,
                 paths: Iterable[str] = ("push", "pull"), delay: float = 0.05) -> None:
        self.inner: httpx.BaseTransport | None = inner
        self.schedule, self.rng = dict(schedule or {}), random.Random(seed)
        self.rate, self.kinds, self.paths, self.delay = rate, tuple(kinds), tuple(paths), delay
        unknown = {k for k in (*self.schedule.values(), *self.kinds) if k not in KINDS}
        assert not unknown, f"unknown faults {unknown}"
        self.counts: dict[str, int] = {}
        self.log: list[Sent] = []
        self.late: list[Sent] = []
        self._held: dict[str, tuple[httpx.Request, Sent]] = {}

    def wrap(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        """The client's ``wrap`` hook: fault the real transport ``inner``.

        The client makes a new transport after a failed try; the schedule's counts go on across them.
        """
        self.inner = inner
        return self

    def faults(self, kind: str | None = None) -> list[Sent]:
        """The requests that got a fault (of ``kind``)."""
        return [s for s in self.log if s.fault and (kind is None or s.fault == kind)]

    def _pick(self, path: str, n: int) -> str | None:
        kind = self.schedule.get((path, n))
        if kind is None and self.rate and path in self.paths and self.rng.random() < self.rate:
            kind = self.rng.choice(self.kinds)
        return kind

    def _send(self, request: httpx.Request, sent: Sent) -> httpx.Response:
        response = _detached(self.inner.handle_request(request), request)
        sent.status = response.status_code
        sent.answer = _decode(response.content) if response.content else None
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = _path(request)
        n = self.counts[path] = self.counts.get(path, 0) + 1
        kind = self._pick(path, n)
        sent = Sent(path, n, kind, _decode(request.read()))
        self.log.append(sent)
        if kind == "drop_request":
            raise httpx.ConnectError("fault: the request was dropped", request=request)
        if kind == "reorder" and path not in self._held:
            self._held[path] = (_copy(request), sent)
            raise httpx.ReadTimeout("fault: the request is held back", request=request)
        if kind == "delay":
            time.sleep(self.delay)
        if kind == "duplicate":
            copy = Sent(path, n, "duplicate", sent.body)
            first, second = self._send(_copy(request), copy), self._send(request, sent)
            response = second
            if self.rng.random() < 0.5:  # the client reads the first answer
                response, sent.status, sent.answer = first, copy.status, copy.answer
        else:
            response = self._send(request, sent)
        if kind == "drop_response":
            raise httpx.ReadTimeout("fault: the answer was lost", request=request)
        if kind == "delay":
            time.sleep(self.delay)
        held = self._held.get(path)
        if held is not None and held[1].body != sent.body:  # a newer request was answered: the old one arrives
            self._deliver_late(path)
        sent.delivered = True
        return response

    def _deliver_late(self, path: str) -> None:
        request, held = self._held.pop(path)
        late = Sent(path, held.n, "late", held.body)
        self._send(request, late)
        self.late.append(late)

    def flush(self) -> None:
        """Deliver the requests still held back (their answers go to ``late``)."""
        for path in list(self._held):
            self._deliver_late(path)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
