"""National identifiers: 统一社会信用代码 (USCC), 居民身份证号码 (RIC), 医师执业证书编码.

USCC and RIC are checked with python-stdnum (length, alphabet, check digit; RIC also birth date and place).
The practice-certificate number has no published check digit; see ``parse_practice_certificate``.
"""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from libs.kit.errors import InvalidInput

_CERT = re.compile(r"^\d{15}$")


def parse_uscc(raw: object, *, field: str = "uscc") -> str:
    """Compact, upper-case USCC or InvalidInput that names 统一社会信用代码 and the reason."""
    text = "" if raw is None else str(raw)
    if not text.strip():
        raise InvalidInput("统一社会信用代码不能为空", field=field)
    try:
        return uscc.validate(text)
    except InvalidLength as exc:
        raise InvalidInput("统一社会信用代码应为18位", field=field) from exc
    except InvalidFormat as exc:
        raise InvalidInput("统一社会信用代码含非法字符（前8位须为数字，不得含I、O、Z、S、V）", field=field) from exc
    except InvalidChecksum as exc:
        raise InvalidInput("统一社会信用代码校验位错误，请核对", field=field) from exc
    except ValidationError as exc:  # pragma: no cover - stdnum raises only the three above
        raise InvalidInput("统一社会信用代码无效", field=field) from exc


def parse_resident_id(raw: object, *, field: str = "resident_id") -> str:
    """18-digit 居民身份证号码: check digit, birth date and a GB/T 2260 place valid at birth."""
    text = "" if raw is None else str(raw)
    try:
        return ric.validate(text)
    except InvalidLength as exc:
        raise InvalidInput("居民身份证号码应为18位", field=field) from exc
    except InvalidFormat as exc:
        raise InvalidInput("居民身份证号码前17位须为数字", field=field) from exc
    except InvalidChecksum as exc:
        raise InvalidInput("居民身份证号码校验位错误，请核对", field=field) from exc
    except InvalidComponent as exc:
        raise InvalidInput("居民身份证号码中的出生日期或地址码无效", field=field) from exc
    except ValidationError as exc:  # pragma: no cover
        raise InvalidInput("居民身份证号码无效", field=field) from exc


def mask_resident_id(number: str) -> str:
    """430102********123X — for display and logs; never show the full number."""
    return number[:6] + "*" * 8 + number[-4:]


def parse_practice_certificate(raw: object, *, field: str = "practice_cert_no") -> str:
    """医师执业证书编码: exactly 15 digits.

    Certificates issued under the 医师执业注册 system carry a 15-digit number (level, category, registering
    place, serial). Public descriptions of the internal layout disagree and no check digit is published, so
    only the length and the digits are enforced here; the register (国家卫健委医生执业注册信息查询) is the
    authority for existence.
    """
    text = re.sub(r"\s", "", "" if raw is None else str(raw))
    if not text:
        raise InvalidInput("医师执业证书编码不能为空", field=field)
    if not _CERT.match(text):
        raise InvalidInput("医师执业证书编码应为15位数字", field=field)
    return text
