from __future__ import annotations

import json

import pytest

from services.points.audit.export import checkpoint_line
from services.points.audit.verify import TamperKind, verify_lines
from services.points.domain.chain import Checkpoint, generate_signing_key, sign_checkpoint
from tests.services.points.domain.builders import T0

from .exports import at, edit, entry_line, forged_after, is_entry, link_of, make_export, rehash_from

N = 20


@pytest.fixture(scope="module")
def export():
    return make_export(n=N, every=5)


def _verify(lines, key, **kw):
    return verify_lines(lines, key.public_key(), **kw)


def _finding(lines, key, **kw):
    result = _verify(lines, key, **kw)
    assert not result.ok
    return result.finding


class TestIntactExport:
    def test_verifies(self, export) -> None:
        lines, key = export
        result = _verify(lines, key)
        assert result.ok and result.finding is None
        assert (result.entries, result.checkpoints, result.covered_through) == (N, 4, N)
        assert result.head_hash == link_of(lines[at(lines, N)]).hash.hex()

    def test_empty_export_verifies(self) -> None:
        assert _verify([], generate_signing_key()).ok

    def test_crlf_line_ends_verify(self, export) -> None:
        lines, key = export
        assert _verify([line.rstrip(b"\n") + b"\r\n" for line in lines], key).ok

    def test_other_json_layout_verifies_through_the_slow_path(self, export) -> None:
        lines, key = export
        relaid = []
        for line in lines:
            obj = json.loads(line)
            relaid.append(json.dumps(dict(reversed(list(obj.items()))), indent=None).encode())
        assert _verify(relaid, key).ok

    def test_canonical_as_a_string_field_verifies(self, export) -> None:
        lines, key = export
        converted = []
        for line in lines:
            obj = json.loads(line)
            if obj["type"] == "entry":
                obj["canonical"] = link_of(line).canonical.decode()
                del obj["entry"]
            converted.append(json.dumps(obj).encode())
        assert _verify(converted, key).ok

    def test_unsealed_tail_is_accepted_only_when_allowed(self) -> None:
        lines, key = make_export(n=7, every=5, seal=False)
        assert _verify(lines, key, require_sealed=False).ok
        assert _finding(lines, key).kind is TamperKind.FORGED


class TestAltered:
    @pytest.mark.parametrize("position", [1, 7, 10, N])
    def test_edited_content_is_found_at_its_position(self, export, position) -> None:
        lines, key = export
        tampered = list(lines)
        tampered[at(lines, position)] = edit(lines[at(lines, position)])
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.ALTERED, position)

    def test_edited_stored_hash_is_altered(self, export) -> None:
        lines, key = export
        tampered = list(lines)
        i = at(lines, 7)
        link = link_of(lines[i])
        tampered[i] = entry_line(type(link)(7, link.prev_hash, bytes(32), link.canonical))
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.ALTERED, 7)

    def test_edit_rehashing_only_that_row_is_found_at_it(self, export) -> None:
        lines, key = export
        tampered = list(lines)
        i = at(lines, 7)
        tampered[i] = edit(lines[i])
        tampered = rehash_from(tampered, i)[: i + 1] + tampered[i + 1:]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.ALTERED, 7)


class TestRemoved:
    @pytest.mark.parametrize("position", [1, 7, 11, 19])
    def test_deleted_row_is_found_at_its_position(self, export, position) -> None:
        lines, key = export
        tampered = [line for i, line in enumerate(lines) if i != at(lines, position)]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.REMOVED, position)

    def test_deleted_last_row_is_found_by_the_seal(self, export) -> None:
        lines, key = export
        tampered = [line for i, line in enumerate(lines) if i != at(lines, N)]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.REMOVED, N)


class TestReordered:
    @pytest.mark.parametrize("position", [1, 7, 12, 18])
    def test_swapped_neighbours_are_found(self, export, position) -> None:
        lines, key = export
        i, j = at(lines, position), at(lines, position + 1)
        tampered = list(lines)
        tampered[i], tampered[j] = tampered[j], tampered[i]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.REORDERED, position)

    def test_row_moved_further_down_is_found(self, export) -> None:
        lines, key = export
        i = at(lines, 6)
        moved = lines[i]
        tampered = lines[:i] + lines[i + 1:]
        tampered.insert(at(tampered, 9) + 1, moved)
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.REORDERED, 6)


