"""Which routes need which kind of caller (coarse, deny by default; the services check every object).

- public: the WeChat login/bind and the webhook ingestion ``/api/v1/referral/webhooks/{sender}`` (signed by the
  sender with Standard Webhooks; the referral service verifies the signature on the raw body);
- integration: ``/api/v1/<service>/integration/...`` — machine tokens (integration audience) only;
- admin: ``/api/v1/<service>/admin/...`` (dead letters, reconciliation: the service template's operator routes,
  which check no principal themselves) — platform operators; auditors may read (GET) — everyone else 403;
- user: everything else — people's tokens; an integration token is refused (403).

``audited_action`` names what the security audit records besides authentications and denials: operator routes,
exports (files and data dumps), and every state-changing request of an administrative role.
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
    ADMIN = "admin"
    USER = "user"


ADMIN_ROLES = frozenset({"platform_admin", "alliance_office", "health_commission", "unit_admin"})
_EXPORT_SUFFIXES = (".csv", ".xlsx", ".pdf", ".ndjson", ".svg")
_EXPORT_SEGMENTS = frozenset({"export", "archive"})
_EXPORT_FORMATS = frozenset({"csv", "xlsx", "pdf", "ndjson"})


class BadPath(AppError):
    status = 400
    slug = "bad-path"
    title = "路径无效"


def classify(service: str, path: str) -> Access:
    if service == "referral" and _WEBHOOK.fullmatch(path) and path not in _WEBHOOK_ADMIN:
        return Access.PUBLIC
    first = path.split("/", 1)[0]
    if first == "integration":
        return Access.INTEGRATION
    if first == "admin":
        return Access.ADMIN
    return Access.USER


def audited_action(access: Access, method: str, path: str, query_format: str | None, role: str | None) -> str | None:
    """``admin.route`` / ``data.export`` / ``admin.action`` when the request is one the audit trail must show."""
    if access is Access.ADMIN:
        return "admin.route"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if method == "GET" and (last in _EXPORT_SEGMENTS or last.endswith(_EXPORT_SUFFIXES)
                            or (query_format or "").lower() in _EXPORT_FORMATS):
        return "data.export"
    if method in ("POST", "PUT", "PATCH", "DELETE") and role in ADMIN_ROLES:
        return "admin.action"
    return None


def check_path(path: str) -> None:
    """Refuse dot segments: an upstream that resolves ``a/../integration/x`` would escape the classification.
    Control characters (``%0D``, ``%00`` …) are refused too: no upstream URL can carry them."""
    segments = path.split("/")
    if any(seg in (".", "..") for seg in segments) or any(not seg for seg in segments[:-1]) or "\\" in path \
            or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        raise BadPath("请求路径包含不允许的片段", field="path")
