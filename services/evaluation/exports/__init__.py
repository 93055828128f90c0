"""Exports (导出): one ``Document`` (title, facts, one table) rendered as XLSX (openpyxl) or PDF (reportlab,
CJK text in the built-in ``STSong-Light`` CID font, so no font file has to ship)."""
