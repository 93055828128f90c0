"""deploy/: Kubernetes manifests validated with kubernetes-validate (the Kubernetes OpenAPI schemas, strict: an
unknown field fails), and consistent with the code; the CloudNativePG cluster and the NATS chart values checked
for what the platform relies on.

Not covered here (no cluster, no Helm on the build machines): CRD schemas are not in kubernetes-validate, so
the CloudNativePG resources are checked structurally and their metadata against ObjectMeta; the full CRD
validation is ``deploy/tools/validate-cnpg.mjs`` (npm). The NATS chart ships no values schema, so its values are
checked key by key against the chart 1.x layout.
"""

from __future__ import annotations

import copy
import importlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from libs.kit.migrate import MIGRATED
from libs.kit.migrations import REPO_ROOT
from tests.deploy.variables import (
    APPS,
    SECRETS_DIR,
    isolate_environment,
    load_production_settings,
    make_secrets,
    read_by_the_code,
)

KUBERNETES = REPO_ROOT / "deploy" / "kubernetes"
HELM = REPO_ROOT / "deploy" / "helm"
K8S_VERSION = "1.33"
PUBLIC_PATHS = {"/api/", "/docs", "/openapi.json"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{p.name}:{d['kind']}/{d['metadata']['name']}", d) for p in sorted(KUBERNETES.glob("*.yaml"))
            if p.name != "kustomization.yaml" for d in documents(p)]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in manifests() if d["kind"] == kind]


def config_map() -> dict[str, str]:
    [config] = of_kind("ConfigMap")
    return dict(config["data"])


def pod_specs() -> list[tuple[str, dict[str, Any]]]:
    found = [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in of_kind("Deployment")]
    return found + [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in of_kind("Job")]


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_secrets(tmp_path_factory.mktemp("secrets"))


class TestKubernetesSchemas:
    @pytest.mark.parametrize("name,document", manifests(), ids=[n for n, _ in manifests()])
    def test_valid_against_the_kubernetes_schema(self, name: str, document: dict[str, Any]) -> None:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)

    def test_the_schema_really_checks(self) -> None:
        deployment = copy.deepcopy(of_kind("Deployment")[0])
        deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/ready"}}
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)

    def test_kustomization_lists_every_manifest(self) -> None:
        kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
        assert sorted(kustomization["resources"]) == sorted(p.name for p in KUBERNETES.glob("*.yaml")
                                                             if p.name != "kustomization.yaml")
        images = {c["image"].split(":")[0] for _, spec in pod_specs()
                  for c in spec["containers"] + spec.get("initContainers", [])}
        assert images == {i["name"] for i in kustomization["images"]}


