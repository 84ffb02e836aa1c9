"""Every named fault of the sample partner app fails its probe with its reason code, alone.

Each test starts the real HTTPS demo deployment on 127.0.0.1 with one fault and runs every
probe against it, then compares item by item with a run against the healthy deployment.
"""

from __future__ import annotations

import asyncio

import pytest

from onyx_wizard import check
from onyx_wizard.checklist import load_checklist
from onyx_wizard.demo import FAULTS, DemoDeployment
from onyx_wizard.gate import Status
from onyx_wizard.probes import Outcome, ProbeResult, ProbeSettings
from onyx_wizard.session import Session


def run_everything(deployment: DemoDeployment) -> tuple[dict[str, ProbeResult], dict[str, Status]]:
    """Every applicable probe against the deployment, and the item statuses they give."""
    checklist = load_checklist()
    profile = deployment.profile()
    probe_ids, _ = check.select(checklist, profile)
    # The demo revokes at once or never: 2 s of waiting tells the two apart (the product: 10).
    settings = ProbeSettings(revoke_within=2.0)
    result = asyncio.run(
        check.run_check(probe_ids, profile, deployment.secrets(), settings=settings)
    )
    session = Session.blank("faults", checklist.version, profile)
    verdict = check.verdict_with(session, checklist, result)
    return (
        {r.probe_id: r for r in result.results},
        {item_id: state.status for item_id, state in verdict.states.items()},
    )


@pytest.fixture(scope="module")
def healthy() -> tuple[dict[str, ProbeResult], dict[str, Status]]:
    with DemoDeployment() as deployment:
        return run_everything(deployment)


def test_healthy_deployment_passes_every_probe(
    healthy: tuple[dict[str, ProbeResult], dict[str, Status]],
) -> None:
    results, _ = healthy
    implemented = {pid: r for pid, r in results.items() if r.reason_code != "PROBE_UNAVAILABLE"}
    bad = {
        pid: (r.outcome, r.reason_code, r.message)
        for pid, r in implemented.items()
        if not r.outcome.ok
    }
    assert not bad
    assert len(implemented) >= 14


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_fails_its_probe_and_nothing_else(
    fault: str, healthy: tuple[dict[str, ProbeResult], dict[str, Status]]
) -> None:
    base_results, base_items = healthy
    expected = FAULTS[fault]
    with DemoDeployment([fault]) as deployment:
        results, items = run_everything(deployment)

    hit = results[expected.probe]
    outcome = Outcome(expected.outcome)
    assert (hit.outcome, hit.reason_code) == (outcome, expected.reason_code), hit.message
    for probe_id, result in results.items():
        if probe_id != expected.probe and probe_id not in expected.also:
            assert result.outcome == base_results[probe_id].outcome, (probe_id, result.message)

    checklist = load_checklist()
    if expected.also:  # items of the probes it also changes are left to those probes' tests
        also = set(expected.also)
        items = {k: v for k, v in items.items() if not also & set(checklist.item(k).probes)}
    using = {item.id for item in checklist.items if expected.probe in item.probes}
    for item_id, status in items.items():
        if item_id in using and outcome is Outcome.FAIL:
            assert status is Status.FAILED, item_id
        else:
            assert status == base_items[item_id], item_id
