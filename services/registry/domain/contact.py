"""联系人: a name with a phone and optional e-mail (专科负责人, 理事会主席, 秘书)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from libs.kit.errors import InvalidInput
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_text

# Mobile 1[3-9]xxxxxxxxx; landline with area code 0731-85356855 (extension allowed); local 85356855.
_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\d{7,8})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    email: str | None = None

    @classmethod
    def create(cls, *, name: object, phone: object, email: object = None, field: str = "contact") -> Contact:
        errors = ErrorCollector()
        clean_name = errors.check(parse_text, name, field=f"{field}.name", label="联系人姓名", max_len=50)
        clean_phone = errors.check(parse_phone, phone, field=f"{field}.phone")
        clean_email = errors.check(parse_email, email, field=f"{field}.email")
        errors.raise_if_any()
        return cls(clean_name, clean_phone, clean_email)  # type: ignore[arg-type]


def parse_phone(raw: object, *, field: str = "phone", required: bool = True) -> str | None:
    text = re.sub(r"[\s（）()]", "", "" if raw is None else str(raw)).replace("—", "-").removeprefix("+86")
    if not text:
        if required:
            raise InvalidInput("联系电话不能为空", field=field)
        return None
    if not _PHONE.match(text):
        raise InvalidInput(f"联系电话格式不正确：{text[:20]}", field=field)
    return text


def parse_email(raw: object, *, field: str = "email") -> str | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInput(f"电子邮箱格式不正确：{text[:40]}", field=field)
    return text
