"""Small input checks shared by the domain modules. Messages are Chinese; ``field`` names the input."""

from __future__ import annotations

from datetime import datetime, timezone

from libs.kit.errors import InvalidInput

MAX_TEXT = 500


def text(value: object, field: str, *, label: str, max_len: int = MAX_TEXT) -> str:
    """A required, trimmed, bounded piece of text."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{label}不能为空", field=field)
    cleaned = value.strip()
    if len(cleaned) > max_len:
        raise InvalidInput(f"{label}不能超过 {max_len} 个字符", field=field)
    return cleaned


def optional_text(value: object, field: str, *, label: str, max_len: int = MAX_TEXT) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text(value, field, label=label, max_len=max_len)


def instant(value: object, field: str = "at") -> datetime:
    """An aware instant, normalised to UTC."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("时间必须带时区", field=field)
    return value.astimezone(timezone.utc)


def not_before(at: datetime, earlier: datetime, field: str = "at") -> None:
    if at < earlier:
        raise InvalidInput("时间不能早于上一步的记录时间", field=field)
