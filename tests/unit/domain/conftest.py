"""Fixtures for the pure policy-engine tests (helpers live in policy_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_fixtures import build_case, policy_sections, render_policy

from app.domain.policy import Case, Policy, parse_policy


@pytest.fixture
def make_policy() -> Callable[..., Policy]:
    def build(**changes: dict[str, object]) -> Policy:
        return parse_policy(render_policy(policy_sections(**changes)), source="test.toml")

    return build


@pytest.fixture
def policy(make_policy: Callable[..., Policy]) -> Policy:
    return make_policy()


@pytest.fixture
def case() -> Callable[..., Case]:
    return build_case
