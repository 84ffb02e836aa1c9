"""access-revocation against the sample app: a signed access.revoked event ends the test user's
access on the healthy app; an app that accepts the event but goes on serving the user fails;
a second run, with the token already revoked, is skipped and says what to store."""

from __future__ import annotations

import asyncio

import pytest

from onyx_wizard.demo import DemoDeployment
from onyx_wizard.probes import Outcome, ProbeResult, ProbeSettings, run_probes

# The product waits 10 s for the revocation to take; the demo revokes at once or never.
QUICK = ProbeSettings(revoke_within=2.0)


def revocation(deployment: DemoDeployment) -> ProbeResult:
    profile, secrets = deployment.profile(), deployment.secrets()
    [result] = asyncio.run(run_probes(["access-revocation"], profile, secrets, settings=QUICK))
    return result


def test_the_healthy_app_revokes_and_a_second_run_is_skipped() -> None:
    with DemoDeployment() as deployment:
        first = revocation(deployment)
        assert (first.outcome, first.reason_code) == (Outcome.PASS, "REVOCATION_OK"), first.message
        again = revocation(deployment)
    assert (again.outcome, again.reason_code) == (Outcome.SKIPPED, "REVOCATION_TOKEN_NOT_VALID")
    assert "fresh revocation_access_token" in again.message


@pytest.mark.parametrize("fault", ["revocation-ignored", "revocation-on-restart"])
def test_an_app_that_goes_on_serving_the_user_fails(fault: str) -> None:
    with DemoDeployment([fault]) as deployment:
        result = revocation(deployment)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "ACCESS_NOT_REVOKED")
    assert "still gets 200" in result.message
