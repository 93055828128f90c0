"""Standard Webhooks (https://www.standardwebhooks.com) signature verification, pure.

Used for the machine-to-machine senders (客服专线 85356855, 急救网络 85600965). The signed content is
``{webhook-id}.{webhook-timestamp}.{raw body bytes}``; the signature is HMAC-SHA256 keyed with the
sender's ``whsec_`` secret. We verify the RAW bytes before any JSON parsing: re-serialising JSON
changes bytes, so a body that was parsed and dumped again must not verify.

Rotation: a sender may have several current secrets and may send several signatures; the message is
accepted if ANY ``v1`` signature matches ANY current secret. Other versions (``v1a`` = ed25519) are
ignored, never trusted. Timestamps are checked against an injected ``Clock`` (±5 minutes) before the
signature, so replays are refused cheaply. Every refusal is ``Unauthorized`` with a Chinese detail
and a stable ``code`` (rendered in problem+json) so a security audit can count reasons.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from libs.kit.clock import Clock
from libs.kit.errors import Unauthorized

SECRET_PREFIX = "whsec_"
TOLERANCE = timedelta(minutes=5)
_MIN_SECRET_BYTES = 24  # the spec recommends 24–64 random bytes
_MAX_SECRET_BYTES = 64
_MAX_ID_LENGTH = 256
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # integer Unix seconds, no sign, no fraction

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"


@dataclass(frozen=True, repr=False)
class WebhookSecret:
    """A decoded ``whsec_`` secret. ``repr`` never shows the key."""

    key: bytes

    def __repr__(self) -> str:
        return "WebhookSecret(<redacted>)"


@dataclass(frozen=True)
class VerifiedWebhook:
    """What a verified request gives back: still the RAW body; parse it only now."""

    msg_id: str
    timestamp: datetime
    body: bytes


def parse_secret(text: str) -> WebhookSecret:
    """Parse ``whsec_<base64>``. A malformed secret is a configuration error (``ValueError``), fail fast."""
    if not isinstance(text, str) or not text.startswith(SECRET_PREFIX):
        raise ValueError("webhook secret must start with 'whsec_'")
    try:
        key = base64.b64decode(text[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not valid base64") from exc
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise ValueError("webhook secret must decode to 24..64 bytes")
    return WebhookSecret(key)


def sign(secret: str | WebhookSecret, msg_id: str, timestamp: int | datetime, body: bytes) -> str:
    """The ``v1,<base64>`` signature of a message, for tests and for clients that send to us."""
    key = _as_secret(secret).key
    _check_id(msg_id)
    seconds = _seconds(timestamp)
    mac = hmac.new(key, _signed_content(msg_id, str(seconds), body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def sign_headers(secrets: Sequence[str | WebhookSecret], msg_id: str, timestamp: int | datetime,
                 body: bytes) -> dict[str, str]:
    """The three headers, with one ``v1`` signature per secret (as a sender does during rotation)."""
    signatures = " ".join(sign(s, msg_id, timestamp, body) for s in secrets)
    return {HEADER_ID: msg_id, HEADER_TIMESTAMP: str(_seconds(timestamp)), HEADER_SIGNATURE: signatures}


def verify(body: bytes, headers: Mapping[str, str], secrets: Sequence[str | WebhookSecret], *,
           clock: Clock, tolerance: timedelta = TOLERANCE) -> VerifiedWebhook:
    """Verify a webhook on its raw bytes. Raises ``Unauthorized`` (with ``code``) on any failure."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("verify() needs the raw body bytes, not parsed or decoded text")
    if not secrets:
        raise ValueError("no webhook secret configured for this sender")
    keys = [_as_secret(s).key for s in secrets]
    msg_id, raw_ts, raw_sigs = _required_headers(headers)
    _check_id_header(msg_id)
    sent_at = _check_timestamp(raw_ts, clock.now(), tolerance)
    content = _signed_content(msg_id, raw_ts, bytes(body))
    _check_signatures(raw_sigs, content, keys)
    return VerifiedWebhook(msg_id=msg_id, timestamp=sent_at, body=bytes(body))


def _required_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    values = []
    for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE):
        value = lowered.get(name)
        if not value or not str(value).strip():
            raise _refuse(f"缺少请求头 {name}", "missing_header", name)
        values.append(str(value).strip())
    return values[0], values[1], values[2]


def _check_id_header(msg_id: str) -> None:
    try:
        _check_id(msg_id)
    except ValueError as exc:
        raise _refuse(f"webhook-id 无效：{exc.args[0]}", "invalid_id", HEADER_ID) from exc


def _check_id(msg_id: str) -> None:
    # '.' separates the signed parts: an id containing it would make two messages sign the same bytes.
    if "." in msg_id:
        raise ValueError("不能包含“.”")
    if len(msg_id) > _MAX_ID_LENGTH or not msg_id.isprintable() or not msg_id.isascii():
        raise ValueError("须为不超过 256 个字符的可打印 ASCII")


def _check_timestamp(raw: str, now: datetime, tolerance: timedelta) -> datetime:
    if not _TIMESTAMP.match(raw):
        raise _refuse("webhook-timestamp 必须是整数秒的 Unix 时间戳", "invalid_timestamp", HEADER_TIMESTAMP)
    # Compare whole seconds as integers first: a huge value must be refused, not overflow a datetime.
    sent, current, slack = int(raw), int(now.timestamp()), int(tolerance.total_seconds())
    if sent < current - slack:
        raise _refuse("webhook 时间戳过旧（超过 5 分钟），疑似重放", "timestamp_too_old", HEADER_TIMESTAMP)
    if sent > current + slack:
        raise _refuse("webhook 时间戳超前（超过 5 分钟），请检查发送方时钟", "timestamp_too_new",
                      HEADER_TIMESTAMP)
    return datetime.fromtimestamp(sent, tz=timezone.utc)


def _check_signatures(raw: str, content: bytes, keys: list[bytes]) -> None:
    candidates = _v1_signatures(raw)
    if not candidates:
        raise _refuse("webhook-signature 中没有受支持的 v1 签名", "no_v1_signature", HEADER_SIGNATURE)
    expected = [hmac.new(key, content, hashlib.sha256).digest() for key in keys]
    # Compare every pair without an early exit, so timing does not reveal which one matched.
    matched = False
    for sig in candidates:
        for exp in expected:
            matched |= hmac.compare_digest(sig, exp)
    if not matched:
        raise _refuse("webhook 签名校验失败", "bad_signature", HEADER_SIGNATURE)


def _v1_signatures(raw: str) -> list[bytes]:
    found = []
    for part in raw.split(" "):
        version, sep, b64 = part.partition(",")
        if version != "v1" or not sep:
            continue  # other versions (v1a …) and malformed parts are ignored, never trusted
        try:
            found.append(base64.b64decode(b64, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def _signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    return msg_id.encode("ascii") + b"." + timestamp.encode("ascii") + b"." + body


def _seconds(timestamp: int | datetime) -> int:
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            raise ValueError("timestamp must be timezone-aware")
        return int(timestamp.timestamp())
    return int(timestamp)


def _as_secret(secret: str | WebhookSecret) -> WebhookSecret:
    return secret if isinstance(secret, WebhookSecret) else parse_secret(secret)


def _refuse(detail: str, code: str, header: str) -> Unauthorized:
    return Unauthorized(detail, field=f"headers.{header}", code=code)
