"""Checking a checkpoint line of an export against the verified chain head and the public key."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.points.domain.canonical import parse_instant
from services.points.domain.chain import Checkpoint, SignedCheckpoint, verify_checkpoint

from .diagnose import Finding, Head, TamperKind
from .records import MalformedLine


def check_checkpoint(obj: dict[str, Any], line_no: int, head: Head, covered_through: int,
                     key: Ed25519PublicKey) -> Finding | None:
    """None when the checkpoint pins ``head``; otherwise the first problem it proves.

    A checkpoint must directly follow the entry at its position, so it is compared with the head.
    """
    cp = _signed_checkpoint(obj, line_no)
    checkpoint = cp.checkpoint
    if checkpoint.position > head.position:
        return Finding(TamperKind.REMOVED, head.position + 1, line_no,
                       f"checkpoint at {checkpoint.position} but the chain stops at {head.position}: entries removed",
                       f"检查点位于第 {checkpoint.position} 条，但链只到第 {head.position} 条：有分录被删除")
    if checkpoint.position < head.position:
        return Finding(TamperKind.FORGED, checkpoint.position + 1, line_no,
                       f"rows after position {checkpoint.position} precede its checkpoint: not covered by a signature",
                       f"第 {checkpoint.position} 条之后的分录出现在其检查点之前，未被签名覆盖（伪造）")
    if not verify_checkpoint(cp, key) or checkpoint.count != checkpoint.position:
        return Finding(TamperKind.FORGED, checkpoint.position, line_no,
                       "checkpoint signature invalid: forged or signed with another key",
                       f"第 {checkpoint.position} 条的检查点签名无效：检查点被伪造或使用了其他密钥",
                       covered_through + 1)
    if checkpoint.head_hash != head.hash:
        first = covered_through + 1
        return Finding(TamperKind.FORGED, checkpoint.position, line_no,
                       "chain rewritten without the key: head differs from the signed checkpoint "
                       f"(first change within positions {first}..{checkpoint.position})",
                       f"第 {checkpoint.position} 条：链在无密钥的情况下被重写，链头与签名检查点不符"
                       f"（改动位于第 {first} 至 {checkpoint.position} 条之间）",
                       first)
    return None


def anchor(obj: dict[str, Any], line_no: int, expected: int, key: Ed25519PublicKey) -> Finding | Head:
    """The signed head a range export starts from, or the finding that it cannot be trusted."""
    cp = _signed_checkpoint(obj, line_no)
    checkpoint = cp.checkpoint
    if checkpoint.position != expected or checkpoint.count != checkpoint.position:
        return Finding(TamperKind.MALFORMED, expected, line_no, f"range export must start at checkpoint {expected}",
                       f"区间导出必须从第 {expected} 条的签名检查点开始")
    if not verify_checkpoint(cp, key):
        return Finding(TamperKind.FORGED, checkpoint.position, line_no,
                       "anchor checkpoint signature invalid: forged or signed with another key",
                       f"第 {checkpoint.position} 条的起始检查点签名无效")
    return Head(checkpoint.position, checkpoint.head_hash, None)


def unsigned_tail(covered_through: int, head_position: int) -> Finding:
    first = covered_through + 1
    return Finding(TamperKind.FORGED, first, 0,
                   f"entries {first}..{head_position} are not covered by a signed checkpoint "
                   "(appended without the key, or the sealing checkpoint is missing)",
                   f"第 {first} 至 {head_position} 条分录未被签名检查点覆盖（疑似伪造追加，或缺少封存检查点）")


def _signed_checkpoint(obj: dict[str, Any], line_no: int) -> SignedCheckpoint:
    try:
        checkpoint = Checkpoint(_int(obj["position"]), bytes.fromhex(obj["head_hash"]), _int(obj["count"]),
                                parse_instant(obj["created_at"]))
        signature = base64.b64decode(obj["signature"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise MalformedLine(line_no, f"bad checkpoint line ({exc})") from exc
    if len(checkpoint.head_hash) != 32:
        raise MalformedLine(line_no, "checkpoint head_hash must be 32 bytes")
    return SignedCheckpoint(checkpoint, signature)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value
