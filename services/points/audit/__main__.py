"""CLI: ``python -m services.points.audit verify --export FILE --public-key FILE``.

Exit codes: 0 = the export verifies; 1 = tampering found (position and kind printed);
2 = the command could not run (bad arguments, unreadable file or key).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from services.points.domain.keys import load_public_key

from .parallel import default_jobs, verify_export_parallel
from .verify import VerifyResult


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        key = load_public_key(Path(args.public_key).read_bytes())
    except (OSError, ValueError) as exc:
        print(f"无法读取公钥 / cannot read public key: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        result = verify_export_parallel(Path(args.export), key, jobs=args.jobs,
                                        require_sealed=not args.allow_unsigned_tail)
    except OSError as exc:
        print(f"无法读取导出文件 / cannot read export: {exc}", file=sys.stderr)
        return 2
    print(_summary(result, time.perf_counter() - started))
    return 0 if result.ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.points.audit",
                                     description="积分账本离线校验 / offline ledger verification")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify an NDJSON ledger export")
    verify.add_argument("--export", required=True, help="NDJSON export file")
    verify.add_argument("--public-key", required=True, help="Ed25519 public key (PEM or raw base64)")
    verify.add_argument("--allow-unsigned-tail", action="store_true",
                        help="do not fail on entries after the last signed checkpoint (live exports)")
    verify.add_argument("--jobs", type=int, default=default_jobs(),
                        help="worker processes for large files (1 = single process); the verdict is the same")
    return parser


def _summary(result: VerifyResult, seconds: float) -> str:
    if result.ok:
        rate = result.entries / seconds if seconds > 0 else 0.0
        head = result.head_hash[:16]
        return (f"校验通过：{result.entries} 条分录，{result.checkpoints} 个签名检查点，链头 {head}…\n"
                f"OK: {result.entries} entries, {result.checkpoints} signed checkpoints, "
                f"head {result.head_hash} at position {result.head_position} "
                f"(covered through {result.covered_through}; {seconds:.2f}s, {rate:,.0f} entries/s)")
    finding = result.finding
    assert finding is not None  # not ok ⇒ a finding
    where_zh = f"第 {finding.line_no} 行" if finding.line_no else "文件末尾"
    where_en = f"line {finding.line_no}" if finding.line_no else "end of file"
    return (f"校验失败：{finding.detail_zh}（类型 {finding.kind.value}，{where_zh}）\n"
            f"FAILED: {finding.kind.value} at position {finding.position} ({where_en}): {finding.detail_en}")


if __name__ == "__main__":
    sys.exit(main())
