"""The directory replica from registry events, through JetStream: late, out-of-order events never roll a newer
fact back; a dissolved alliance can no longer be worked on."""

from __future__ import annotations

from datetime import UTC, date, datetime

from libs.events.schemas import registry as reg
from services.evaluation.persistence import directory as repo
from tests.harness.services import RunningService

from .harness import directory, office, post, problem, publish

T1, T2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)


def status(operating: bool, to_status: str) -> reg.AllianceStatusChanged:
    return reg.AllianceStatusChanged(alliance_id="dir-a", name="湖南省儿科专科联盟", region_code="430000",
                                     specialty_code="07", level="province", from_status=None, to_status=to_status,
                                     operating=operating, actor="registry")


async def test_late_events_do_not_roll_back(svc: RunningService) -> None:
    await publish(svc, status(True, "operating"), at=T2)
    await publish(svc, status(False, "preparing"), at=T1)  # older, delivered later
    await publish(svc, reg.MemberLeft(alliance_id="dir-a", institution_id="dir-u1", effective_date=date(2024, 6, 1)),
                  reg.MemberJoined(alliance_id="dir-a", institution_id="dir-u1", role="member",
                                   effective_date=date(2023, 1, 1)),
                  reg.MemberJoined(alliance_id="dir-a", institution_id="dir-u2", role="lead",
                                   effective_date=date(2023, 1, 1)),
                  reg.DoctorMoved(doctor_id="dir-d1", from_institution_id="dir-u1", to_institution_id="dir-u2",
                                  effective_date=date(2024, 3, 1)),
                  reg.DoctorRegistered(doctor_id="dir-d1", institution_id="dir-u1", display_name="d",
                                       effective_date=date(2020, 1, 1)))
    async with svc.runtime.transaction() as session:
        alliance = await repo.get_alliance(session, "dir-a")
        assert (alliance.operating, alliance.status) == (True, "operating")
        assert await repo.members(session, "dir-a") == {"dir-u2": "lead"}
        assert await repo.doctor_unit(session, "dir-d1") == "dir-u2"


async def test_dissolved_alliance_refuses_activity(svc: RunningService) -> None:
    await directory(svc, alliance_id="dir-b", units={"dir-b1": "lead"})
    await publish(svc, reg.AllianceDissolved(alliance_id="dir-b", reason="连续2年评价不合格"))
    r = await post(svc.client, "/alliances/dir-b/case-calls", {"title": "案例征集", "closes_on": "2099-01-01"},
                   office("dir-b"))
    assert r.status_code == 409 and problem(r)["code"] == "alliance_not_operating"
    assert "已撤销" in problem(r)["detail"] and problem(r)["status_code"] == "dissolved"
