"""Signed webhook accepted → points entry visible, sustained 200 events/s.

For each referral the hotline first reports ``referral.requested`` (sent before the timed phase), then, in the
timed phase, ``referral.arrived`` — the milestone that completes an up-referral and earns the referring doctor
R02b. The arrivals are sent at a fixed rate (open loop) as Standard Webhooks signed POSTs to the referral
service; each is accepted (200) once verified, folded and committed with its ``award.due`` outbox row; the
referral relay publishes it to JetStream, the points service's inbox consumer appends the entry.

Visibility is observed from outside on a connection LISTENing to the points outbox channel (``pg_notify`` fires
at the commit of every append) with a 20 ms poll as a fallback: latency = the moment the entry is read back −
the moment the webhook's 200 arrived (``accepted → visible``), and − the moment it was sent (end to end).
Baseline: the raw JetStream publish → consume round trip in the same run.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx

from bench import load
from bench.context import Ctx, ScenarioResult, declare, load_stack
from bench.data import Directory, alliance_id, doctor_id, unit_id
from bench.stats import Measurement, latency_summary
from libs.webhooks.standard import sign_headers
from services.referral.settings import DEV_WEBHOOK_SECRETS

TARGETS = (
    ("p99 ≤ 100 ms", "webhook_visible_p99", "<=", 100.0, "value"),
    ("p50 ≤ 20 ms", "webhook_visible_p50", "<=", 20.0, "value"),
    ("every accepted event becomes visible", "webhook_not_visible", "<=", 0, "value"),
    ("sustains the rate (≥ 95 % of 200 events/s accepted)", "webhook_rate_fraction", ">=", 0.95, "value"),
)
NAME = "webhook_to_points"
SECRET = DEV_WEBHOOK_SECRETS["hotline"][0]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_EXTERNAL = re.compile(r"hotline:(BW[0-9a-f]+-\d+):")


def id_number(birth: date, serial: int) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit)."""
    body = "430102" + birth.strftime("%Y%m%d") + f"{serial % 100:02d}{(2 * serial + 1) % 10}"  # odd: male
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def _body(kind: str, external: str, occurred: datetime, **data: Any) -> bytes:
    return json.dumps({"type": kind, "data": {"referral_id": external, "occurred_at": occurred.isoformat(), **data}},
                      ensure_ascii=False).encode()


def _signed(body: bytes) -> dict[str, str]:
    headers = sign_headers([SECRET], f"msg_{uuid.uuid4().hex}", datetime.now(timezone.utc), body)
    return {**headers, "content-type": "application/json"}


