"""The domain imports only the standard library, libs.kit.{errors,clock}, python-stdnum and itself."""

import ast
import sys
from pathlib import Path

import services.registry.domain as domain

ALLOWED_PREFIXES = ("libs.kit.errors", "libs.kit.clock", "stdnum", "services.registry.domain", "__future__")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


class TestPurity:
    def test_only_allowed_imports(self) -> None:
        root = Path(domain.__file__).parent
        offenders = {}
        for path in root.rglob("*.py"):
            bad = {m for m in imported_modules(path)
                   if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith(ALLOWED_PREFIXES)}
            if bad:
                offenders[str(path.relative_to(root))] = bad
        assert offenders == {}
