"""Strict parsing of form values: text, counts (人次、床位) and decimals (CMI、占比). Never binary floats inside."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from libs.kit.errors import InvalidInput

_MAX_COUNT = 1_000_000_000


def parse_text(raw: object, *, field: str, label: str, max_len: int = 100, required: bool = True) -> str | None:
    """Trimmed text (a full-width space counts as a space); empty is refused when ``required``."""
    text = "" if raw is None else str(raw).replace("\u3000", " ").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label}不能为空", field=field)
        return None
    if len(text) > max_len:
        raise InvalidInput(f"{label}不能超过{max_len}个字", field=field)
    return text


def parse_count(raw: object, *, field: str, label: str, maximum: int = _MAX_COUNT) -> int:
    """A non-negative whole number: 12, "12", "1,200"; refuses 1.5, -1, True."""
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput(f"{label}必须填写非负整数", field=field)
    value = _decimal(raw, field=field, label=label)
    if value != value.to_integral_value():
        raise InvalidInput(f"{label}必须是整数", field=field)
    if value < 0:
        raise InvalidInput(f"{label}不能为负数", field=field)
    if value > maximum:
        raise InvalidInput(f"{label}超出合理范围（≤{maximum}）", field=field)
    return int(value)


def parse_decimal(raw: object, *, field: str, label: str, minimum: Decimal, maximum: Decimal,
                  places: int = 2, min_exclusive: bool = False) -> Decimal:
    """A decimal in ``[minimum, maximum]`` (``(minimum, …`` when exclusive) with at most ``places`` places.

    A trailing ``%`` is accepted for percentages, the number is taken as already in percent.
    """
    value = _decimal(raw, field=field, label=label)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(f"{label}最多{places}位小数", field=field)
    too_low = value <= minimum if min_exclusive else value < minimum
    if too_low or value > maximum:
        low = f"大于{minimum}" if min_exclusive else f"不小于{minimum}"
        raise InvalidInput(f"{label}应{low}且不大于{maximum}", field=field)
    return value


def _decimal(raw: object, *, field: str, label: str) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise InvalidInput(f"{label}必须是数字", field=field)
    text = str(raw).strip().replace(",", "").removesuffix("%").strip()
    try:
        value = Decimal(text)  # floats go through str(): 0.1 stays 0.1
    except InvalidOperation as exc:
        raise InvalidInput(f"{label}必须是数字：{text[:20]}", field=field) from exc
    if not value.is_finite():
        raise InvalidInput(f"{label}必须是有限数字", field=field)
    return value
