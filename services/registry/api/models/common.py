"""Shared pieces: strict request base, bounded strings, counts as integers and decimals as strings."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class In(BaseModel):
    """Every request body: an unknown field is refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid")


Count = Annotated[int, Field(strict=True, description="非负整数（人次、床位、人数）")]
DecimalText = Annotated[str, Field(max_length=20, description="十进制数，以字符串传递（如 \"1.25\"、\"12.5\"）")]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(max_length=30)]
Name = Annotated[str, Field(max_length=100)]
Reason = Annotated[str, Field(max_length=500)]


class ContactIn(In):
    name: Annotated[str, Field(max_length=50)]
    phone: Short
    email: Annotated[str | None, Field(max_length=254)] = None


class ContactOut(BaseModel):
    name: str
    phone: str
    email: str | None = None


class Imported(BaseModel):
    row: int
    id: str
    name: str


class ImportResult(BaseModel):
    imported: int
    items: list[Imported]
