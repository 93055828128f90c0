"""Plaque layout in millimetres, shared by the SVG and PDF renderers so both look the same.

60 cm wide × 40 cm high (landscape). 医院名称 left-aligned, everything else centred (附件3 格式要求).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from services.registry.plaque.content import PlaqueContent

WIDTH_MM = 600
HEIGHT_MM = 400
MARGIN_MM = 50
RED = "#C8161D"
BLACK = "#000000"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x: float  # mm from the left edge (left end, or centre when ``centred``)
    baseline: float  # mm from the top edge
    size: float  # font size in mm
    colour: str
    face: str  # "hei" (黑体) or "xingkai" (华文行楷)
    bold: bool = False
    centred: bool = True


def em_width(text: str) -> float:
    """Width in ems: full-width (CJK) characters 1 em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def fit(text: str, *, preferred: float, width: float) -> float:
    """The preferred size, shrunk so the text fits ``width`` mm."""
    ems = em_width(text) or 1.0
    return min(preferred, math.floor(width / ems * 100) / 100)


def layout(content: PlaqueContent) -> list[Line]:
    usable = WIDTH_MM - 2 * MARGIN_MM
    return [
        Line(content.hospital_name, MARGIN_MM, 105, fit(content.hospital_name, preferred=36, width=usable),
             BLACK, "hei", centred=False),
        Line(content.alliance_name, WIDTH_MM / 2, 200, fit(content.alliance_name, preferred=52, width=usable),
             RED, "xingkai"),
        Line(content.role.label, WIDTH_MM / 2, 290, 60, RED, "hei", bold=True),
        Line(content.validity_text, WIDTH_MM / 2, 355, fit(content.validity_text, preferred=16, width=usable),
             BLACK, "hei"),
    ]
