"""The webhook payload (JSON, Standard Webhooks style ``{"type", "timestamp", "data"}``), parsed only AFTER the
signature was verified on the raw bytes.

``type`` is one of ``referral.requested | accepted | rejected | arrived | admitted | seen | completed |
cancelled``; ``data.referral_id`` is the SENDER's referral id; doctors and institutions are registry ids.
Only ``referral.requested`` carries the request and the patient block. Events may arrive in any order.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError

from libs.kit.errors import AppError, InvalidInput
from services.referral.domain.terms import Status
from services.referral.inputs import Code, OutcomeIn, PatientIn, Reason, RegistryId, Strict

MAX_DEPTH = 16


class WebhookParty(Strict):
    institution_id: RegistryId
    doctor_id: RegistryId | None = None


class _Data(Strict):
    referral_id: RegistryId = Field(description="发送方的转诊编号 (external referral id)")
    occurred_at: AwareDatetime = Field(description="事件发生时间（带时区）")


class RequestedData(_Data):
    alliance_id: RegistryId
    direction: Literal["up", "down"]
    setting: Literal["outpatient", "inpatient", "emergency_transport"]
    urgency: Literal["routine", "urgent", "critical"] = "routine"
    referring: WebhookParty
    receiving: WebhookParty
    reason: Reason
    indication: Code = Field(description="转诊指征编码，如 emergency_critical / difficult_complex / stable")
    patient: PatientIn


class AcceptedData(_Data):
    doctor_id: RegistryId | None = Field(None, description="接收医生")


class ReasonData(_Data):
    reason: Reason


class MilestoneData(_Data):
    pass


class CompletedData(_Data):
    outcome: OutcomeIn | None = None


class _Envelope(Strict):
    timestamp: AwareDatetime | None = None


class ReferralRequestedHook(_Envelope):
    type: Literal["referral.requested"]
    data: RequestedData


class ReferralAcceptedHook(_Envelope):
    type: Literal["referral.accepted"]
    data: AcceptedData


class ReferralRejectedHook(_Envelope):
    type: Literal["referral.rejected"]
    data: ReasonData


class ReferralArrivedHook(_Envelope):
    type: Literal["referral.arrived"]
    data: MilestoneData


class ReferralAdmittedHook(_Envelope):
    type: Literal["referral.admitted"]
    data: MilestoneData


class ReferralSeenHook(_Envelope):
    type: Literal["referral.seen"]
    data: MilestoneData


class ReferralCompletedHook(_Envelope):
    type: Literal["referral.completed"]
    data: CompletedData


class ReferralCancelledHook(_Envelope):
    type: Literal["referral.cancelled"]
    data: ReasonData


WebhookBody = Annotated[
    ReferralRequestedHook | ReferralAcceptedHook | ReferralRejectedHook | ReferralArrivedHook | ReferralAdmittedHook
    | ReferralSeenHook | ReferralCompletedHook | ReferralCancelledHook,
    Field(discriminator="type")]
ADAPTER: TypeAdapter[Any] = TypeAdapter(WebhookBody)

MILESTONES = {
    "referral.requested": Status.REQUESTED, "referral.accepted": Status.ACCEPTED,
    "referral.rejected": Status.REJECTED, "referral.arrived": Status.ARRIVED, "referral.admitted": Status.ADMITTED,
    "referral.seen": Status.SEEN, "referral.completed": Status.COMPLETED, "referral.cancelled": Status.CANCELLED,
}


def parse(raw: bytes) -> Any:
    """Bytes → a typed body. 400 for bytes that are not one JSON document (invalid UTF-8, syntax, duplicate
    keys, nesting deeper than ``MAX_DEPTH``); 422 naming the field for a well-formed but invalid body."""
    try:
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise AppError("请求体不是有效的 UTF-8", field="body", code="invalid_utf8") from None
    except (ValueError, RecursionError) as exc:
        raise AppError(f"请求体不是有效的 JSON：{_short(exc)}", field="body", code="invalid_json") from None
    _check_depth(document)
    try:
        return ADAPTER.validate_python(document)
    except ValidationError as exc:
        errors = [{"field": _field(e["loc"], document), "reason": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"{errors[0]['field']}: {errors[0]['reason']}", field=errors[0]["field"],
                           errors=errors) from None


def _field(loc: tuple[int | str, ...], document: Any) -> str:
    """``body.data.patient.id_number``: the union's tag (the ``type`` value) is not part of the path."""
    parts = list(loc)
    if parts and isinstance(document, dict) and parts[0] == document.get("type"):
        parts = parts[1:]
    return ".".join(["body", *(str(p) for p in parts)])


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers disagreeing on a repeated key is a classic smuggling trick: refuse it outright.
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise _DuplicateKey("重复的键")
    return dict(pairs)


def _check_depth(document: Any) -> None:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise AppError(f"JSON 嵌套层数超过 {MAX_DEPTH}", field="body", code="too_deep")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _short(exc: Exception) -> str:
    return "嵌套过深" if isinstance(exc, RecursionError) else str(exc)[:120]


EXAMPLE_REQUESTED = {
    "type": "referral.requested", "timestamp": "2024-06-01T08:00:05+08:00",
    "data": {
        "referral_id": "HL-20240601-0001", "occurred_at": "2024-06-01T08:00:00+08:00", "alliance_id": "alliance-peds",
        "direction": "up", "setting": "inpatient", "urgency": "urgent",
        "referring": {"institution_id": "inst-county-1", "doctor_id": "doc-county-7"},
        "receiving": {"institution_id": "inst-lead", "doctor_id": None},
        "reason": "发热伴抽搐 2 天，需上级医院诊治", "indication": "difficult_complex",
        "patient": {"name": "张三", "sex": "male", "birth_date": "2019-03-07", "id_number": "430102201903070018"},
    },
}
EXAMPLE_ARRIVED = {"type": "referral.arrived",
                   "data": {"referral_id": "HL-20240601-0001", "occurred_at": "2024-06-01T11:20:00+08:00"}}
EXAMPLE_COMPLETED = {"type": "referral.completed", "data": {
    "referral_id": "HL-20240601-0001", "occurred_at": "2024-06-08T10:00:00+08:00",
    "outcome": {"summary": "住院 7 天，好转出院", "diagnosis": "热性惊厥", "advice": "两周后门诊随访"}}}


def openapi_body() -> tuple[dict[str, Any], dict[str, Any]]:
    """(requestBody for the route, component schemas to add) — the route reads raw bytes, so FastAPI cannot
    derive the body from a parameter."""
    schema = ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    body = {"required": True, "content": {"application/json": {"schema": schema, "examples": {
        "requested": {"summary": "转诊申请（含患者信息）", "value": EXAMPLE_REQUESTED},
        "arrived": {"summary": "患者到院", "value": EXAMPLE_ARRIVED},
        "completed": {"summary": "转诊完成（闭环反馈）", "value": EXAMPLE_COMPLETED},
    }}}}
    return body, defs


__all__ = ["ADAPTER", "MILESTONES", "WebhookBody", "openapi_body", "parse"]
