"""Which routes need which kind of caller (coarse, deny by default; the services check every object).

- public: the WeChat login/bind and the webhook ingestion ``/api/v1/referral/webhooks/{sender}`` (signed by the
  sender with Standard Webhooks; the referral service verifies the signature on the raw body);
- integration: ``/api/v1/<service>/integration/...`` — machine tokens (integration audience) only;
- user: everything else — people's tokens; an integration token is refused (403).
"""

from __future__ import annotations

import re
from enum import Enum

from libs.kit.errors import AppError

_WEBHOOK = re.compile(r"webhooks/[A-Za-z0-9_-]{1,64}")
# Operator views under /webhooks/ are not ingestion: they need a person's token.
_WEBHOOK_ADMIN = {"webhooks/quarantine", "webhooks/refusals"}


class Access(Enum):
    PUBLIC = "public"
    INTEGRATION = "integration"
    USER = "user"


class BadPath(AppError):
    status = 400
    slug = "bad-path"
    title = "路径无效"


def classify(service: str, path: str) -> Access:
    if service == "referral" and _WEBHOOK.fullmatch(path) and path not in _WEBHOOK_ADMIN:
        return Access.PUBLIC
    if path.split("/", 1)[0] == "integration":
        return Access.INTEGRATION
    return Access.USER


def check_path(path: str) -> None:
    """Refuse dot segments: an upstream that resolves ``a/../integration/x`` would escape the classification."""
    segments = path.split("/")
    if any(seg in (".", "..") for seg in segments) or any(not seg for seg in segments[:-1]) or "\\" in path:
        raise BadPath("请求路径包含不允许的片段", field="path")
