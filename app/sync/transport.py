"""The site's HTTPS line to its township hub: pinned to the hub's certificate, gzip both ways, retried.

The hub's certificate is self-signed; the site trusts exactly the certificate whose SHA-256 fingerprint
came in its enrollment code. Before the first request of a :class:`HubClient` it reads the certificate
the hub presents, checks the fingerprint, and from then on accepts a TLS connection only with that
certificate (the host name is not checked: the pin is stronger than a name). No token is sent before.

Transient failures (connection refused or reset, time-outs, a 502/503/504 from a proxy) are retried with
a growing pause for at most ``retry_seconds`` in all; then :class:`HubUnreachable` says why in Chinese.
Retrying is safe: the hub applies an op once (``applied_ops``) and a pull is a read. A refusal (4xx) is
not retried: :class:`HubRefused` carries the hub's Chinese message.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import Callable
from typing import Self, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from app.domain.errors import CunyiError
from app.sync import protocol as p

M = TypeVar("M", bound=BaseModel)

#: how long a sync keeps trying to reach the hub before it gives up (DESIGN §9: ~30 s)
RETRY_SECONDS = 30.0
#: the pauses between tries grow from the first to the last, then stay
_FIRST_PAUSE, _LAST_PAUSE = 0.5, 5.0
_TRANSIENT_STATUS = (502, 503, 504)


class SyncError(CunyiError):
    """A sync that could not be done; the message says why and what to do, in Chinese.

    Nothing local is lost: the outbox keeps every unsent row and the cursor only moves with its rows.
    """


class HubUnreachable(SyncError):
    """The hub could not be reached within ``retry_seconds``."""


class HubRefused(SyncError):
    """The hub answered with a refusal (4xx): ``status`` and ``code`` of its :class:`ErrorBody`."""

    def __init__(self, message: str, status: int, code: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.status, self.code = status, code


class CertificateMismatch(SyncError):
    """The server at the hub's address does not show the certificate of the enrollment code."""


def fingerprint_of(der: bytes) -> str:
    """The SHA-256 fingerprint (64 lower-case hex digits) of a DER certificate."""
    return hashlib.sha256(der).hexdigest()


class HubClient:
    """Requests to one hub, pinned to its certificate fingerprint.

    Args:
        hub_url: ``https://host:port`` from the enrollment code.
        fingerprint: the pinned SHA-256 of the hub's certificate.
        token: the site's bearer token (None before enrollment).
        retry_seconds: the most time spent retrying transient failures of one request.
        wrap: wraps the real transport (tests inject faults through it).
        sleep: how to pause between tries (tests pass a fake clock).
        timeout: seconds for one request.
        transport: a transport that reaches the hub without the network (an in-process hub in tests);
            it replaces the pinned HTTPS transport, so NO certificate is checked: never for a real hub.
    """

    def __init__(self, hub_url: str, fingerprint: str, token: str | None = None, *,
                 retry_seconds: float = RETRY_SECONDS,
                 wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.hub_url, self.fingerprint, self.token = hub_url.rstrip("/"), fingerprint.lower(), token
        self._in_process = transport
        self.retry_seconds, self._wrap, self._sleep, self._timeout = retry_seconds, wrap, sleep, timeout
        self._client: httpx.Client | None = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the pinned connection -------------------------------------------------------------------
    def _pinned_context(self) -> ssl.SSLContext:
        parts = urlsplit(self.hub_url)
        host, port = parts.hostname or "", parts.port or 443
        pem = ssl.get_server_certificate((host, port), timeout=min(self._timeout, 10.0))
        if fingerprint_of(ssl.PEM_cert_to_DER_cert(pem)) != self.fingerprint:
            raise CertificateMismatch(
                f"{self.hub_url} 出示的证书与同步码中的证书指纹不符，为防止数据被冒充的服务器截取，本次没有发送任何数据。"
                "如乡镇同步服务重新安装过，请向乡镇管理员要新的同步码；否则请检查网络是否被他人接管", "证书指纹")
        context = ssl.create_default_context(cadata=pem)
        context.check_hostname = False  # the pinned certificate is the trust; the address may be any name
        return context

    def _http(self) -> httpx.Client:
        if self._client is None:
            transport: httpx.BaseTransport = (self._in_process if self._in_process is not None
                                              else httpx.HTTPTransport(verify=self._pinned_context()))
            if self._wrap is not None:
                transport = self._wrap(transport)
            self._client = httpx.Client(base_url=self.hub_url, transport=transport, timeout=self._timeout)
        return self._client

    # -- requests --------------------------------------------------------------------------------
    def post(self, path: str, body: BaseModel | bytes, answer: type[M]) -> M:
        """POST ``body`` (gzip JSON; bytes are JSON already, ``protocol.GzippedJson`` compressed already) to
        ``path`` and read the answer as ``answer``, retrying transient failures.

        Raises:
            HubUnreachable: no answer within ``retry_seconds``.
            HubRefused: the hub refused the request (its Chinese message).
            CertificateMismatch: the server is not the pinned hub.
        """
        content, headers = p.gzip_json(body)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + self.retry_seconds
        pause, last = _FIRST_PAUSE, ""
        while True:
            try:
                response = self._http().post(path, content=content, headers=headers)
                if response.status_code not in _TRANSIENT_STATUS:
                    return self._read(response, answer)
                last = f"乡镇同步服务暂时不可用（HTTP {response.status_code}）"
            except (httpx.TransportError, OSError) as error:
                last = _describe(error)
                self.close()  # a fresh connection (and certificate check) on the next try
            left = deadline - time.monotonic()
            if left <= 0:
                raise HubUnreachable(
                    f"连不上乡镇同步服务 {self.hub_url}（{last}），已重试 {self.retry_seconds:.0f} 秒。"
                    "本站数据都保留在待同步队列里，没有丢失；请检查网络和乡镇同步服务是否开着，稍后再点 立即同步",
                    "乡镇同步服务")
            self._sleep(min(pause, left))
            pause = min(pause * 2, _LAST_PAUSE)

    @staticmethod
    def _read(response: httpx.Response, answer: type[M]) -> M:
        if response.status_code == 200:
            try:
                return answer.model_validate_json(response.content)
            except ValidationError as error:
                raise SyncError(f"乡镇同步服务的回答格式不对（{error.errors()[0].get('msg', '')}），"
                                "请确认村医通与乡镇同步服务的版本一致", "乡镇同步服务") from None
        try:
            body = p.ErrorBody.model_validate_json(response.content)
        except ValidationError:
            raise HubRefused(f"乡镇同步服务拒绝了请求（HTTP {response.status_code}），请联系乡镇管理员",
                             response.status_code, "http") from None
        raise HubRefused(body.message, response.status_code, body.code, body.field)


def _describe(error: BaseException) -> str:
    """What went wrong with the connection, in Chinese."""
    if isinstance(error, (httpx.TimeoutException, TimeoutError)):
        return "等待回应超时"
    if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return "连接被拒绝，乡镇同步服务可能没有开"
    if isinstance(error, ssl.SSLError):
        return "加密连接没有建立，对方可能不是乡镇同步服务"
    return "网络连接中断"
