"""One crashing endpoint never changes another probe's outcome.

The demo's `session-forged-crash` fault answers a forged session cookie with a 500 and then drops
the kept-alive connection, as a crashed worker does. With one connection pool shared by every
probe, whichever probe next drew that connection got an `error`; each probe now has its own
pool, and an idempotent request whose connection dropped is sent again on a fresh one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from onyx_wizard import check
from onyx_wizard.checklist import load_checklist
from onyx_wizard.demo import FAULTS, DemoDeployment
from onyx_wizard.probes import PROBES, Outcome, ProbeContext, ProbeResult, probe, run_probes

CRASH = "session-forged-crash"
RUNS = 20


@pytest.fixture(scope="module")
def crashing() -> Iterator[DemoDeployment]:
    with DemoDeployment([CRASH]) as deployment:
        yield deployment


# It revokes the demo's test user on its first run, by design, so later runs skip it.
CHANGES_THE_APP = {"access-revocation"}


def outcomes(deployment: DemoDeployment) -> dict[str, tuple[Outcome, str]]:
    profile = deployment.profile()
    probe_ids, _ = check.select(load_checklist(), profile)
    probe_ids = [pid for pid in probe_ids if pid not in CHANGES_THE_APP]
    run = asyncio.run(check.run_check(probe_ids, profile, deployment.secrets()))
    return {r.probe_id: (r.outcome, r.reason_code) for r in run.results}


def test_the_whole_suite_comes_out_the_same_every_run(crashing: DemoDeployment) -> None:
    with DemoDeployment() as healthy:
        baseline = outcomes(healthy)
    expected = FAULTS[CRASH]
    runs = [outcomes(crashing) for _ in range(RUNS)]
    assert all(run == runs[0] for run in runs), [
        {pid: got for pid, got in run.items() if got != runs[0][pid]} for run in runs
    ]
    first = runs[0]
    assert first[expected.probe] == (Outcome.FAIL, expected.reason_code)
    for probe_id, (outcome, code) in first.items():
        if probe_id != expected.probe:
            assert outcome == baseline[probe_id][0], (probe_id, code)
    assert not [pid for pid, (outcome, _) in first.items() if outcome is Outcome.ERROR]


async def test_a_dropped_connection_is_retried_for_idempotent_requests_only(
    crashing: DemoDeployment,
) -> None:
    me = crashing.profile().protected_url
    ctx = ProbeContext.create(crashing.profile(), {})
    try:
        crashed = await ctx.fetch("GET", me, headers={"cookie": "sessionid=forged"})
        assert crashed.status == 500
        # The next GET draws the dropped connection from the pool, and is sent again.
        after = await ctx.fetch("GET", me)
        assert after.status == 401
        assert "RemoteProtocolError" in after.evidence["retried"] or "ReadError" in str(
            after.evidence["retried"]
        )
        # A POST is not sent twice on its own...
        await ctx.fetch("GET", me, headers={"cookie": "sessionid=forged"})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await ctx.fetch("POST", me, content=b"{}")
        # ...unless the caller declares it idempotent (a webhook delivery with its id).
        await ctx.fetch("GET", me, headers={"cookie": "sessionid=forged"})
        posted = await ctx.fetch("POST", me, content=b"{}", idempotent=True)
        assert posted.status == 405 and "retried" in posted.evidence
        # A connection that did not drop is never retried.
        plain = await ctx.fetch("GET", me)
        assert "retried" not in plain.evidence
    finally:
        await ctx.aclose()


def test_the_per_probe_deadline_holds_against_a_crashing_endpoint(
    crashing: DemoDeployment,
) -> None:
    @probe("test-hammer", title="keeps hitting a crashing endpoint", deadline=1.0)
    async def hammer(ctx: ProbeContext) -> ProbeResult:
        while True:
            await ctx.fetch(
                "GET", ctx.profile.protected_url, headers={"cookie": "sessionid=forged"}
            )
            await ctx.fetch("GET", ctx.profile.protected_url)

    try:
        start = time.perf_counter()
        results = asyncio.run(
            run_probes(
                ["test-hammer", "token-rejection", "cors-preflight"],
                crashing.profile(),
                crashing.secrets(),
            )
        )
        elapsed = time.perf_counter() - start
    finally:
        del PROBES["test-hammer"]
    by_id = {r.probe_id: r for r in results}
    stuck = by_id["test-hammer"]
    assert (stuck.outcome, stuck.reason_code) == (Outcome.ERROR, "PROBE_DEADLINE")
    assert stuck.duration_ms < 1500
    assert by_id["token-rejection"].outcome.ok, by_id["token-rejection"].message
    assert by_id["cors-preflight"].outcome.ok, by_id["cors-preflight"].message
    assert elapsed < 10