class TestNamesExistInTheCode:
    def test_every_container_runs_a_real_module(self) -> None:
        for name, spec in pod_specs():
            for container in spec["containers"] + spec.get("initContainers", []):
                command = container["command"]
                if "--factory" in command:
                    module, factory = command[command.index("--factory") + 1].split(":")
                    assert callable(getattr(importlib.import_module(module), factory))
                    assert module == f"services.{name}.app"
                    assert command[command.index("--port") + 1] == "8000"
                    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
                    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
                else:
                    assert command[:3] == ["python", "-m", "libs.kit.migrate"]
                    assert all(s in MIGRATED for s in command[4:5])

    def test_every_service_starts_its_own_migration_first(self) -> None:
        for name, spec in pod_specs():
            if name in APPS:
                [init] = spec["initContainers"]
                assert init["command"][-2:] == ["--service", name]

    def test_every_variable_is_read_by_the_code(self) -> None:
        for variable in config_map():
            assert read_by_the_code(variable), f"{variable} is read by nothing"

    def test_every_secret_file_is_mounted(self, secrets_dir: Path) -> None:
        generated = {p.name for p in secrets_dir.iterdir()}
        for name, spec in pod_specs():
            [volume] = [v for v in spec["volumes"] if v["name"] == "secrets"]
            provided = set()
            for source in volume["projected"]["sources"]:
                secret = source["secret"]
                provided |= ({i["path"] for i in secret["items"]} if "items" in secret else generated)
            for value in config_map().values():
                if value.startswith(SECRETS_DIR):
                    assert value[len(SECRETS_DIR):] in provided, f"{name}: {value} is not mounted"
            for container in spec["containers"] + spec.get("initContainers", []):
                assert {"name": "secrets", "mountPath": "/run/secrets", "readOnly": True} in container["volumeMounts"]

    def test_services_select_their_pods_and_the_ingress_exposes_only_the_api(self) -> None:
        deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
        assert set(deployments) == set(APPS)
        for service in of_kind("Service"):
            target = deployments[service["metadata"]["name"]]
            assert service["spec"]["selector"].items() <= target["spec"]["template"]["metadata"]["labels"].items()
        for pdb in of_kind("PodDisruptionBudget"):
            assert pdb["spec"]["selector"]["matchLabels"] == deployments[pdb["metadata"]["name"]]["spec"]["selector"][
                "matchLabels"]
        for name in ("registry", "points", "referral", "evaluation"):
            assert deployments[name]["spec"]["replicas"] == 2
        [ingress] = of_kind("Ingress")
        paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
        assert {p["path"] for p in paths} == PUBLIC_PATHS
        assert {p["backend"]["service"]["name"] for p in paths} == {"gateway"}

    def test_gateway_reaches_every_service_by_its_kubernetes_name(self) -> None:
        services = {s["metadata"]["name"]: s["spec"]["ports"][0]["port"] for s in of_kind("Service")}
        for name in ("registry", "points", "referral", "evaluation"):
            assert config_map()[f"GATEWAY_{name.upper()}_URL"] == f"http://{name}:{services[name]}"

    def test_production_settings_load_from_the_config_map(self, secrets_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        (secrets_dir / "database_url").write_text("postgresql://alliance:pw@alliance-db-rw.alliance:5432/alliance")
        isolate_environment(monkeypatch)
        for app in APPS:
            load_production_settings(app, config_map(), secrets_dir, monkeypatch)


class TestCloudNativePG:
    def test_cluster_for_the_ledger(self) -> None:
        cluster, backup = documents(HELM / "cnpg-cluster.yaml")
        assert (cluster["apiVersion"], cluster["kind"]) == ("postgresql.cnpg.io/v1", "Cluster")
        spec = cluster["spec"]
        assert spec["instances"] >= 3
        assert spec["postgresql"]["synchronous"]["number"] >= 1  # a committed entry is on two servers
        assert spec["postgresql"]["parameters"]["synchronous_commit"] == "on"
        assert spec["bootstrap"]["initdb"] == {**spec["bootstrap"]["initdb"], "database": "alliance",
                                               "owner": "alliance"}
        assert spec["storage"]["size"] and spec["backup"]["barmanObjectStore"]["destinationPath"]
        # The pods mount the operator's app secret, which is named after the cluster.
        for _, pod in pod_specs():
            [volume] = [v for v in pod["volumes"] if v["name"] == "secrets"]
            names = {s["secret"]["name"] for s in volume["projected"]["sources"]}
            assert f"{cluster['metadata']['name']}-app" in names
        assert (backup["kind"], backup["spec"]["cluster"]["name"]) == ("ScheduledBackup", cluster["metadata"]["name"])

    def test_metadata_valid_against_object_meta(self) -> None:
        definitions = json.loads(resources.files("kubernetes_validate").joinpath(
            "kubernetes-json-schema/v1.33.0-local-strict/_definitions.json").read_text())
        defs = definitions["$defs"]
        schema = {**defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "$defs": defs,
                  "$schema": "https://json-schema.org/draft/2020-12/schema"}
        for document in documents(HELM / "cnpg-cluster.yaml"):
            jsonschema.Draft202012Validator(schema).validate(document["metadata"])
        with pytest.raises(jsonschema.ValidationError):  # the schema really checks
            jsonschema.Draft202012Validator(schema).validate({"name": "x", "labels": {"a": 1}})


class TestNatsChartValues:
    def test_clustered_jetstream_with_fsync_always(self) -> None:
        values = yaml.safe_load((HELM / "nats-values.yaml").read_text())
        config = values["config"]
        assert config["cluster"] == {"enabled": True, "replicas": 3}
        jetstream = config["jetstream"]
        assert jetstream["enabled"] is True and jetstream["fileStore"]["pvc"]["size"]
        assert jetstream["merge"]["sync_interval"] == "always"
        assert set(values) <= {"config", "container", "podTemplate", "podDisruptionBudget", "promExporter",
                               "natsBox", "reloader", "service", "statefulSet", "global"}  # chart 1.x keys
        assert config_map()["NATS_URL"] == "nats://nats:4222"  # the chart's client Service, release "nats"
