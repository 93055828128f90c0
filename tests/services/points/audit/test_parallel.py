from __future__ import annotations

from pathlib import Path

import pytest

from services.points.audit import parallel
from services.points.audit.parallel import verify_export_parallel
from services.points.audit.verify import verify_export

from .exports import at, edit, make_export


@pytest.fixture(autouse=True)
def small_files_in_parallel(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)


def _file(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"".join(lines))
    return path


class TestVerifyExportParallel:
    @pytest.mark.parametrize("jobs", [2, 3, 7])
    def test_intact_export_gives_the_same_result(self, tmp_path, jobs) -> None:
        lines, key = make_export(n=40, every=4)
        path = _file(tmp_path, lines)
        assert verify_export_parallel(path, key.public_key(), jobs=jobs) == verify_export(path, key.public_key())

    @pytest.mark.parametrize("position", [1, 13, 21, 40])
    def test_tampered_export_gives_the_same_finding(self, tmp_path, position) -> None:
        lines, key = make_export(n=40, every=4)
        lines[at(lines, position)] = edit(lines[at(lines, position)])
        path = _file(tmp_path, lines)
        result = verify_export_parallel(path, key.public_key(), jobs=3)
        assert result.finding is not None and result.finding.position == position
        assert result == verify_export(path, key.public_key())

    def test_removed_row_at_a_seam_is_found(self, tmp_path) -> None:
        lines, key = make_export(n=40, every=4)
        path = _file(tmp_path, lines)
        for position in range(1, 41):
            del_lines = [line for i, line in enumerate(lines) if i != at(lines, position)]
            path.write_bytes(b"".join(del_lines))
            result = verify_export_parallel(path, key.public_key(), jobs=4)
            assert result.finding is not None and result.finding.position == position

    def test_unsealed_export_falls_back_to_the_exact_verdict(self, tmp_path) -> None:
        lines, key = make_export(n=10, every=4, seal=False)
        path = _file(tmp_path, lines)
        result = verify_export_parallel(path, key.public_key(), jobs=2)
        assert result.finding is not None and result.finding.position == 9
