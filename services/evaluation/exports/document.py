"""What an export shows, independent of the file format."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    title: str
    facts: list[tuple[str, str]]  # 标签 → 值, shown above the table
    headers: list[str]
    rows: list[list[str]]
    widths: list[int] = field(default_factory=list)  # relative column widths (characters)
    notes: list[str] = field(default_factory=list)  # shown below the table
