"""A ``Document`` as a landscape A4 PDF; Chinese text uses reportlab's built-in CID font STSong-Light."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.evaluation.exports.document import Document

FONT = "STSong-Light"


def _font() -> str:
    # Registered on first use (not at import time); registering twice is harmless but wasteful.
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    return title, body, cell


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render(document: Document) -> bytes:
    title, body, cell = _styles()
    out = BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=document.title)
    story: list[object] = [_p(document.title, title)]
    story += [_p(f"{label}：{value}", body) for label, value in document.facts]
    story.append(Spacer(1, 4 * mm))
    data = [[_p(h, cell) for h in document.headers]] + [[_p(v, cell) for v in row] for row in document.rows]
    table = Table(data, colWidths=_widths(document, page[0] - 24 * mm), repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    story += [_p(note, body) for note in document.notes]
    doc.build(story)
    return out.getvalue()


def _widths(document: Document, usable: float) -> list[float] | None:
    if len(document.widths) != len(document.headers):
        return None
    total = sum(document.widths)
    return [usable * w / total for w in document.widths]
