"""One merged OpenAPI 3.1 document from every service's own, under ``/api/v1/<service>``.

Component schemas are prefixed with the service name (``points.Problem``) so equal names never clash,
and every operation is tagged with its service.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from services.gateway.auth.policy import Access, classify

SKIP_PATHS = {"/health", "/ready", "/metrics"}
BEARER = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                     "description": "平台签发的 JWT（微信登录）或身份提供方签发的 JWT（RS256 / EdDSA）"}}


def _prefix_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                out[key] = "#/components/schemas/" + service + "." + value.rsplit("/", 1)[1]
            else:
                out[key] = _prefix_refs(value, service)
        return out
    if isinstance(node, list):
        return [_prefix_refs(v, service) for v in node]
    return node


def merge(base: dict[str, Any], service: str, spec: dict[str, Any]) -> None:
    spec = _prefix_refs(spec, service)
    for path, operations in spec.get("paths", {}).items():
        if path in SKIP_PATHS:
            continue
        for operation in operations.values():
            if isinstance(operation, dict):
                operation["tags"] = [service] + [t for t in operation.get("tags", []) if t != service]
                if "operationId" in operation:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
                if _public(service, path):
                    operation["security"] = []  # signed webhooks: no bearer token
        base["paths"][f"/api/v1/{service}{path}"] = operations
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        base["components"]["schemas"][f"{service}.{name}"] = schema
    base["tags"].append({"name": service, "description": spec.get("info", {}).get("description", service)})


async def merged_openapi(gateway_spec: dict[str, Any], clients: dict[str, httpx.AsyncClient]) -> dict[str, Any]:
    merged = json.loads(json.dumps(gateway_spec))
    merged.setdefault("components", {}).setdefault("schemas", {})
    merged.setdefault("tags", [])
    unavailable = []
    for service, client in clients.items():
        try:
            response = await client.get("/openapi.json", timeout=5.0)
            response.raise_for_status()
            merge(merged, service, response.json())
        except httpx.HTTPError:
            unavailable.append(service)
    if unavailable:
        merged["info"]["x-unavailable-services"] = unavailable
    merged["components"]["securitySchemes"] = BEARER
    merged["security"] = [{"bearer": []}]
    return merged


def _public(service: str, path: str) -> bool:
    return classify(service, re.sub(r"\{[^/{}]+\}", "x", path).lstrip("/")) is Access.PUBLIC
