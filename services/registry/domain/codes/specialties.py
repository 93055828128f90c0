"""诊疗科目 (《医疗机构诊疗科目名录》): codes such as ``07`` 儿科, ``07.01`` 新生儿专业, ``04.02`` 神经外科专业.

Data: ``specialties-zlkm.tsv``; its header says which parts are complete and which are partial.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from libs.kit.errors import InvalidInput

DATA_FILE = Path(__file__).with_name("specialties-zlkm.tsv")
_SEPARATORS = "、，,;；/|\n"


@dataclass(frozen=True, slots=True)
class Specialty:
    """One 诊疗科目. ``label`` is how it reads inside an alliance name (``神经外科`` for 神经外科专业)."""

    code: str
    name: str
    parent_code: str | None
    label: str
    aliases: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every accepted spelling: label first, then the list name, then aliases."""
        return tuple(dict.fromkeys((self.label, self.name, *self.aliases)))


def specialties_version() -> str:
    return _load()[0]


def all_specialties() -> tuple[Specialty, ...]:
    return tuple(_load()[1].values())


def find_specialty(code_or_name: str) -> Specialty | None:
    """By code (``07.01``) or by any accepted name (``新生儿专业``, ``新生儿``)."""
    text = str(code_or_name).strip()
    by_code = _load()[1]
    return by_code.get(text) or _by_name().get(text)


def specialty(code_or_name: str, *, field: str = "specialty_code") -> Specialty:
    """The specialty or InvalidInput naming the field."""
    found = find_specialty(code_or_name)
    if found is None:
        raise InvalidInput(f"诊疗科目不存在：{str(code_or_name).strip()[:30]}", field=field)
    return found


def children(code: str) -> tuple[Specialty, ...]:
    return tuple(s for s in all_specialties() if s.parent_code == code)


def is_within_specialty(child: str, parent: str) -> bool:
    """``07.01`` is within ``07``; a code is within itself."""
    return child == parent or child.startswith(parent + ".")


def parse_specialty_list(raw: str | Iterable[str] | None, *, field: str) -> tuple[str, ...]:
    """``"儿科、新生儿专业"`` or ``["07", "07.01"]`` → ``("07", "07.01")``, in order, without repeats."""
    if raw is None:
        return ()
    items = _split(raw) if isinstance(raw, str) else [str(x).strip() for x in raw]
    codes = [specialty(item, field=field).code for item in items if item]
    return tuple(dict.fromkeys(codes))


def _split(text: str) -> list[str]:
    for sep in _SEPARATORS[1:]:
        text = text.replace(sep, _SEPARATORS[0])
    return [part.strip() for part in text.split(_SEPARATORS[0])]


@cache
def _by_name() -> dict[str, Specialty]:
    index: dict[str, Specialty] = {}
    for item in all_specialties():
        if item.name == "其他":  # "其他" repeats under every parent: only its label ("儿科其他") is unique
            index.setdefault(item.label, item)
            continue
        for name in item.names:
            index.setdefault(name, item)
    return index


@cache
def _load() -> tuple[str, dict[str, Specialty]]:
    version = ""
    table: dict[str, Specialty] = {}
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# version:"):
            version = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#") and not line.startswith("code\t"):
            code, name, parent, label, aliases = line.split("\t")
            table[code] = Specialty(code, name, parent or None, label, tuple(a for a in aliases.split("|") if a))
    return version, table
