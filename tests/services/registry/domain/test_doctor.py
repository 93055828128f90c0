from datetime import date

import pytest

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.doctor import Doctor, UnitHistory, UnitPeriod, deregister, move, register
from tests.services.registry.builders import make_ric, random_id


class TestDoctor:
    def test_with_resident_id(self) -> None:
        number = make_ric()
        doctor = Doctor.create(doctor_id=random_id(), name="李医生", practice_cert_no="110430122000123",
                               resident_id=number)
        assert doctor.resident_id == number
        assert doctor.masked_resident_id == number[:6] + "********" + number[-4:]

    def test_resident_id_optional(self) -> None:
        assert Doctor.create(doctor_id="d", name="李", practice_cert_no="110430122000123").resident_id is None

    def test_invalid_ric_and_certificate_reported_together(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Doctor.create(doctor_id="d", name="李", practice_cert_no="12345", resident_id="430102199001011234")
        assert {e["field"] for e in exc.value.errors} == {"practice_cert_no", "resident_id"}


class TestUnitHistory:
    def test_moves_keep_history(self) -> None:
        history = register(UnitHistory("d"), institution_id="A", on=date(2020, 1, 1))
        history = move(history, to_institution_id="B", on=date(2023, 7, 1))
        history = move(history, to_institution_id="C", on=date(2025, 1, 1))
        assert history.periods == (
            UnitPeriod("A", date(2020, 1, 1), date(2023, 7, 1)),
            UnitPeriod("B", date(2023, 7, 1), date(2025, 1, 1)),
            UnitPeriod("C", date(2025, 1, 1)),
        )
        assert history.unit_on(date(2023, 6, 30)) == "A"
        assert history.unit_on(date(2023, 7, 1)) == "B"
        assert history.current.institution_id == "C"  # type: ignore[union-attr]

    def test_move_to_same_unit_refused(self) -> None:
        history = register(UnitHistory("d"), institution_id="A", on=date(2020, 1, 1))
        with pytest.raises(Conflict, match="相同"):
            move(history, to_institution_id="A", on=date(2021, 1, 1))

    def test_move_not_after_current_start_refused(self) -> None:
        history = register(UnitHistory("d"), institution_id="A", on=date(2020, 1, 1))
        with pytest.raises(InvalidInput, match="须晚于"):
            move(history, to_institution_id="B", on=date(2020, 1, 1))

    def test_register_while_registered_refused(self) -> None:
        history = register(UnitHistory("d"), institution_id="A", on=date(2020, 1, 1))
        with pytest.raises(Conflict, match="调动"):
            register(history, institution_id="B", on=date(2021, 1, 1))

    def test_register_again_after_deregistering(self) -> None:
        history = deregister(register(UnitHistory("d"), institution_id="A", on=date(2020, 1, 1)), on=date(2021, 1, 1))
        assert history.current is None
        again = register(history, institution_id="B", on=date(2022, 1, 1))
        assert again.unit_on(date(2021, 6, 1)) is None
        with pytest.raises(InvalidInput):
            register(history, institution_id="B", on=date(2020, 6, 1))

    def test_overlapping_periods_refused(self) -> None:
        with pytest.raises(InvalidInput, match="不能重叠"):
            UnitHistory.from_periods("d", [UnitPeriod("A", date(2020, 1, 1), date(2022, 1, 1)),
                                           UnitPeriod("B", date(2021, 1, 1))])

    def test_two_open_periods_refused(self) -> None:
        with pytest.raises(InvalidInput, match="不能重叠"):
            UnitHistory.from_periods("d", [UnitPeriod("A", date(2020, 1, 1)), UnitPeriod("B", date(2021, 1, 1))])
