"""The hub as a FastAPI app (``create_app``) and its HTTPS server (``serve``).

The OpenAPI schema is published at ``/openapi.json``. Request bodies may be gzip-compressed
(``Content-Encoding: gzip``); responses are compressed for clients that accept gzip. Every refusal is an
:class:`~app.sync.protocol.ErrorBody` with a Chinese message, including FastAPI's own validation errors.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.sync import protocol as p

from .service import Hub, HubError

M = TypeVar("M", bound=BaseModel)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": p.ErrorBody, "description": what} for status, what in (
        (400, "请求内容无法解读或解压"), (401, "身份验证失败"), (403, "同步码无效或已用过"),
        (409, "本机数据库是复制或恢复来的"), (413, "一页记录太多"), (422, "请求内容格式不对"))
}

_TYPES = {
    "missing": "缺少这个字段", "int_parsing": "应为整数", "int_type": "应为整数", "string_type": "应为文字",
    "dict_type": "应为 JSON 对象", "list_type": "应为列表", "model_attributes_type": "应为 JSON 对象",
    "greater_than_equal": "数值太小", "less_than_equal": "数值太大", "string_too_short": "不能为空",
    "string_too_long": "太长", "bool_parsing": "应为 true 或 false", "literal_error": "取值不在允许范围内",
    "int_from_float": "应为整数",
}


_HTTP = {
    400: "请求内容无法解读：应为 UTF-8 编码的 JSON（压缩时请标明 Content-Encoding: gzip）",
    404: "乡镇同步服务没有这个地址，请检查同步码中的地址或升级村医通",
    405: "这个地址不支持这种请求方法",
}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(p.ErrorBody(code=code, message=message, field=field).model_dump(), status_code=status)


def _json(answer: dict[str, Any]) -> Response:
    """A 200 answer already shaped as its response model, encoded once (no model per item)."""
    return Response(json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    media_type="application/json")


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of an endpoint that reads ``model`` from its bytes itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def _add_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Publish ``model`` (and the models it holds) in the OpenAPI components, for a ``_json_body`` endpoint."""
    mine = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(mine.pop("$defs", {}))
    components[model.__name__] = mine


def _parse(model: type[M], body: bytes) -> M:
    """Validate a JSON body as ``model``, refused as FastAPI refuses a body it validates itself.

    Raises:
        StarletteHTTPException: 400 when the body is not UTF-8.
        RequestValidationError: 422 when it is not JSON or not a valid ``model``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise StarletteHTTPException(400) from None
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)],
                                     body=None) from None


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "", "loc": (), "msg": ""}
    loc = [str(x) for x in first.get("loc", ()) if x != "body"]
    field = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "json_invalid":
        return _error(422, p.MALFORMED, "请求内容不是有效的 JSON", "body")
    if kind == "too_long" and loc[:1] == ["ops"]:
        return _error(413, p.PAGE_TOO_BIG, f"一页记录太多（最多 {p.MAX_TX_OPS} 条），请分页发送", "ops")
    if kind == "value_error":
        return _error(422, p.MALFORMED, str(first.get("ctx", {}).get("error", first.get("msg", ""))), field)
    if not loc:
        return _error(422, p.MALFORMED, "请求内容应为 JSON 对象", "body")
    return _error(422, p.MALFORMED, f"请求内容格式不对：字段 {field} {_TYPES.get(kind, '的值不符合要求')}", field)


class GunzipRequests:
    """ASGI middleware: inflate ``Content-Encoding: gzip`` request bodies, bounded by ``MAX_BODY_BYTES``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        encoding = headers.get(b"content-encoding", b"").decode("latin-1").strip().lower()
        if not encoding or encoding == "identity":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > p.MAX_BODY_BYTES:
                await _error(413, p.PAGE_TOO_BIG, "请求内容太大，请分页发送", "body")(scope, receive, send)
                return
        if encoding != "gzip":
            await _error(400, p.MALFORMED, f"不支持的压缩方式 {encoding}，请用 gzip", "Content-Encoding")(scope, receive, send)
            return
        try:
            body = p.gunzip(body)
        except (OSError, EOFError):
            await _error(400, p.MALFORMED, "请求内容标明为 gzip 压缩，但无法解压", "body")(scope, receive, send)
            return
        except ValueError as error:
            await _error(413, p.PAGE_TOO_BIG, str(error), "body")(scope, receive, send)
            return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")]
        scope["headers"].append((b"content-length", str(len(body)).encode()))
        sent = False

        async def inflated() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, inflated, send)


