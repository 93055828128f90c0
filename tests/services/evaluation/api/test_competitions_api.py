"""优秀案例征集 through the API: eligibility, ≤ 3 entries per unit, outline limits, deadline in Asia/Shanghai,
judges' scores, excellent ≤ 25 % (enforced), and R03c prize facts published for the points service."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from libs.kit.clock import SHANGHAI, FixedClock
from tests.harness.services import RunningService

from .harness import auditor, directory, doctor, office, outbox_events, post, problem, unit_admin

A = "cc-peds"
UNITS = {"cc-u1": "lead", "cc-u2": "member", "cc-u3": "member", "cc-u4": "member"}
DOCTORS = {f"cc-d{i}": f"cc-u{(i - 1) % 4 + 1}" for i in range(1, 13)}  # d1→u1, d2→u2, … d5→u1 …


def outline(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(title="县域儿科急危重症转运网络", category="管理", contact="联络员 0731-0000000",
                                background="县域儿童急危重症转运难。", implementation="依托医联体建立转运专线。",
                                results="转运时间缩短。", pledge=True, has_pediatrics=True)
    body.update(changes)
    return body


@pytest.fixture
async def call_id(svc: RunningService) -> str:
    svc.runtime.clock = FixedClock(datetime(2024, 3, 15, 10, tzinfo=SHANGHAI))
    await directory(svc, alliance_id=A, units=UNITS, doctors=DOCTORS)
    r = await post(svc.client, f"/alliances/{A}/case-calls",
                   {"title": "儿科高质量发展优秀案例评选", "closes_on": "2024-03-20"}, office(A))
    assert r.status_code == 201, r.text
    call: dict[str, Any] = r.json()
    assert call["categories"] == ["管理", "医疗", "护理"] and call["excellent_share"] == "0.25"
    return str(call["call_id"])


async def enter(svc: RunningService, call_id: str, unit: str, author: str, **changes: Any) -> Any:
    return await post(svc.client, f"/case-calls/{call_id}/entries", outline(authors=[author], **changes),
                      unit_admin(unit))


async def entries_of(svc: RunningService, call_id: str) -> list[dict[str, Any]]:
    r = await svc.client.get(f"/case-calls/{call_id}/entries", headers=office(A))
    items: list[dict[str, Any]] = r.json()["items"]
    return items


class TestEntries:
    async def test_fourth_entry_of_a_unit_is_refused_and_not_stored(self, svc: RunningService, call_id: str) -> None:
        for category in ("管理", "医疗", "护理"):
            assert (await enter(svc, call_id, "cc-u2", "cc-d2", category=category)).status_code == 201
        fourth = await enter(svc, call_id, "cc-u2", "cc-d6")
        assert fourth.status_code == 409
        body = problem(fourth)
        assert body["errors"][0]["field"] == "unit_id" and "3个以内" in body["detail"]
        assert len(await entries_of(svc, call_id)) == 3
        assert (await enter(svc, call_id, "cc-u3", "cc-d3")).status_code == 201  # other units are not counted

    async def test_concurrent_entries_of_one_unit_stop_at_three(self, svc: RunningService, call_id: str) -> None:
        results = await asyncio.gather(*[enter(svc, call_id, "cc-u2", "cc-d2", title=f"案例{i}") for i in range(6)])
        assert sorted(r.status_code for r in results) == [201, 201, 201, 409, 409, 409]
        assert len(await entries_of(svc, call_id)) == 3

    @pytest.mark.parametrize(("changes", "field"), [
        ({"background": "儿" * 201}, "background"),
        ({"implementation": "儿" * 501}, "implementation"),
        ({"results": "儿" * 301}, "results"),
        ({"pledge": False}, "pledge"),
        ({"category": "科研"}, "category"),
        ({"has_pediatrics": False}, "unit_id"),
        ({"title": "  "}, "title"),
    ])
    async def test_bad_outline(self, svc: RunningService, call_id: str, changes: dict[str, Any], field: str) -> None:
        r = await enter(svc, call_id, "cc-u2", "cc-d2", **changes)
        assert r.status_code == 422 and problem(r)["errors"][0]["field"] == field
        assert await entries_of(svc, call_id) == []

    async def test_limits_count_characters_not_bytes(self, svc: RunningService, call_id: str) -> None:
        assert (await enter(svc, call_id, "cc-u2", "cc-d2", background="儿" * 200)).status_code == 201

    async def test_author_of_another_unit(self, svc: RunningService, call_id: str) -> None:
        r = await enter(svc, call_id, "cc-u2", "cc-d3")
        assert r.status_code == 422 and problem(r)["errors"][0]["field"] == "authors[0]"

    async def test_doctors_enter_only_when_the_call_allows(self, svc: RunningService, call_id: str) -> None:
        body = outline(authors=["cc-d2"])
        r = await post(svc.client, f"/case-calls/{call_id}/entries", body, doctor("cc-d2", "cc-u2"))
        assert r.status_code == 403
        opened = await post(svc.client, f"/alliances/{A}/case-calls",
                            {"title": "科普作品征集", "closes_on": "2024-03-31", "doctors_may_submit": True}, office(A))
        r = await post(svc.client, f"/case-calls/{opened.json()['call_id']}/entries", body, doctor("cc-d2", "cc-u2"))
        assert r.status_code == 201 and r.json()["unit_id"] == "cc-u2"

    async def test_deadline_is_the_end_of_the_day_in_shanghai(self, svc: RunningService, call_id: str) -> None:
        clock = svc.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.set(datetime(2024, 3, 20, 23, 59, 59, tzinfo=SHANGHAI))
        assert (await enter(svc, call_id, "cc-u2", "cc-d2")).status_code == 201
        clock.set(datetime.fromisoformat("2024-03-20T16:00:00+00:00"))  # still the 20th in UTC
        late = await enter(svc, call_id, "cc-u3", "cc-d3")
        assert late.status_code == 409 and "逾期不予受理" in problem(late)["detail"]
        assert len(await entries_of(svc, call_id)) == 1

    async def test_units_see_their_own_entries(self, svc: RunningService, call_id: str) -> None:
        await enter(svc, call_id, "cc-u2", "cc-d2")
        await enter(svc, call_id, "cc-u3", "cc-d3")
        r = await svc.client.get(f"/case-calls/{call_id}/entries", headers=unit_admin("cc-u3"))
        assert [e["unit_id"] for e in r.json()["items"]] == ["cc-u3"]
        assert (await svc.client.get(f"/case-calls/{call_id}/entries", headers=unit_admin("nobody"))
                ).status_code == 404


class TestJudgingAndAwards:
    async def eight_entries(self, svc: RunningService, call_id: str) -> list[dict[str, Any]]:
        made = []
        for unit, author in [("cc-u1", "cc-d1"), ("cc-u1", "cc-d5"), ("cc-u2", "cc-d2"), ("cc-u2", "cc-d6"),
                             ("cc-u3", "cc-d3"), ("cc-u3", "cc-d7"), ("cc-u4", "cc-d4"), ("cc-u4", "cc-d8")]:
            r = await enter(svc, call_id, unit, author)
            assert r.status_code == 201, r.text
            made.append(r.json())
        return made

    async def score_all(self, svc: RunningService, call_id: str, entries: list[dict[str, Any]]) -> None:
        for i, entry in enumerate(entries):
            for judge, mark in (("j1", 60 + 4 * i), ("j2", 61 + 4 * i)):
                r = await post(svc.client, f"/case-calls/{call_id}/scores",
                               {"entry_id": entry["entry_id"], "judge_id": judge, "score": str(mark)}, office(A))
                assert r.status_code == 201, r.text

    async def test_full_flow(self, svc: RunningService, call_id: str) -> None:
        entries = await self.eight_entries(svc, call_id)
        early = await post(svc.client, f"/case-calls/{call_id}/scores",
                           {"entry_id": entries[0]["entry_id"], "judge_id": "j1", "score": "80"}, office(A))
        assert early.status_code == 409 and "尚未截止" in problem(early)["detail"]
        clock = svc.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.set(datetime(2024, 3, 25, 9, tzinfo=SHANGHAI))
        await self.score_all(svc, call_id, entries)
        out_of_range = await post(svc.client, f"/case-calls/{call_id}/scores",
                                  {"entry_id": entries[0]["entry_id"], "judge_id": "j3", "score": "100.5"}, office(A))
        assert out_of_range.status_code == 422 and problem(out_of_range)["errors"][0]["field"] == "score"
        twice = await post(svc.client, f"/case-calls/{call_id}/scores",
                           {"entry_id": entries[0]["entry_id"], "judge_id": "j1", "score": "70"}, office(A))
        assert twice.status_code == 409

        ranking = (await svc.client.get(f"/case-calls/{call_id}/ranking", headers=auditor())).json()
        assert (ranking["entries"], ranking["excellent_limit"]) == (8, 2)
        assert ranking["ranking"][0] == {"entry_id": entries[7]["entry_id"], "average": "88.5", "rank": 1}

        best, second, third = entries[7], entries[6], entries[5]
        too_many = await post(svc.client, f"/case-calls/{call_id}/awards", {"awards": [
            {"entry_id": e["entry_id"]} for e in (best, second, third)]}, office(A))
        assert too_many.status_code == 422
        assert "最多2个" in problem(too_many)["detail"] and problem(too_many)["errors"][0]["field"] == "awards"
        assert await outbox_events(svc, "alliance.evaluation.prize.awarded") == []

        awarded = await post(svc.client, f"/case-calls/{call_id}/awards",
                             {"awards": [{"entry_id": best["entry_id"]}, {"entry_id": second["entry_id"]}]},
                             office(A))
        assert awarded.status_code == 200, awarded.text
        events = {e.data["doctor_id"]: e for e in await outbox_events(svc, "alliance.evaluation.prize.awarded")}
        assert len(events) == 8
        assert {d: e.data["variant"] for d, e in events.items()} == {
            "cc-d1": "participation", "cc-d5": "participation", "cc-d2": "participation", "cc-d6": "participation",
            "cc-d3": "participation", "cc-d7": "participation", "cc-d4": "ungraded", "cc-d8": "ungraded"}
        d8 = events["cc-d8"]
        assert d8.id == d8.data["award_id"] and d8.subject == call_id
        assert {k: v for k, v in d8.data.items() if k not in ("award_id", "occurred_at")} == {
            "activity_id": call_id, "activity_kind": "case_selection", "doctor_id": "cc-d8", "unit_id": "cc-u4",
            "alliance_id": A, "rule": "R03c", "variant": "ungraded", "ref": best["entry_id"],
            "business_date": "2024-03-25"}
        assert len({e.data["award_id"] for e in events.values()}) == 8
        again = await post(svc.client, f"/case-calls/{call_id}/awards", {"awards": []}, office(A))
        assert again.status_code == 409

    async def test_only_the_office_judges(self, svc: RunningService, call_id: str) -> None:
        entries = await self.eight_entries(svc, call_id)
        body = {"entry_id": entries[0]["entry_id"], "judge_id": "j1", "score": "80"}
        assert (await post(svc.client, f"/case-calls/{call_id}/scores", body, unit_admin("cc-u1"))).status_code == 403
        assert (await post(svc.client, f"/case-calls/{call_id}/scores", body, office("other"))).status_code == 404
        assert (await post(svc.client, f"/case-calls/{call_id}/awards", {"awards": []}, auditor())).status_code == 403
