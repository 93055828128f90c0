"""Accounts of the double-entry 积分 ledger.

- ``issuing:<alliance_id>``  — where awarded points come from (its balance is minus all points issued);
- ``member:<doctor_id>``     — a doctor's spendable 个人积分;
- ``pending:<doctor_id>``    — points held for a 兑换 (redemption) awaiting confirmation;
- ``redeemed:<alliance_id>`` — points spent on prizes (已用于兑换的积分予以抵扣);
- ``unit:<institution_id>``  — points awarded to a member unit itself (counted in its 集体积分).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from libs.kit.errors import InvalidInput

# Ids end up in hashed canonical bytes: keep them plain so they encode identically everywhere.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class AccountKind(StrEnum):
    ISSUING = "issuing"
    MEMBER = "member"
    PENDING = "pending"
    REDEEMED = "redeemed"
    UNIT = "unit"

    @property
    def holds_points_of_a_person(self) -> bool:
        """Balances of these accounts may never go below zero."""
        return self in (AccountKind.MEMBER, AccountKind.PENDING, AccountKind.UNIT)


@dataclass(frozen=True, slots=True, order=True)
class Account:
    kind: AccountKind
    owner: str

    def __post_init__(self) -> None:
        if not isinstance(self.owner, str) or not _ID.match(self.owner):
            raise InvalidInput(f"账户标识无效：{str(self.owner)[:40]!r}", field="account")

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.owner}"

    @classmethod
    def parse(cls, text: str) -> Account:
        kind, sep, owner = text.partition(":")
        if not sep or kind not in AccountKind._value2member_map_:
            raise InvalidInput(f"账户格式无效：{text[:40]!r}", field="account")
        return cls(AccountKind(kind), owner)


def issuing(alliance_id: str) -> Account:
    return Account(AccountKind.ISSUING, alliance_id)


def member(doctor_id: str) -> Account:
    return Account(AccountKind.MEMBER, doctor_id)


def pending(doctor_id: str) -> Account:
    return Account(AccountKind.PENDING, doctor_id)


def redeemed(alliance_id: str) -> Account:
    return Account(AccountKind.REDEEMED, alliance_id)


def unit(institution_id: str) -> Account:
    return Account(AccountKind.UNIT, institution_id)