class Watcher:
    """Reads new ledger entries as they commit; records when each referral's award became visible."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._stop = False
        self.position = 0

    async def run(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            self.position = int(await conn.fetchval("SELECT position FROM points.ledger_head WHERE id = 1"))
            await conn.add_listener("outbox_points", lambda *_: self._wake.set())
            while not self._stop:
                try:
                    await asyncio.wait_for(self._wake.wait(), 0.02)
                except TimeoutError:
                    pass
                self._wake.clear()
                rows = await conn.fetch("SELECT position, source_event_id FROM points.ledger_entries "
                                        "WHERE position > $1 ORDER BY position", self.position)
                now = time.perf_counter()
                for row in rows:
                    found = _EXTERNAL.search(row["source_event_id"] or "")
                    if found:
                        self.seen.setdefault(found.group(1), now)
                if rows:
                    self.position = rows[-1]["position"]
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Signed webhook accepted → points entry visible")
    stack = await load_stack(ctx)
    referral = stack["referral"]
    directory = Directory(ctx.scale)
    run_id = uuid.uuid4().hex[:6]
    total = int(ctx.scale.webhook_rate * ctx.scale.webhook_seconds)
    warm = min(20, total)
    start = ctx.shared.setdefault("webhook_offset", 0)
    ctx.shared["webhook_offset"] = start + total + warm + 10
    now = datetime.now(timezone.utc)

    def external(k: int) -> str:
        return f"BW{run_id}-{k}"

    def requested(k: int) -> bytes:
        a = k % ctx.scale.alliances
        doc = directory.member_doctor(a, (start + k) // ctx.scale.alliances + 7)
        return _body("referral.requested", external(k), now - timedelta(hours=2), alliance_id=alliance_id(a),
                     direction="up", setting="outpatient", urgency="routine",
                     referring={"institution_id": unit_id(directory.unit_of_doctor(doc)), "doctor_id": doctor_id(doc)},
                     receiving={"institution_id": unit_id(directory.lead_unit(a))}, reason="发热伴抽搐，需上级医院诊治",
                     indication="difficult_complex",
                     patient={"name": "患儿", "sex": "male", "birth_date": "2019-03-07",
                              "id_number": id_number(date(2019, 3, 7), k)})

    async def send_requested(http: httpx.AsyncClient, k: int) -> httpx.Response:
        body = requested(k)
        return await http.post("/webhooks/hotline", content=body, headers=_signed(body))

    # Setup (not timed): every referral of the run is requested first.
    ctx.log(f"webhook: requesting {total + warm} referrals (setup)")
    setup = await load.closed_loop(referral.url, lambda http, n: send_requested(http, n), clients=8,
                                   seconds=3600, max_requests=total + warm)
    refused = {k: v for k, v in setup.statuses.items() if k != 200}
    if refused or setup.errors:
        raise RuntimeError(f"setup webhooks refused: {refused} {dict(setup.errors)}")

    sent: dict[str, float] = {}
    accepted: dict[str, float] = {}

    async def send_arrived(http: httpx.AsyncClient, n: int) -> httpx.Response:
        body = _body("referral.arrived", external(n), datetime.now(timezone.utc) - timedelta(seconds=1))
        sent[external(n)] = time.perf_counter()
        return await http.post("/webhooks/hotline", content=body, headers=_signed(body))

    def done(n: int, t0: float, t1: float, response: httpx.Response) -> None:
        accepted[external(n)] = t1

    watcher = Watcher(ctx.shared["stack_url"])
    watching = asyncio.create_task(watcher.run())
    try:
        await asyncio.sleep(0.2)
        warm_result = await load.open_loop(referral.url, lambda http, n: send_arrived(http, total + n),
                                           rate=ctx.scale.webhook_rate, seconds=warm / ctx.scale.webhook_rate)
        del warm_result
        await _settle(watcher, [external(total + n) for n in range(warm)], timeout=30)
        with ctx.sampler.during("load:webhook"), ctx.profiling("webhook", {"referral": referral.pid,
                                                                           "points": stack["points"].pid}):
            sustained = await load.open_loop(referral.url, send_arrived, rate=ctx.scale.webhook_rate,
                                             seconds=ctx.scale.webhook_seconds, on_done=done)
            await _settle(watcher, [external(n) for n in range(total)], timeout=30)
    finally:
        watcher.stop()
        await watching
    keys = [external(n) for n in range(total)]
    visible_after_accept = [watcher.seen[k] - accepted[k] for k in keys if k in watcher.seen and k in accepted]
    visible_after_send = [watcher.seen[k] - sent[k] for k in keys if k in watcher.seen and k in sent]
    missing = [k for k in keys if k not in watcher.seen]
    accept_summary = latency_summary(visible_after_accept)
    e2e_summary = latency_summary(visible_after_send)
    result.detail.update({"events": total, "rate": ctx.scale.webhook_rate, "seconds": ctx.scale.webhook_seconds,
                          "webhook_responses": sustained.summary(), "accepted_to_visible": accept_summary,
                          "sent_to_visible": e2e_summary, "not_visible_within_30s": len(missing)})
    p99 = result.add(Measurement("webhook_visible_p99", accept_summary["p99_ms"], "ms",
                                 detail={"sent_to_visible_p99_ms": e2e_summary["p99_ms"]}))
    p99.against(ctx.baselines.get("jetstream_roundtrip_p99"))
    p50 = result.add(Measurement("webhook_visible_p50", accept_summary["p50_ms"], "ms",
                                 detail={"sent_to_visible_p50_ms": e2e_summary["p50_ms"]}))
    p50.against(ctx.baselines.get("jetstream_roundtrip_p50"))
    result.add(Measurement("webhook_accept_p99", sustained.summary()["p99_ms"], "ms"))
    result.add(Measurement("webhook_achieved_rate", sustained.throughput, "events/s"))
    result.add(Measurement("webhook_rate_fraction", sustained.throughput / ctx.scale.webhook_rate, "× of the rate",
                           detail={"requested_rate": ctx.scale.webhook_rate}))
    result.add(Measurement("webhook_not_visible", float(len(missing)), "events"))
    declare(result, TARGETS)
    return result


async def _settle(watcher: Watcher, keys: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(k not in watcher.seen for k in keys):
        await asyncio.sleep(0.05)
