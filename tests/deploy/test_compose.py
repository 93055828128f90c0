"""docker-compose.yml: valid against the Compose Specification schema, and consistent with the code.

No Docker engine on the build machines: the file is parsed and checked, never run. What is checked here:
the schema; that every service, module, port, variable, secret and config it names exists (in the code, in the
file, or among the secrets ``make-secrets.sh`` writes); that with those secrets every service's *production*
settings load; the 3-node JetStream cluster with R3 streams and ``sync_interval: always``.
"""

from __future__ import annotations

import copy
import importlib
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from libs.kit.migrate import PUBLISHERS
from libs.kit.migrations import REPO_ROOT
from tests.deploy.compose import (
    COMPOSE_FILE,
    app_services,
    compose_spec_schema,
    interpolate,
    load_compose,
    secret_names,
    variables_of,
)
from tests.deploy.variables import (
    APPS,
    SECRETS_DIR,
    SERVICES,
    isolate_environment,
    load_production_settings,
    make_secrets,
    read_by_the_code,
)

APP_PORT = "8000"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_secrets(tmp_path_factory.mktemp("secrets"))


class TestSchema:
    def test_valid_against_the_compose_specification(self, compose) -> None:
        jsonschema.validate(compose, compose_spec_schema())

    def test_the_schema_really_checks(self, compose) -> None:
        broken = copy.deepcopy(compose)
        broken["services"]["gateway"]["ports"] = "8000:8000"  # must be a list
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, compose_spec_schema())

    def test_check_jsonschema_cli_agrees(self) -> None:
        done = subprocess.run([_venv_bin("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                               str(COMPOSE_FILE)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


class TestNamesExistInTheCode:
    def test_every_platform_service_runs_a_real_module(self, compose) -> None:
        apps = app_services(compose)
        assert apps == {**{s: f"services.{s}" for s in SERVICES}, "gateway": "services.gateway",
                        "migrate": "libs.kit.migrate"}
        for name, module in apps.items():
            if name == "migrate":
                assert callable(importlib.import_module(module).main)
            else:
                assert callable(importlib.import_module(f"{module}.app").create_app)

    def test_ports_agree(self, compose) -> None:
        for name in (*SERVICES, "gateway"):
            service = compose["services"][name]
            command = service["command"]
            assert command[command.index("--port") + 1] == APP_PORT
            assert f"http://127.0.0.1:{APP_PORT}/" in " ".join(service["healthcheck"]["test"])
            assert APP_PORT in [str(p) for p in service.get("expose", [])] or \
                any(str(p).endswith(f":{APP_PORT}") for p in service.get("ports", []))
        gateway = variables_of(compose, "gateway")
        for name in SERVICES:
            url = urlsplit(gateway[f"GATEWAY_{name.upper()}_URL"])
            assert (url.hostname, str(url.port)) == (name, APP_PORT)

    def test_every_variable_is_read_by_the_code(self, compose) -> None:
        for name in app_services(compose):
            readers = SERVICES if name == "migrate" else (name,)  # the job reads every service's variables
            for variable in variables_of(compose, name):
                assert read_by_the_code(variable, readers), f"{name}: {variable} is read by nothing"

    def test_secrets_are_declared_mounted_and_generated(self, compose, secrets_dir: Path) -> None:
        declared = set(compose["secrets"])
        assert declared == {p.name for p in secrets_dir.iterdir()}  # make-secrets.sh writes each one
        for name, service in compose["services"].items():
            mounted = secret_names(service)
            assert mounted <= declared, name
            for variable, value in (service.get("environment") or {}).items():
                if str(value).startswith(SECRETS_DIR):
                    assert str(value)[len(SECRETS_DIR):] in mounted, f"{name}: {variable} needs its secret mounted"
        for spec in compose["secrets"].values():
            assert spec["file"].startswith("./deploy/compose/secrets/")

    def test_configs_and_dependencies_exist(self, compose) -> None:
        for spec in compose["configs"].values():
            assert (REPO_ROOT / spec["file"]).is_file(), spec["file"]
        for name, service in compose["services"].items():
            for dependency in service.get("depends_on") or {}:
                assert dependency in compose["services"], f"{name} depends on unknown {dependency}"
            for config in service.get("configs") or []:
                assert config["source"] in compose["configs"]

    def test_services_start_after_the_migrations_with_two_replicas(self, compose) -> None:
        for name in SERVICES:
            service = compose["services"][name]
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            assert service["deploy"]["replicas"] == 2
        assert compose["services"]["migrate"]["restart"] == "no"


class TestJetStreamCluster:
    def test_three_nodes_routed_to_each_other(self, compose) -> None:
        nodes = [n for n in compose["services"] if n.startswith("nats-")]
        assert nodes == ["nats-1", "nats-2", "nats-3"]
        config = (REPO_ROOT / "deploy/compose/nats.conf").read_text()
        for node in nodes:
            assert f"nats-route://{node}:6222" in config
            assert compose["services"][node]["environment"]["NATS_SERVER_NAME"] == node
        assert "listen: 0.0.0.0:6222" in config and "listen: 0.0.0.0:4222" in config
        servers = [urlsplit(u) for u in variables_of(compose, "migrate")["NATS_URL"].split(",")]
        assert [(u.hostname, u.port) for u in servers] == [(n, 4222) for n in nodes]

    def test_fsync_always_and_three_replicas(self, compose) -> None:
        config = (REPO_ROOT / "deploy/compose/nats.conf").read_text()
        jetstream = config[config.index("jetstream {"):config.index("}", config.index("jetstream {"))]
        assert "sync_interval: always" in jetstream
        for name in ("migrate", *SERVICES):
            env = variables_of(compose, name)
            owners = PUBLISHERS if name == "migrate" else (name,)
            assert all(env[f"{s.upper()}_STREAM_REPLICAS"] == "3" for s in owners), name


class TestProductionSettings:
    def test_every_service_loads_its_production_settings_from_the_compose_environment(
            self, compose, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        isolate_environment(monkeypatch)
        for name in APPS:
            environment = {k: interpolate(v, {"WECHAT_APPID": "wx0123456789abcdef"})
                           for k, v in variables_of(compose, name).items()}
            settings = load_production_settings(name, environment, secrets_dir, monkeypatch)
            assert settings.database_url.startswith("postgresql://alliance:")
            assert len(settings.nats_servers) == 3
        from libs.auth.deps import internal_auth_key
        assert internal_auth_key() == (secrets_dir / "internal_auth_key").read_text()


def _venv_bin(tool: str) -> str:
    import sys

    return str(Path(sys.executable).parent / tool)
