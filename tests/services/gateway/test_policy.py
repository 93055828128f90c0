"""Route classification: which callers a path needs."""

from __future__ import annotations

import pytest

from services.gateway.auth.policy import Access, classify


@pytest.mark.parametrize(("service", "path", "expected"), [
    ("referral", "webhooks/hotline", Access.PUBLIC),
    ("referral", "webhooks/emergency", Access.PUBLIC),
    ("referral", "webhooks/quarantine", Access.USER),
    ("referral", "webhooks/refusals", Access.USER),
    ("points", "webhooks/hotline", Access.USER),
    ("points", "integration/status", Access.INTEGRATION),
    ("points", "members/d1/balance", Access.USER),
])
def test_classify(service: str, path: str, expected: Access) -> None:
    assert classify(service, path) is expected
