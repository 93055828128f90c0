"""The image: the Dockerfile parsed with dockerfile-parse, and everything the code imports installed by it.

No Docker engine on the build machines, so the image is never built here: what is checked is what a build
would need (files it copies, the requirements it installs) and what the running code needs from it.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement

from libs.kit.migrations import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
RUNTIME_REQUIREMENTS = REPO_ROOT / "requirements" / "runtime.txt"


def instructions() -> list[dict[str, str]]:
    parser = DockerfileParser(fileobj=DOCKERFILE.open("rb"))
    return list(parser.structure)


def values(instruction: str) -> list[str]:
    return [i["value"] for i in instructions() if i["instruction"] == instruction]


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(_canonical(re.split(r"[\[=<>!~ ]", line)[0]))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_canonical(requirement.name))
    return seen


def _imported_top_level(*folders: str) -> set[str]:
    modules = set()
    for folder in folders:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"libs", "services", "__future__"}


class TestDockerfile:
    def test_one_slim_python_image_installing_the_runtime_requirements(self) -> None:
        assert values("FROM") == ["python:3.11-slim"]
        assert "pip install -r requirements/runtime.txt" in values("RUN")
        assert any(v.split()[0] == "10001" for v in values("USER")), "runs as an unprivileged user"
        assert "EXPOSE" in {i["instruction"] for i in instructions()}

    def test_copied_files_exist(self) -> None:
        for value in values("COPY"):
            *sources, _ = value.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), source

    def test_default_command_is_a_real_app(self) -> None:
        [cmd] = values("CMD")
        assert "services.gateway.app:create_app" in cmd

    def test_dockerignore_keeps_code_out_of_nothing_and_secrets_out_of_the_image(self) -> None:
        ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
                   if line.strip() and not line.startswith("#")}
        assert {".venv", ".var", ".git", "tests", "deploy"} <= ignored
        assert not ignored & {"libs", "services", "requirements", "requirements/runtime.txt"}


class TestImageHasWhatTheCodeImports:
    def test_every_third_party_import_is_installed_by_runtime_txt(self) -> None:
        installed = _closure(_requirement_names(RUNTIME_REQUIREMENTS))
        providers = metadata.packages_distributions()
        missing = {}
        for module in _imported_top_level("libs", "services"):
            dists = {_canonical(d) for d in providers.get(module, [])}
            if not dists & installed:
                missing[module] = sorted(dists) or ["(not installed at all)"]
        assert not missing, f"imported by libs/ or services/ but not installed in the image: {missing}"
