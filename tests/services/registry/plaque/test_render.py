import base64
import re
import xml.etree.ElementTree as ET
import zlib
from datetime import date

import pytest

from libs.kit.errors import Conflict
from services.registry.domain.alliance import MemberRole
from services.registry.domain.membership import Membership, leave
from services.registry.domain.status import FilingStatus
from services.registry.plaque.content import PlaqueContent, plaque_content
from services.registry.plaque.layout import RED, em_width, fit
from services.registry.plaque.render import render_pdf, render_svg

SVG = "{http://www.w3.org/2000/svg}"
HOSPITAL = "长沙市第一医院"
ALLIANCE = "湖南省儿科专科联盟"


def content(*, role: MemberRole = MemberRole.VICE_CHAIR, status: FilingStatus = FilingStatus.OPERATING,
            membership: Membership | None = None) -> PlaqueContent:
    member = membership or Membership("a", "i", role, date(2025, 1, 1))
    return plaque_content(hospital_name=HOSPITAL, alliance_name=ALLIANCE, status=status, membership=member,
                          founded_on=date(2024, 12, 16), on=date(2025, 3, 1))


def pdf_text(data: bytes) -> str:
    """Text shown by Tj in every page stream; STSong-Light strings are UCS-2 big-endian."""
    shown = []
    for dictionary, stream in re.findall(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)\s*endstream", data, re.S):
        if b"/ASCII85Decode" in dictionary:
            stream = base64.a85decode(stream.strip().removesuffix(b"~>"))
        if b"/FlateDecode" in dictionary:
            stream = zlib.decompress(stream)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            shown.append(_unescape(literal).decode("utf-16-be"))
    return "".join(shown)


def _unescape(literal: bytes) -> bytes:
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")",
              b"\\": b"\\"}

    def one(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        return bytes([int(token, 8)]) if token[:1].isdigit() else simple[token]

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


class TestContent:
    def test_validity_is_four_years_from_founding(self) -> None:
        got = content()
        assert (got.valid_from, got.valid_to) == (date(2024, 12, 16), date(2028, 12, 16))
        assert got.validity_text == "有效期：2024年12月16日至2028年12月16日"

    @pytest.mark.parametrize("status", [s for s in FilingStatus if s is not FilingStatus.OPERATING])
    def test_refused_unless_operating(self, status: FilingStatus) -> None:
        with pytest.raises(Conflict, match="未挂牌运行") as exc:
            content(status=status)
        assert exc.value.status == 409

    def test_refused_for_unit_that_left(self) -> None:
        left = leave(Membership("a", "i", MemberRole.MEMBER, date(2025, 1, 1)), left_on=date(2025, 2, 1))
        with pytest.raises(Conflict, match="不是本联盟的成员单位"):
            content(membership=left)


class TestSvg:
    def test_size_and_texts(self) -> None:
        root = ET.fromstring(render_svg(content()).encode("utf-8"))
        assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("600mm", "400mm", "0 0 600 400")
        texts = {t.text: t for t in root.iter(f"{SVG}text")}
        assert set(texts) == {HOSPITAL, ALLIANCE, "副主席单位", "有效期：2024年12月16日至2028年12月16日"}
        assert texts[HOSPITAL].get("text-anchor") == "start"
        assert texts[ALLIANCE].get("fill") == RED
        role = texts["副主席单位"]
        assert (role.get("fill"), role.get("font-weight"), role.get("text-anchor")) == (RED, "bold", "middle")

    @pytest.mark.parametrize("role", list(MemberRole))
    def test_each_role(self, role: MemberRole) -> None:
        assert f">{role.label}<" in render_svg(content(role=role))

    def test_markup_is_escaped(self) -> None:
        odd = PlaqueContent("A&B <医院>", ALLIANCE, MemberRole.MEMBER, date(2024, 1, 1), date(2028, 1, 1))
        root = ET.fromstring(render_svg(odd).encode("utf-8"))
        assert "A&B <医院>" in [t.text for t in root.iter(f"{SVG}text")]


class TestPdf:
    def test_page_is_600_by_400_mm(self) -> None:
        data = render_pdf(content())
        assert data.startswith(b"%PDF-")
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        assert box is not None
        width_mm, height_mm = (float(v) / 72 * 25.4 for v in box.groups())
        assert (round(width_mm, 1), round(height_mm, 1)) == (600.0, 400.0)

    def test_text_present(self) -> None:
        text = pdf_text(render_pdf(content(role=MemberRole.LEAD)))
        for expected in (HOSPITAL, ALLIANCE, "主席单位", "2024年12月16日至2028年12月16日"):
            assert expected in text

    def test_deterministic(self) -> None:
        assert render_pdf(content()) == render_pdf(content())


class TestLayout:
    def test_long_names_shrink_to_fit(self) -> None:
        name = "中南大学湘雅医学院附属第一医院长沙市妇幼保健院联合体院区"
        size = fit(name, preferred=36, width=500)
        assert size * em_width(name) <= 500
        assert size < 36
