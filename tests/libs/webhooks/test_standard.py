"""Reliability rows 10–12, 23, 29: Standard Webhooks verification on raw bytes."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from libs.kit.clock import FixedClock
from libs.kit.errors import Unauthorized
from libs.webhooks.standard import (
    HEADER_SIGNATURE,
    parse_secret,
    sign,
    sign_headers,
    verify,
)

NOW = datetime(2024, 12, 31, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
BODY = b'{"type":"referral.arrived","data":{"referral_id":"r-1","at":"2024-12-31T23:50:00+08:00"}}'


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def headers_for(*secrets: str, body: bytes = BODY, msg_id: str = "msg_1", at: datetime = NOW) -> dict[str, str]:
    return sign_headers(list(secrets), msg_id, at, body)


def refused(body: bytes, headers: dict[str, str], secrets: list[str], *, at: datetime = NOW) -> str:
    with pytest.raises(Unauthorized) as info:
        verify(body, headers, secrets, clock=FixedClock(at))
    assert info.value.status == 401
    return info.value.extra["code"]


class TestPublishedVector:
    def test_matches_standard_webhooks_reference(self) -> None:
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
        assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


class TestAccepted:
    def test_valid(self) -> None:
        secret = new_secret()
        result = verify(BODY, headers_for(secret), [secret], clock=FixedClock(NOW))
        assert result.body == BODY
        assert result.msg_id == "msg_1"
        assert result.timestamp == NOW

    def test_header_names_are_case_insensitive(self) -> None:
        secret = new_secret()
        headers = {k.title(): v for k, v in headers_for(secret).items()}
        assert verify(BODY, headers, [secret], clock=FixedClock(NOW)).msg_id == "msg_1"

    def test_rotation_two_signatures_one_known_secret(self) -> None:
        old, new = new_secret(), new_secret()
        headers = headers_for(old, new)
        assert len(headers[HEADER_SIGNATURE].split(" ")) == 2
        verify(BODY, headers, [new], clock=FixedClock(NOW))
        verify(BODY, headers, [old], clock=FixedClock(NOW))

    def test_rotation_receiver_holds_two_secrets(self) -> None:
        old, new = new_secret(), new_secret()
        verify(BODY, headers_for(old), [new, old], clock=FixedClock(NOW))

    def test_unknown_versions_are_ignored_when_a_v1_matches(self) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        headers[HEADER_SIGNATURE] = "v1a,AAAA " + headers[HEADER_SIGNATURE] + " garbage"
        verify(BODY, headers, [secret], clock=FixedClock(NOW))

    @pytest.mark.parametrize("skew", [timedelta(minutes=4), -timedelta(minutes=4), timedelta(minutes=5)])
    def test_skew_within_tolerance(self, skew: timedelta) -> None:
        secret = new_secret()
        verify(BODY, headers_for(secret, at=NOW), [secret], clock=FixedClock(NOW + skew))


class TestRefused:
    def test_wrong_secret(self) -> None:
        assert refused(BODY, headers_for(new_secret()), [new_secret()]) == "bad_signature"

    def test_sender_secret_used_by_other_sender(self) -> None:
        hotline, transport = new_secret(), new_secret()
        assert refused(BODY, headers_for(transport), [hotline]) == "bad_signature"

    def test_one_body_byte_changed(self) -> None:
        secret = new_secret()
        tampered = bytearray(BODY)
        tampered[-3] ^= 0x01
        assert refused(bytes(tampered), headers_for(secret), [secret]) == "bad_signature"

    def test_json_reserialized(self) -> None:
        secret = new_secret()
        reserialized = json.dumps(json.loads(BODY)).encode()
        assert json.loads(reserialized) == json.loads(BODY)
        assert refused(reserialized, headers_for(secret), [secret]) == "bad_signature"

    def test_dot_in_id(self) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        # "a.b" with timestamp T signs "a.b.T.body"; refuse before any signature check.
        headers["webhook-id"] = "msg.1"
        assert refused(BODY, headers, [secret]) == "invalid_id"

    @pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_header(self, missing: str) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        del headers[missing]
        with pytest.raises(Unauthorized) as info:
            verify(BODY, headers, [secret], clock=FixedClock(NOW))
        assert info.value.extra["code"] == "missing_header"
        assert missing in info.value.detail
        assert info.value.field == f"headers.{missing}"

    def test_empty_header(self) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        headers["webhook-signature"] = "  "
        assert refused(BODY, headers, [secret]) == "missing_header"

    def test_v1a_only(self) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        v1 = headers[HEADER_SIGNATURE].split(",", 1)[1]
        headers[HEADER_SIGNATURE] = "v1a," + v1
        assert refused(BODY, headers, [secret]) == "no_v1_signature"

    @pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "", "17356608000000000"])
    def test_bad_timestamp(self, raw: str) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        headers["webhook-timestamp"] = raw
        code = refused(BODY, headers, [secret])
        assert code in {"invalid_timestamp", "missing_header"}

    def test_six_minutes_in_the_past_is_a_replay(self) -> None:
        secret = new_secret()
        headers = headers_for(secret, at=NOW)
        assert refused(BODY, headers, [secret], at=NOW + timedelta(minutes=6)) == "timestamp_too_old"

    def test_six_minutes_in_the_future(self) -> None:
        secret = new_secret()
        headers = headers_for(secret, at=NOW + timedelta(minutes=6))
        assert refused(BODY, headers, [secret], at=NOW) == "timestamp_too_new"

    @pytest.mark.parametrize("raw", ["999999999999", "0"])
    def test_absurd_timestamp_refused_not_crashing(self, raw: str) -> None:
        secret = new_secret()
        headers = headers_for(secret)
        headers["webhook-timestamp"] = raw
        assert refused(BODY, headers, [secret]) in {"timestamp_too_new", "timestamp_too_old"}

    def test_timestamp_checked_before_signature(self) -> None:
        headers = headers_for(new_secret(), at=NOW - timedelta(hours=1))
        assert refused(BODY, headers, [new_secret()]) == "timestamp_too_old"

    def test_signature_bound_to_timestamp(self) -> None:
        secret = new_secret()
        headers = headers_for(secret, at=NOW)
        headers["webhook-timestamp"] = str(int(NOW.timestamp()) + 1)
        assert refused(BODY, headers, [secret]) == "bad_signature"

    def test_detail_is_chinese(self) -> None:
        with pytest.raises(Unauthorized) as info:
            verify(BODY, headers_for(new_secret()), [new_secret()], clock=FixedClock(NOW))
        assert "签名校验失败" in info.value.detail


class TestMisuse:
    def test_parsed_text_is_not_accepted(self) -> None:
        secret = new_secret()
        with pytest.raises(TypeError):
            verify(BODY.decode(), headers_for(secret), [secret], clock=FixedClock(NOW))  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***", "whsec_c2hvcnQ="])
    def test_malformed_secret_fails_fast(self, bad: str) -> None:
        with pytest.raises(ValueError):
            parse_secret(bad)

    def test_secret_repr_redacted(self) -> None:
        assert "redacted" in repr(parse_secret(new_secret()))

    def test_no_secrets_configured(self) -> None:
        with pytest.raises(ValueError):
            verify(BODY, headers_for(new_secret()), [], clock=FixedClock(NOW))

    def test_sign_refuses_dot_in_id(self) -> None:
        with pytest.raises(ValueError):
            sign(new_secret(), "a.b", NOW, BODY)
