from services.registry.domain.codes import build_regions


class TestBuild:
    def test_shipped_file_matches_a_fresh_build(self) -> None:
        """The committed TSV is exactly what the script makes from the installed python-stdnum."""
        assert build_regions.build(build_regions.source_path()) == build_regions.OUTPUT.read_text(encoding="utf-8")

    def test_parse_spells(self) -> None:
        spells = build_regions.parse_spells("[1983-1995]东区,[1996-]芙蓉区")
        assert [(s.name, s.start, s.end) for s in spells] == [("东区", 1983, 1995), ("芙蓉区", 1996, None)]
