"""Reading docker-compose.yml the way Compose does: YAML with anchors and merge keys, ``${VAR:-default}``."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from libs.kit.migrations import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SECRETS_DIR = "/run/secrets/"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def compose_spec_schema() -> dict[str, Any]:
    """The Compose Specification JSON schema as shipped in the check-jsonschema wheel (requirements/dev.txt)."""
    import json

    ref = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    return json.loads(ref.read_text(encoding="utf-8"))


def interpolate(value: str, variables: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if variables.get(name):
            return variables[name]
        if op == ":-":
            return arg
        raise KeyError(f"${{{name}}} is required: {arg}")

    return _VARIABLE.sub(one, value)


def app_services(compose: dict[str, Any]) -> dict[str, str]:
    """Compose service name → the platform module it runs (``services.points``, ``libs.kit.migrate``)."""
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if "--factory" in command:
            found[name] = command[command.index("--factory") + 1].split(".app:")[0]
        elif command[:2] == ["python", "-m"]:
            found[name] = command[2]
    return found


def secret_names(service: dict[str, Any]) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets") or []}


def variables_of(compose: dict[str, Any], service: str) -> dict[str, str]:
    env = compose["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: environment must be a mapping"
    return {k: str(v) for k, v in env.items()}
