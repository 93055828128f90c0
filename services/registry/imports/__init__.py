"""Bulk import of 机构 and 医师 lists from CSV / XLSX as offices keep them (Chinese headers), all-or-nothing."""
