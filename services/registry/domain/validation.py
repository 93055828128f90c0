"""Collect several field errors and raise them together, so a form shows every problem at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from libs.kit.errors import InvalidInput

T = TypeVar("T")


class ErrorCollector:
    """Run field parsers; remember each InvalidInput instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def check(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except InvalidInput as exc:
            self.errors.extend(exc.errors or [{"field": exc.field, "reason": exc.detail}])
            return None

    def add(self, field: str, reason: str) -> None:
        self.errors.append({"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = self.errors[0]
        detail = first["reason"] if len(self.errors) == 1 else f"共{len(self.errors)}处不符合规则：{first['reason']}…"
        raise InvalidInput(detail, field=first.get("field"), errors=list(self.errors))
