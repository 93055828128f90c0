"""Render a 标牌 as SVG (mm units, viewBox 0 0 600 400) or PDF (page 600 mm × 400 mm).

Fonts: 附件3 asks for 华文行楷 (alliance name) and 黑体 (the rest). The SVG names them and falls back to
common CJK faces. The PDF uses reportlab's built-in CID font STSong-Light (no download, no embedding);
bold is drawn as fill + stroke. Shops making the brass plate set the final typeface.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from services.registry.plaque.content import PlaqueContent
from services.registry.plaque.layout import HEIGHT_MM, WIDTH_MM, Line, layout

PDF_FONT = "STSong-Light"
_SVG_FACES = {
    "hei": "'SimHei', '黑体', 'Heiti SC', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif",
    "xingkai": "'STXingkai', '华文行楷', 'KaiTi', '楷体', 'STKaiti', serif",
}


def render_svg(content: PlaqueContent) -> str:
    lines = layout(content)
    title = f"{content.alliance_name} {content.role.label} {content.hospital_name}"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_MM}mm" height="{HEIGHT_MM}mm" '
        f'viewBox="0 0 {WIDTH_MM} {HEIGHT_MM}" xml:lang="zh-CN">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH_MM}" height="{HEIGHT_MM}" fill="#D9C7A0"/>',
        f'<rect x="15" y="15" width="{WIDTH_MM - 30}" height="{HEIGHT_MM - 30}" fill="none" '
        'stroke="#8C6A2F" stroke-width="2"/>',
        *(_svg_text(line) for line in lines),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _svg_text(line: Line) -> str:
    attrs = {
        "x": f"{line.x:g}", "y": f"{line.baseline:g}", "font-size": f"{line.size:g}",
        "font-family": _SVG_FACES[line.face], "fill": line.colour,
        "text-anchor": "middle" if line.centred else "start",
    }
    if line.bold:
        attrs["font-weight"] = "bold"
    rendered = " ".join(f"{key}={quoteattr(value)}" for key, value in attrs.items())
    return f"<text {rendered}>{escape(line.text)}</text>"


def render_pdf(content: PlaqueContent) -> bytes:
    _register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH_MM * mm, HEIGHT_MM * mm), invariant=1)
    canvas.setTitle(f"{content.alliance_name} {content.role.label}标牌")
    canvas.setSubject(content.hospital_name)
    _pdf_background(canvas)
    for line in layout(content):
        _pdf_text(canvas, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _register_font() -> None:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def _pdf_background(canvas: Canvas) -> None:
    canvas.setFillColor(HexColor("#D9C7A0"))
    canvas.rect(0, 0, WIDTH_MM * mm, HEIGHT_MM * mm, stroke=0, fill=1)
    canvas.setStrokeColor(HexColor("#8C6A2F"))
    canvas.setLineWidth(2 * mm)
    canvas.rect(15 * mm, 15 * mm, (WIDTH_MM - 30) * mm, (HEIGHT_MM - 30) * mm, stroke=1, fill=0)


def _pdf_text(canvas: Canvas, line: Line) -> None:
    size = line.size * mm
    width = pdfmetrics.stringWidth(line.text, PDF_FONT, size)
    x = line.x * mm - (width / 2 if line.centred else 0)
    text = canvas.beginText(x, (HEIGHT_MM - line.baseline) * mm)
    text.setFont(PDF_FONT, size)
    text.setFillColor(HexColor(line.colour))
    if line.bold:  # STSong-Light has no bold face: stroke the outline as well as filling it
        text.setStrokeColor(HexColor(line.colour))
        canvas.setLineWidth(size * 0.03)
        text.setTextRenderMode(2)
    text.textOut(line.text)
    canvas.drawText(text)