def create_app(hub: Hub) -> FastAPI:
    """The hub's HTTP API over ``hub``."""
    app = FastAPI(title="村医通乡镇同步服务 (cunyi-hub)", version=str(p.PROTOCOL_VERSION),
                  description="村卫生室、乡镇卫生院与乡镇同步服务之间的同步协议（见 app/sync/protocol.py）")
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=p.GZIP_LEVEL)
    app.add_middleware(GunzipRequests)
    bearer = HTTPBearer(auto_error=False, description="加入时得到的同步凭据")

    def token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str | None:
        return credentials.credentials if credentials else None

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = _HTTP.get(exc.status_code, f"请求被拒绝（HTTP {exc.status_code}）")
        response = _error(exc.status_code, p.MALFORMED, message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            _add_schema(schema, p.PushRequest)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/v1/info", summary="协议版本")
    def info() -> dict[str, int]:
        return {"protocol_version": p.PROTOCOL_VERSION}

    @app.post(p.ENROLL_PATH, response_model=p.EnrollResponse, responses=_ERRORS, summary="用一次性同步码加入")
    def enroll(req: p.EnrollRequest) -> p.EnrollResponse:
        return hub.enroll(req)

    def push_body(body: bytes, bearer_token: str | None) -> Response:
        return _json(hub.push(bearer_token, _parse(p.PushRequest, body)))

    # the page is read from its bytes in one pass (pydantic's JSON parser; FastAPI would decode the JSON to
    # Python objects first and validate those); the body's schema is still the published PushRequest
    @app.post(p.PUSH_PATH, response_model=p.PushResponse, responses=_ERRORS, summary="上传一页待同步记录",
              openapi_extra=_json_body(p.PushRequest))
    async def push(request: Request, bearer_token: str | None = Depends(token)) -> Response:
        return await run_in_threadpool(push_body, await request.body(), bearer_token)

    @app.post(p.PULL_PATH, response_model=p.PullResponse, responses=_ERRORS, summary="取回一页本站可见的变化")
    def pull(req: p.PullRequest, bearer_token: str | None = Depends(token)) -> Response:
        # the stored payloads go out as they are: the page is the JSON of a PullResponse already
        return Response(hub.pull(bearer_token, req).json(), media_type="application/json")

    peer_errors = {**_ERRORS, 403: {"model": p.ErrorBody, "description": "只有乡镇卫生院可以查看所辖村卫生室"}}

    @app.post(p.PEERS_PATH, response_model=p.PeersResponse, responses=peer_errors, summary="所辖村卫生室的同步情况")
    def peers(req: p.PeersRequest, bearer_token: str | None = Depends(token)) -> p.PeersResponse:
        return hub.peers(bearer_token, req)

    blob_errors = {**_ERRORS, 404: {"model": p.ErrorBody, "description": "没有这个附件文件，或本站不能查看"},
                   409: {"model": p.ErrorBody, "description": "本机数据库是复制或恢复来的，或上传位置与已收到的不符"}}

    @app.post(p.BLOB_STATUS_PATH, response_model=p.BlobStatus, responses=blob_errors, summary="附件文件已收到多少")
    def blob_status(req: p.BlobStatusRequest, bearer_token: str | None = Depends(token)) -> p.BlobStatus:
        return hub.blob_status(bearer_token, req)

    @app.post(p.BLOB_PUT_PATH, response_model=p.BlobStatus, responses=blob_errors, summary="上传附件文件的一块")
    def blob_put(req: p.BlobChunk, bearer_token: str | None = Depends(token)) -> p.BlobStatus:
        return hub.blob_put(bearer_token, req)

    @app.post(p.BLOB_GET_PATH, response_model=p.BlobData, responses=blob_errors, summary="取回附件文件的一块")
    def blob_get(req: p.BlobGetRequest, bearer_token: str | None = Depends(token)) -> p.BlobData:
        return hub.blob_get(bearer_token, req)

    return app


def serve(hub: Hub, host: str, port: int, cert_path: str, key_path: str) -> None:
    """Run the hub over HTTPS until interrupted."""
    import uvicorn

    config = uvicorn.Config(create_app(hub), host=host, port=port, ssl_certfile=cert_path, ssl_keyfile=key_path,
                            log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run()

