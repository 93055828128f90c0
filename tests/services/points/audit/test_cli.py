from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.points.audit.__main__ import main
from services.points.domain.keys import public_key_pem, public_key_raw_b64

from .exports import at, edit, make_export

REPO = Path(__file__).resolve().parents[4]


def _write(tmp_path: Path, lines: list[bytes], key) -> tuple[Path, Path]:
    export, public = tmp_path / "ledger.ndjson", tmp_path / "points.pub"
    export.write_bytes(b"".join(lines))
    public.write_bytes(public_key_pem(key.public_key()))
    return export, public


class TestVerifyCommand:
    def test_intact_export_exits_0_with_a_bilingual_summary(self, tmp_path, capsys) -> None:
        lines, key = make_export(n=12, every=5)
        export, public = _write(tmp_path, lines, key)
        assert main(["verify", "--export", str(export), "--public-key", str(public)]) == 0
        out = capsys.readouterr().out
        assert "校验通过" in out and "OK: 12 entries" in out

    def test_raw_base64_public_key_is_accepted(self, tmp_path) -> None:
        lines, key = make_export(n=3, every=5)
        export, public = _write(tmp_path, lines, key)
        public.write_text(public_key_raw_b64(key.public_key()))
        assert main(["verify", "--export", str(export), "--public-key", str(public)]) == 0

    def test_tampered_export_exits_1_naming_position_and_kind(self, tmp_path, capsys) -> None:
        lines, key = make_export(n=12, every=5)
        lines[at(lines, 9)] = edit(lines[at(lines, 9)])
        export, public = _write(tmp_path, lines, key)
        assert main(["verify", "--export", str(export), "--public-key", str(public)]) == 1
        out = capsys.readouterr().out
        assert "altered at position 9" in out and "第 9 条" in out

    def test_unreadable_key_exits_2(self, tmp_path) -> None:
        lines, key = make_export(n=3, every=5)
        export, public = _write(tmp_path, lines, key)
        public.write_text("nonsense")
        assert main(["verify", "--export", str(export), "--public-key", str(public)]) == 2

    def test_missing_export_exits_2(self, tmp_path) -> None:
        _, key = make_export(n=1, every=5)
        _, public = _write(tmp_path, [], key)
        assert main(["verify", "--export", str(tmp_path / "none"), "--public-key", str(public)]) == 2

    def test_missing_arguments_exit_2(self) -> None:
        with pytest.raises(SystemExit) as err:
            main(["verify"])
        assert err.value.code == 2

    def test_runs_as_a_module(self, tmp_path) -> None:
        lines, key = make_export(n=4, every=2)
        export, public = _write(tmp_path, lines, key)
        done = subprocess.run([sys.executable, "-m", "services.points.audit", "verify", "--export", str(export),
                               "--public-key", str(public)], cwd=REPO, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "OK: 4 entries" in done.stdout
