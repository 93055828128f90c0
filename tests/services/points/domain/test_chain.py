from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from services.points.domain.canonical import (
    canonical_entry,
    canonical_json,
    entry_document,
    format_instant,
    parse_instant,
)
from services.points.domain.chain import (
    GENESIS_PREV_HASH,
    Checkpoint,
    HashChain,
    build_chain,
    generate_signing_key,
    key_id,
    link_hash,
    load_private_key,
    load_public_key,
    public_key_pem,
    public_key_raw_b64,
    save_private_key,
    sign_checkpoint,
    verify_checkpoint,
)

from .builders import T0, an_adjustment, an_award, an_award_entry


class TestCanonicalEntry:
    def test_is_sorted_compact_ascii_json(self) -> None:
        data = canonical_entry(an_award_entry(entry_id="e-c1"), 7)
        obj = json.loads(data)
        assert list(obj) == sorted(obj)
        assert canonical_json(obj) == data

    def test_amounts_are_integer_tenths(self) -> None:
        entry = an_award_entry(award=an_award(rule="R01b", variant="visit", quantity=1))
        assert entry_document(entry, 1)["postings"] == [["issuing:hn-peds", -5], ["member:D1", 5]]

    def test_instants_are_utc_with_z(self) -> None:
        at = datetime(2025, 1, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=8)))
        doc = entry_document(an_award_entry(at=at), 1)
        assert doc["occurred_at"] == "2024-12-31T16:00:00.000000Z"
        assert parse_instant(doc["occurred_at"]) == at

    def test_same_entry_same_bytes(self) -> None:
        entry = an_award_entry(entry_id="e-same")
        assert canonical_entry(entry, 3) == canonical_entry(entry, 3)
        assert canonical_entry(entry, 3) != canonical_entry(entry, 4)

    def test_chinese_text_is_escaped_to_ascii(self) -> None:
        data = canonical_entry(an_adjustment(), 1)
        assert data.isascii() and "2024年度更正" in json.loads(data)["memo"]

    def test_decimal_facts_become_exact_text(self) -> None:
        entry = an_award_entry(award=an_award(rule="R11", variant="short_training",
                                              facts={"duration_months": Decimal("2.5")}))
        assert entry_document(entry, 1)["facts"] == {"duration_months": "2.5"}

    def test_floats_are_refused(self) -> None:
        with pytest.raises(TypeError):
            canonical_json({"a": [1, {"b": 0.5}]})

    def test_naive_instant_is_refused(self) -> None:
        with pytest.raises(ValueError):
            format_instant(datetime(2024, 1, 1))


class TestHashChain:
    def test_genesis_prev_hash_is_32_zero_bytes(self) -> None:
        link = HashChain().append(an_award_entry())
        assert link.position == 1 and link.prev_hash == bytes(32) == GENESIS_PREV_HASH

    def test_hash_is_sha256_of_prev_and_canonical(self) -> None:
        chain = HashChain()
        first, second = chain.append(an_award_entry()), chain.append(an_award_entry())
        assert second.prev_hash == first.hash
        assert second.hash == hashlib.sha256(first.hash + second.canonical).digest()
        assert second.hash == link_hash(first.hash, second.canonical)

    def test_checkpoint_due_every_n(self) -> None:
        chain = HashChain()
        due = []
        for _ in range(7):
            chain.append(an_award_entry())
            due.append(chain.checkpoint_due(3))
        assert due == [False, False, True, False, False, True, False]

    def test_resumes_from_a_head(self) -> None:
        entries = [an_award_entry() for _ in range(3)]
        full = HashChain()
        links = [full.append(e) for e in entries]
        resumed = HashChain(links[1].hash, 2)
        assert resumed.append(entries[2]) == links[2]


class TestCheckpoint:
    def test_signed_checkpoint_verifies(self) -> None:
        key = generate_signing_key()
        signed = sign_checkpoint(Checkpoint(10, bytes(range(32)), 10, T0), key)
        assert verify_checkpoint(signed, key.public_key())

    def test_changed_head_fails(self) -> None:
        key = generate_signing_key()
        signed = sign_checkpoint(Checkpoint(10, bytes(32), 10, T0), key)
        forged = type(signed)(Checkpoint(10, bytes(range(32)), 10, T0), signed.signature)
        assert not verify_checkpoint(forged, key.public_key())

    def test_other_key_fails(self) -> None:
        signed = sign_checkpoint(Checkpoint(1, bytes(32), 1, T0), generate_signing_key())
        assert not verify_checkpoint(signed, generate_signing_key().public_key())

    def test_build_chain_checkpoints_every_n_and_seals(self) -> None:
        links, checkpoints = build_chain([an_award_entry() for _ in range(7)], every=3,
                                         key=generate_signing_key(), at=T0)
        assert [c.checkpoint.position for c in checkpoints] == [3, 6, 7]
        assert checkpoints[-1].checkpoint.head_hash == links[-1].hash


class TestKeys:
    def test_private_key_round_trip_with_0600(self, tmp_path: Path) -> None:
        key, path = generate_signing_key(), tmp_path / "k.pem"
        save_private_key(path, key, b"pw")
        assert path.stat().st_mode & 0o777 == 0o600
        assert load_private_key(path, b"pw").public_key() == key.public_key()

    def test_public_key_pem_and_raw_base64(self) -> None:
        public = generate_signing_key().public_key()
        assert load_public_key(public_key_pem(public)) == public
        assert load_public_key(public_key_raw_b64(public).encode()) == public
        assert len(key_id(public)) == 16

    def test_garbage_public_key_is_refused(self) -> None:
        with pytest.raises(ValueError):
            load_public_key(b"not a key")
