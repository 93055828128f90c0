"""Consuming evaluation's dissolution recommendation through real JetStream: the alliance is flagged (record +
``flagged_for_dissolution`` event), once per event id; the commission then decides through the lifecycle."""

from __future__ import annotations

from typing import Any

from libs.auth.principal import Role
from libs.events.consumer import Outcome
from libs.events.envelope import Envelope, new_envelope
from libs.events.schemas.evaluation import AllianceDissolutionRecommended
from libs.events.streams import ensure_stream, subject_for
from libs.kit.runtime import ServiceRuntime
from services.registry.persistence.tables import dissolution_flags
from tests.harness import services as harness
from tests.harness.waiting import eventually
from tests.services.registry.api.support import count_rows, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import build_hunan_pediatric


def recommendation(alliance_id: str, years: list[int]) -> Envelope:
    data = AllianceDissolutionRecommended(alliance_id=alliance_id, years=years, framework_id="hunan-alliance-2024",
                                          scorecard_ids=["sc-1", "sc-2"], reason="连续2年评价结果较差")
    return new_envelope(data, source="/alliance/evaluation", subject=f"alliance/{alliance_id}")


async def publish_as_evaluation(runtime: ServiceRuntime, envelope: Envelope, *, msg_id: str | None = None) -> None:
    js, ns = runtime.js, runtime.settings.events_namespace
    assert js is not None
    await ensure_stream(js, ns, "evaluation")
    await js.publish(subject_for(ns, envelope.type), envelope.to_bytes(),
                     headers={"Nats-Msg-Id": msg_id or envelope.id})


def consumer_counts(runtime: ServiceRuntime) -> dict[Outcome, int]:
    return runtime.consumers[0].counts


async def test_recommendation_flags_the_alliance_once(registry: Registry) -> None:
    hunan = await build_hunan_pediatric(api=registry.api)
    envelope = recommendation(hunan.id, [2025, 2024])
    await publish_as_evaluation(registry.runtime, envelope)
    [flagged] = await published(registry.runtime, "alliance.registry.alliance.flagged_for_dissolution")
    assert flagged.data == {"alliance_id": hunan.id, "years": [2024, 2025]}
    assert flagged.causationid == envelope.id
    view = await registry.api.get(f"/alliances/{hunan.id}", role=Role.HEALTH_COMMISSION, scope=hunan.commission)
    assert view["dissolution_flag"]["years"] == [2024, 2025] and view["status"] == "operating"
    listed = await registry.api.get("/alliances?flagged=true", role=Role.HEALTH_COMMISSION, scope=hunan.commission)
    assert [a["id"] for a in listed["items"]] == [hunan.id]

    await publish_as_evaluation(registry.runtime, envelope, msg_id="redelivered-" + envelope.id)
    await eventually(lambda: _value(consumer_counts(registry.runtime)[Outcome.DUPLICATE]), until=lambda n: n >= 1)
    assert await count_rows(registry.runtime, dissolution_flags) == 1

    decided = await registry.api.post(f"/alliances/{hunan.id}/dissolve", role=Role.HEALTH_COMMISSION,
                                      scope=hunan.commission, json={"reason": "评价建议解散，经审议予以撤销"},
                                      expect=200)
    assert (decided["status"], decided["operating"]) == ("dissolved", False)


async def test_unknown_alliance_is_parked_for_an_operator(env: harness.TestEnv) -> None:
    async with harness.running_service(env, "registry", consumer_max_deliver=1) as service:
        await publish_as_evaluation(service.runtime, recommendation("no-such-alliance", [2024, 2025]))
        letters = await eventually(lambda: _letters(service.runtime), until=lambda rows: len(rows) == 1,
                                   what="dead letter")
        assert "no-such-alliance" in letters[0]["error"]
        assert await count_rows(service.runtime, dissolution_flags) == 0


async def _letters(runtime: ServiceRuntime) -> list[Any]:
    async with runtime.transaction() as session:
        return list((await session.execute(runtime.tables.dead_letters.select())).mappings().all())


async def _value(n: int) -> int:
    return n
