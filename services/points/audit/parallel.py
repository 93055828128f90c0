"""Verifying a large export on several cores: a fast *certifier* in front of the sequential verifier.

Each entry's link check needs only its own line (``sha256(prev_hash || canonical) == hash``), so the
file is cut at line starts into slices scanned by worker processes with the same hot loop. The
parent then stitches the slices: each must start where the previous one ended (position and hash),
and checkpoints that opened a slice are checked against the previous slice's head. Only a fully
clean outcome is accepted from this path; anything else — a finding in any slice, a seam that does
not join, an unsigned tail — reruns the sequential verifier, which names the first bad position
exactly. So the parallel path can make a good export faster but can never change a verdict.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .checkpoints import check_checkpoint
from .diagnose import Head
from .records import MalformedLine
from .verify import VerifyResult, _split_lines, _State, _walk, verify_export

MIN_PARALLEL_BYTES = 32 << 20  # below this, process start-up costs more than it saves


@dataclass(frozen=True, slots=True)
class _Slice:
    ok: bool
    first: tuple[int, bytes] | None  # (position, prev_hash) of its first entry
    head: Head | None  # its last verified entry
    checkpoints: int
    covered_through: int
    leading: list[dict[str, object]]  # checkpoint lines before its first entry


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def verify_export_parallel(path: Path, public_key: Ed25519PublicKey, *, jobs: int | None = None,
                           require_sealed: bool = True) -> VerifyResult:
    """Same verdict as ``verify_export``; faster on a multi-core machine for a large file."""
    jobs = default_jobs() if jobs is None else jobs
    size = path.stat().st_size
    if jobs < 2 or size < MIN_PARALLEL_BYTES:
        return verify_export(path, public_key, require_sealed=require_sealed)
    bounds = _line_bounds(path, size, jobs)
    raw_key = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(len(bounds), mp_context=context) as pool:
        slices = list(pool.map(_scan, [(str(path), start, end, raw_key) for start, end in bounds]))
    result = _stitch(slices, public_key)
    if result is None or (require_sealed and result.covered_through < result.head_position):
        return verify_export(path, public_key, require_sealed=require_sealed)
    return result


def _line_bounds(path: Path, size: int, jobs: int) -> list[tuple[int, int]]:
    """Byte ranges that start at line starts and cover the file."""
    starts = [0]
    with path.open("rb") as handle:
        for i in range(1, jobs):
            handle.seek(size * i // jobs)
            handle.readline()  # move to the next line start
            if handle.tell() > starts[-1] and handle.tell() < size:
                starts.append(handle.tell())
    return list(zip(starts, starts[1:] + [size], strict=True))


def _scan(args: tuple[str, int, int, bytes]) -> _Slice:
    path, start, end, raw_key = args
    key = Ed25519PublicKey.from_public_bytes(raw_key)
    state = _State(anchored=start == 0)
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        # Line numbers only matter for the header rule (line 1); later slices start at 2.
        lines = enumerate(_split_lines(handle, end - start), 1 if start == 0 else 2)
        try:
            clean = _walk(lines, state, key) is None
        except MalformedLine:
            clean = False
    first = state.first if start else ((1, bytes(32)) if state.position else None)
    return _Slice(clean, first, state.head if first else None, state.checkpoints, state.covered_through,
                  state.leading)


def _stitch(slices: list[_Slice], key: Ed25519PublicKey) -> VerifyResult | None:
    """Join the slices, or None when anything needs the sequential verifier's judgement."""
    head, checkpoints, covered = Head(0, bytes(32), None), 0, 0
    for piece in slices:
        if not piece.ok:
            return None
        for checkpoint in piece.leading:
            try:
                if check_checkpoint(checkpoint, 0, head, covered, key) is not None:
                    return None
            except MalformedLine:
                return None
            checkpoints, covered = checkpoints + 1, head.position
        if piece.first is None or piece.head is None:
            continue  # no entries in this slice
        if piece.first != (head.position + 1, head.hash):
            return None
        head = piece.head
        checkpoints += piece.checkpoints
        covered = max(covered, piece.covered_through)
    return VerifyResult(True, head.position, checkpoints, head.position, head.hash.hex(), covered)