class TestInserted:
    def test_garbage_row_is_found_before_the_row_it_displaces(self, export) -> None:
        lines, key = export
        i = at(lines, 7)
        tampered = lines[: i + 1] + [forged_after(lines, i, position=8, linked=False)] + lines[i + 1:]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.INSERTED, 8)

    def test_linked_forged_row_is_found(self, export) -> None:
        lines, key = export
        i = at(lines, 7)
        tampered = lines[: i + 1] + [forged_after(lines, i, position=8)] + lines[i + 1:]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.INSERTED, 8)

    def test_copy_of_an_earlier_row_is_found(self, export) -> None:
        lines, key = export
        i = at(lines, 7)
        tampered = lines[: i + 1] + [lines[at(lines, 3)]] + lines[i + 1:]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.INSERTED, 8)


class TestForged:
    def test_row_appended_after_the_seal_is_found(self, export) -> None:
        lines, key = export
        tampered = lines + [forged_after(lines, at(lines, N), position=N + 1)]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.FORGED, N + 1)

    def test_row_appended_before_the_seal_is_found(self, export) -> None:
        lines, key = export
        i = at(lines, N)
        tampered = lines[: i + 1] + [forged_after(lines, i, position=N + 1)] + lines[i + 1:]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.FORGED, N + 1)

    def test_chain_rewritten_without_the_key_is_found_at_the_next_checkpoint(self, export) -> None:
        lines, key = export
        i = at(lines, 7)
        tampered = list(lines)
        tampered[i] = edit(lines[i])
        tampered = rehash_from(tampered, i)
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position, finding.since_position) == (TamperKind.FORGED, 10, 6)

    def test_rewrite_resigned_with_another_key_is_found(self, export) -> None:
        lines, key = export
        i = at(lines, 7)
        tampered = list(lines)
        tampered[i] = edit(lines[i])
        tampered = rehash_from(tampered, i)
        thief = generate_signing_key()
        for k, line in enumerate(tampered):
            if line.startswith(b'{"type":"checkpoint"') and json.loads(line)["position"] >= 10:
                obj = json.loads(line)
                head = link_of(tampered[at(tampered, obj["position"])]).hash
                cp = Checkpoint(obj["position"], head, obj["count"], T0)
                tampered[k] = checkpoint_line(sign_checkpoint(cp, thief)).encode()
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.FORGED, 10)

    def test_dropping_every_checkpoint_leaves_everything_unsigned(self, export) -> None:
        lines, key = export
        tampered = [line for line in lines if not line.startswith(b'{"type":"checkpoint"')]
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.FORGED, 1)

    def test_wrong_public_key_fails_at_the_first_checkpoint(self, export) -> None:
        lines, _ = export
        finding = _finding(lines, generate_signing_key())
        assert (finding.kind, finding.position) == (TamperKind.FORGED, 5)


class TestMalformed:
    def test_garbage_line_is_reported(self, export) -> None:
        lines, key = export
        tampered = list(lines)
        tampered.insert(at(lines, 4), b"this is not json")
        finding = _finding(tampered, key)
        assert (finding.kind, finding.position) == (TamperKind.MALFORMED, 4)

    def test_header_elsewhere_is_malformed(self, export) -> None:
        lines, key = export
        tampered = lines[1:3] + [lines[0]] + lines[3:]
        assert _finding(tampered, key).kind is TamperKind.MALFORMED


class TestEveryPosition:
    @pytest.mark.parametrize("position", range(1, N + 1))
    def test_each_kind_is_found_where_it_happened(self, export, position) -> None:
        lines, key = export
        i = at(lines, position)
        edited = list(lines)
        edited[i] = edit(lines[i])
        removed = lines[:i] + lines[i + 1:]
        assert (_finding(edited, key).kind, _finding(edited, key).position) == (TamperKind.ALTERED, position)
        removed_finding = _finding(removed, key)
        assert (removed_finding.kind, removed_finding.position) == (TamperKind.REMOVED, position)
        if position < N:
            j = at(lines, position + 1)
            swapped = list(lines)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            finding = _finding(swapped, key)
            assert (finding.kind, finding.position) == (TamperKind.REORDERED, position)


def test_entry_lines_keep_the_fast_layout(export) -> None:
    lines, _ = export
    assert all(line.startswith(b'{"type":"entry","position":') for line in lines if is_entry(line))
