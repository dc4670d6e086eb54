"""The hub's published OpenAPI schema, fuzzed in-process by schemathesis: no 5xx, no response off-schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from app.sync import protocol as p
from app.sync.hub.db import open_engine, transaction
from app.sync.hub.server import create_app
from app.sync.hub.service import Hub
from app.sync.hub.tables import create


@pytest.fixture(scope="module")
def hub_app(tmp_path_factory: pytest.TempPathFactory):
    engine = open_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('openapi')) / 'hub.db'}")
    with transaction(engine) as conn:
        create(conn)
    hub = Hub(engine)
    site_id, secret = hub.add_site("township", "乡镇")
    token = hub.enroll(p.EnrollRequest(secret=secret, db_instance_id="db-1")).token
    yield create_app(hub), site_id, token
    engine.dispose()


def test_openapi_is_published_by_the_running_hub(hub) -> None:
    with hub.client() as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {p.ENROLL_PATH, p.PUSH_PATH, p.PULL_PATH, p.PEERS_PATH} <= set(paths)
    assert "ErrorBody" in str(paths[p.PUSH_PATH]["post"]["responses"]["409"])


def test_no_server_error_and_no_schema_violation(hub_app) -> None:
    app, site_id, token = hub_app
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance]
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case) -> None:
            if isinstance(case.body, dict) and operation.path != p.ENROLL_PATH:
                # the bodies speak for the enrolled site, so the fuzz reaches push and pull themselves
                case.body = {**case.body, "site_id": site_id, "db_instance_id": "db-1"}
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        fuzz()
