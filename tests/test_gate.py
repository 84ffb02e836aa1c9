"""The launch gate, rule by rule, on sessions built through the public API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from onyx_wizard.checklist import Checklist, Method, load_checklist
from onyx_wizard.gate import NO_FEATURES, Status, Verdict, evaluate
from onyx_wizard.outcome import Outcome
from onyx_wizard.profile import Profile
from onyx_wizard.session import EvidenceError, OpenSession, ProbeRecord, new_session

ATTEST_ITEM = "app-identity.app-name-approved"  # attest, valid 90 days
PROBE_ITEM = "app-identity.allowed-origins"  # probe: cors-preflight, valid 30 days
TWO_PROBE_ITEM = "app-identity.production-domain-verified"  # probe: tls + domain-verification
BOTH_ITEM = "consent-and-scopes.user-can-approve-or-decline"  # probe+attest: callback-errors
PC_ITEM = "partner-connectivity.order-creation-tested"  # applies with partner-connectivity
APPROVAL_ITEMS = (
    "launch-approval.final-approval-recorded",
    "launch-approval.gated-capabilities-enabled",
)

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FEATURES = ["sign-in", "messaging", "events"]


@pytest.fixture
def opened() -> OpenSession:
    profile = Profile(
        app_name="Acme",
        features=FEATURES,
        log_paths=["/var/log/acme"],  # the secret-hygiene items need something to scan
        evidence_dir="/srv/acme-evidence",
    )
    return new_session("acme", profile=profile)


def probe(
    opened: OpenSession, probe_id: str, outcome: Outcome, at: datetime, code: str = ""
) -> None:
    opened.session.probes[probe_id] = ProbeRecord(
        outcome=outcome,
        reason_code=code or ("OK" if outcome in ("pass", "warn") else "SOMETHING_WRONG"),
        message=f"{probe_id} {outcome}",
        at=at,
    )
    opened.save()


def attest(opened: OpenSession, item_id: str) -> datetime:
    """Attest an item with evidence it accepts; returns the recorded time."""
    opened.attest(
        item_id, "alice", note="checked", evidence=[f"https://portal.onyx.example/{item_id}"]
    )
    at = opened.session.items[item_id].at
    assert at is not None
    return at


def verdict(opened: OpenSession, when: datetime) -> Verdict:
    return evaluate(opened.session, opened.checklist, when)


def blocker_ids(result: Verdict) -> list[str]:
    return [blocker.item_id for blocker in result.blockers]


def valid_days(item_id: str) -> int:
    return load_checklist().item(item_id).valid_days


# --- attestations -------------------------------------------------------------------------


def test_pending_attest_item_blocks(opened: OpenSession) -> None:
    result = verdict(opened, WHEN)
    state = result.states[ATTEST_ITEM]
    assert state.status is Status.PENDING
    assert state.blocking
    assert ATTEST_ITEM in blocker_ids(result)
    [blocker] = [b for b in result.blockers if b.item_id == ATTEST_ITEM]
    assert blocker.title == "app name is approved"
    assert "not attested" in blocker.reason


def test_fresh_attestation_is_done(opened: OpenSession) -> None:
    at = attest(opened, ATTEST_ITEM)
    for when in (at, at + timedelta(days=valid_days(ATTEST_ITEM))):
        state = verdict(opened, when).states[ATTEST_ITEM]
        assert state.status is Status.ATTESTED
        assert state.done and not state.blocking
        assert ATTEST_ITEM not in blocker_ids(verdict(opened, when))


def test_attestation_older_than_valid_days_is_stale_and_blocks(opened: OpenSession) -> None:
    at = attest(opened, ATTEST_ITEM)
    when = at + timedelta(days=valid_days(ATTEST_ITEM), seconds=1)
    result = verdict(opened, when)
    state = result.states[ATTEST_ITEM]
    assert state.status is Status.STALE
    assert state.blocking
    assert f"{valid_days(ATTEST_ITEM)} days" in state.reason
    assert ATTEST_ITEM in blocker_ids(result)


# --- probes -------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["pass", "warn"])
def test_probe_item_with_a_pass_or_warn_is_passed(opened: OpenSession, outcome: Outcome) -> None:
    probe(opened, "cors-preflight", outcome, WHEN - timedelta(days=1))
    state = verdict(opened, WHEN).states[PROBE_ITEM]
    assert state.status is Status.PASSED
    assert state.done and not state.blocking


@pytest.mark.parametrize("outcome", ["fail", "error"])
def test_probe_item_that_did_not_pass_is_failed_with_the_reason_code(
    opened: OpenSession, outcome: Outcome
) -> None:
    probe(opened, "cors-preflight", outcome, WHEN - timedelta(days=1), code="CORS_ORIGIN_REFLECTED")
    result = verdict(opened, WHEN)
    state = result.states[PROBE_ITEM]
    assert state.status is Status.FAILED
    assert state.blocking
    assert "CORS_ORIGIN_REFLECTED" in state.reason
    assert "cors-preflight" in state.reason
    [blocker] = [b for b in result.blockers if b.item_id == PROBE_ITEM]
    assert blocker.status is Status.FAILED
    assert "CORS_ORIGIN_REFLECTED" in blocker.reason


def test_probe_pass_older_than_valid_days_is_stale(opened: OpenSession) -> None:
    days = valid_days(PROBE_ITEM)
    probe(opened, "cors-preflight", "pass", WHEN - timedelta(days=days, hours=1))
    state = verdict(opened, WHEN).states[PROBE_ITEM]
    assert state.status is Status.STALE
    assert state.blocking
    assert f"{days} days" in state.reason


def test_probe_item_not_run_is_pending(opened: OpenSession) -> None:
    state = verdict(opened, WHEN).states[PROBE_ITEM]
    assert state.status is Status.PENDING
    assert state.blocking
    assert "not run" in state.reason


def test_probe_item_needs_every_probe(opened: OpenSession) -> None:
    probe(opened, "tls", "pass", WHEN - timedelta(days=1))
    state = verdict(opened, WHEN).states[TWO_PROBE_ITEM]
    assert state.status is Status.PENDING
    assert state.blocking
    assert "not every" in state.reason
    probe(opened, "domain-verification", "pass", WHEN - timedelta(days=2))
    assert verdict(opened, WHEN).states[TWO_PROBE_ITEM].status is Status.PASSED
    # Freshness is that of the oldest pass.
    days = valid_days(TWO_PROBE_ITEM)
    probe(opened, "domain-verification", "pass", WHEN - timedelta(days=days + 1))
    assert verdict(opened, WHEN).states[TWO_PROBE_ITEM].status is Status.STALE


def test_one_failing_probe_of_several_fails_the_item(opened: OpenSession) -> None:
    probe(opened, "tls", "pass", WHEN - timedelta(days=1))
    probe(
        opened, "domain-verification", "fail", WHEN - timedelta(days=1), code="DOMAIN_TOKEN_MISSING"
    )
    state = verdict(opened, WHEN).states[TWO_PROBE_ITEM]
    assert state.status is Status.FAILED
    assert "DOMAIN_TOKEN_MISSING" in state.reason


# --- probe + attest -----------------------------------------------------------------------


def test_probe_attest_item_attested_but_probe_not_run_blocks(opened: OpenSession) -> None:
    at = attest(opened, BOTH_ITEM)
    state = verdict(opened, at + timedelta(hours=1)).states[BOTH_ITEM]
    assert not state.done
    assert state.blocking
    assert "not run" in state.reason


def test_probe_attest_item_with_probe_passed_but_not_attested_blocks(opened: OpenSession) -> None:
    probe(opened, "callback-errors", "pass", WHEN - timedelta(days=1))
    state = verdict(opened, WHEN).states[BOTH_ITEM]
    # Never "passed" while it blocks: it says what it still needs.
    assert state.status is Status.PENDING
    assert state.label == "probe passed · attestation needed"
    assert state.blocking
    assert "attest" in state.reason


def test_probe_attest_item_passed_and_attested_is_done(opened: OpenSession) -> None:
    probe(opened, "callback-errors", "pass", datetime.now(UTC) - timedelta(hours=1))
    at = attest(opened, BOTH_ITEM)
    state = verdict(opened, at + timedelta(hours=1)).states[BOTH_ITEM]
    assert state.status is Status.ATTESTED
    assert state.done and not state.blocking


def test_probe_failing_after_the_attestation_makes_it_stale(opened: OpenSession) -> None:
    probe(opened, "callback-errors", "pass", datetime.now(UTC) - timedelta(hours=1))
    at = attest(opened, BOTH_ITEM)
    probe(opened, "callback-errors", "fail", at + timedelta(minutes=5), code="CALLBACK_5XX")
    result = verdict(opened, at + timedelta(hours=1))
    state = result.states[BOTH_ITEM]
    assert state.status is Status.STALE
    assert state.blocking
    assert "failed after" in state.reason
    assert "CALLBACK_5XX" in state.reason
    assert BOTH_ITEM in blocker_ids(result)


def test_probe_failing_before_the_attestation_is_still_failed(opened: OpenSession) -> None:
    probe(
        opened,
        "callback-errors",
        "fail",
        datetime.now(UTC) - timedelta(days=1),
        code="CALLBACK_5XX",
    )
    at = attest(opened, BOTH_ITEM)
    state = verdict(opened, at + timedelta(hours=1)).states[BOTH_ITEM]
    assert state.status is Status.FAILED
    assert state.blocking
    assert "CALLBACK_5XX" in state.reason


def test_probe_attest_item_with_an_old_probe_pass_is_stale(opened: OpenSession) -> None:
    # A pass older than valid_days is stale even when the attestation itself is fresh.
    days = valid_days(BOTH_ITEM)
    probe(opened, "callback-errors", "pass", datetime.now(UTC) - timedelta(days=days + 10))
    at = attest(opened, BOTH_ITEM)
    state = verdict(opened, at + timedelta(hours=1)).states[BOTH_ITEM]
    assert state.status is Status.STALE
    assert state.blocking
    assert f"{days} days" in state.reason


def test_probe_attest_item_with_an_old_attestation_is_stale(opened: OpenSession) -> None:
    at = attest(opened, BOTH_ITEM)
    days = valid_days(BOTH_ITEM)
    when = at + timedelta(days=days + 1)
    probe(opened, "callback-errors", "pass", when - timedelta(days=1))
    state = verdict(opened, when).states[BOTH_ITEM]
    assert state.status is Status.STALE
    assert state.blocking


# --- waivers and not-applicable -----------------------------------------------------------


def test_unexpired_waiver_is_done(opened: OpenSession) -> None:
    expires = date.today() + timedelta(days=10)
    opened.waive(PROBE_ITEM, "bob", "fix ships soon", "carol", expires)
    probe(opened, "cors-preflight", "fail", datetime.now(UTC), code="CORS_ORIGIN_REFLECTED")
    for days in (0, 9):
        when = datetime.now(UTC) + timedelta(days=days)
        state = verdict(opened, when).states[PROBE_ITEM]
        assert state.status is Status.WAIVED
        assert state.done and not state.blocking
        assert str(expires) in state.reason


def test_expired_waiver_fails_and_blocks(opened: OpenSession) -> None:
    expires = date.today() + timedelta(days=3)
    opened.waive(ATTEST_ITEM, "bob", "portal is down", "carol", expires)
    when = datetime.combine(expires + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    result = verdict(opened, when)
    state = result.states[ATTEST_ITEM]
    assert state.status is Status.FAILED
    assert state.blocking
    assert "expired" in state.reason
    assert ATTEST_ITEM in blocker_ids(result)


def test_a_required_applicable_item_cannot_be_set_aside_only_waived(opened: OpenSession) -> None:
    item_id = "consent-and-scopes.connected-app-visibility"
    with pytest.raises(EvidenceError, match="waiver"):
        opened.mark_not_applicable(item_id, "dan", "not in our market")
    assert item_id not in opened.session.items
    assert verdict(opened, WHEN).states[item_id].blocking


def test_not_applicable_by_hand_where_the_feature_is_not_declared(opened: OpenSession) -> None:
    opened.mark_not_applicable(PC_ITEM, "dan", "no orders are created")
    state = verdict(opened, WHEN).states[PC_ITEM]
    assert state.status is Status.NOT_APPLICABLE
    assert not state.done and not state.applicable and not state.blocking
    assert state.reason == (
        "not applicable (partner-connectivity not declared); no orders are created"
    )


def test_an_optional_item_may_be_marked_not_applicable(tmp_path: Path) -> None:
    checklist = small_checklist()
    session = new_session("small", path=tmp_path / "small.toml", profile=SMALL_PROFILE).session
    opened = OpenSession(path=tmp_path / "small.toml", session=session, checklist=checklist)
    opened.mark_not_applicable("demo.nice", "dan", "we offer no such thing")
    state = evaluate(session, checklist, WHEN).states["demo.nice"]
    assert state.status is Status.NOT_APPLICABLE and state.done
    with pytest.raises(EvidenceError, match="required"):
        opened.mark_not_applicable("demo.must", "dan", "no")


# --- progress is only what someone established --------------------------------------------


def test_a_profile_without_features_is_a_blocker_and_nothing_looks_complete() -> None:
    opened = new_session("blank")
    result = evaluate(opened.session, opened.checklist)
    assert result.blockers[0].item_id == NO_FEATURES
    assert "declare the features" in result.blockers[0].reason
    assert sum(s.done for s in result.sections) == 0
    assert not any(s.complete for s in result.sections)
    for progress in result.sections:
        by_feature = progress.section_id in ("sign-in-flow", "partner-connectivity")
        if progress.total == 0:
            assert progress.not_applicable > 0
        assert not (by_feature and progress.complete)


def test_secret_hygiene_items_wait_for_something_to_scan() -> None:
    opened = new_session("no-paths", profile=Profile(features=FEATURES))
    stamp = datetime.now(UTC)
    probe(opened, "secret-hygiene", "pass", stamp)  # e.g. a session file alone scanned clean
    probe(opened, "session-cookies", "pass", stamp)
    states = evaluate(opened.session, opened.checklist).states
    logs = states["privacy-and-security.logs-avoid-sensitive-data"]
    assert logs.status is Status.PENDING and logs.blocking
    assert "set log_paths" in logs.reason
    support = states["support-readiness.support-evidence-excludes-sensitive"]
    assert "set evidence_dir" in support.reason


def test_items_for_features_the_profile_lacks_do_not_apply(opened: OpenSession) -> None:
    result = verdict(opened, WHEN)
    section = opened.checklist.section("partner-connectivity")
    for item in section.items:
        state = result.states[item.id]
        assert state.status is Status.NOT_APPLICABLE
        assert not state.applicable
        assert not state.blocking
        assert "partner-connectivity" in state.reason
    assert not any(b.item_id.startswith("partner-connectivity.") for b in result.blockers)
    [progress] = [s for s in result.sections if s.section_id == "partner-connectivity"]
    assert progress.blocking == 0


def test_items_for_a_declared_feature_do_apply(opened: OpenSession) -> None:
    profile = opened.session.profile.model_copy(
        update={"features": [*FEATURES, "partner-connectivity"]}
    )
    opened.update_profile(profile, by="alice")
    result = verdict(opened, WHEN)
    assert result.states[PC_ITEM].applicable
    assert result.states[PC_ITEM].status is Status.PENDING
    assert PC_ITEM in blocker_ids(result)


@pytest.mark.parametrize("item_id", APPROVAL_ITEMS)
def test_launch_approval_cannot_be_waived_or_set_aside(opened: OpenSession, item_id: str) -> None:
    assert "cannot be waived" in opened.refuses_waiver(item_id)
    with pytest.raises(EvidenceError, match="cannot be waived"):
        opened.waive(item_id, "bob", "we are sure", "carol", date.today() + timedelta(days=5))
    assert "attested" in opened.refuses_not_applicable(item_id)
    with pytest.raises(EvidenceError, match="attested"):
        opened.mark_not_applicable(item_id, "bob", "Onyx said no approval needed")
    assert item_id not in opened.session.items
    result = verdict(opened, datetime.now(UTC))
    assert result.states[item_id].blocking
    assert item_id in blocker_ids(result)

    at = attest(opened, item_id)
    result = verdict(opened, at)
    assert result.states[item_id].done
    assert item_id not in blocker_ids(result)


# --- the whole verdict --------------------------------------------------------------------


def complete(opened: OpenSession) -> datetime:
    """Pass every probe, then attest every item that needs it; returns the last change time."""
    stamp = datetime.now(UTC) - timedelta(hours=1)
    for item in opened.checklist.items:
        for probe_id in item.probes:
            probe(opened, probe_id, "pass", stamp)
    last = stamp
    for item in opened.checklist.items:
        applies = not item.applies_when.features or set(item.applies_when.features) & set(FEATURES)
        if item.method.needs_attestation and applies:
            last = attest(opened, item.id)
    return last


def test_a_complete_session_is_ready(opened: OpenSession) -> None:
    last = complete(opened)
    result = verdict(opened, last)
    assert result.blockers == []
    assert result.ready
    assert result.summary == "Ready for launch"
    assert len(result.sections) == 8
    for progress in result.sections:
        assert progress.done == progress.total
        assert progress.blocking == 0


def test_one_regression_takes_readiness_away_and_names_the_item(opened: OpenSession) -> None:
    last = complete(opened)
    probe(opened, "cors-preflight", "fail", last + timedelta(seconds=1), code="CORS_WILDCARD")
    result = verdict(opened, last + timedelta(minutes=1))
    assert not result.ready
    assert blocker_ids(result) == [PROBE_ITEM]
    assert result.summary == "Not ready: 1 blocking item"


def test_a_complete_session_goes_stale_with_time(opened: OpenSession) -> None:
    last = complete(opened)
    result = verdict(opened, last + timedelta(days=31))
    assert not result.ready
    stale = {b.item_id for b in result.blockers}
    assert set(APPROVAL_ITEMS) <= stale  # Launch Approval is valid for 30 days
    assert all(b.status is Status.STALE for b in result.blockers)


def test_a_new_session_blocks_on_every_applicable_required_item(opened: OpenSession) -> None:
    result = verdict(opened, WHEN)
    applicable = [
        item.id
        for item in opened.checklist.items
        if not item.applies_when.features or set(item.applies_when.features) & set(FEATURES)
    ]
    assert blocker_ids(result) == applicable
    assert not result.ready
    assert result.summary == f"Not ready: {len(applicable)} blocking items"


# --- optional items -----------------------------------------------------------------------


SMALL_PROFILE = Profile(features=["sign-in"])


def small_checklist() -> Checklist:
    evidence = {"description": "a ticket", "kinds": ["reference"]}
    return Checklist.from_data(
        {
            "version": "test",
            "title": "Small",
            "sections": [
                {
                    "id": "demo",
                    "title": "Demo",
                    "items": [
                        {
                            "id": "demo.must",
                            "title": "must",
                            "guidance": "g",
                            "method": "attest",
                            "evidence": evidence,
                        },
                        {
                            "id": "demo.nice",
                            "title": "nice to have",
                            "guidance": "g",
                            "method": "attest",
                            "required": False,
                            "evidence": evidence,
                        },
                        {
                            "id": "demo.nice-probe",
                            "title": "optional probe",
                            "guidance": "g",
                            "method": "probe",
                            "probes": ["cors-preflight"],
                            "required": False,
                            "evidence": evidence,
                        },
                    ],
                }
            ],
        }
    )


def test_an_optional_item_never_blocks(tmp_path: Path) -> None:
    checklist = small_checklist()
    session = new_session("small", path=tmp_path / "small.toml", profile=SMALL_PROFILE).session
    opened = OpenSession(path=tmp_path / "small.toml", session=session, checklist=checklist)
    assert checklist.item("demo.nice").method is Method.ATTEST

    result = evaluate(session, checklist, WHEN)
    assert blocker_ids(result) == ["demo.must"]
    assert not result.states["demo.nice"].blocking
    assert result.states["demo.nice"].status is Status.PENDING

    probe(opened, "cors-preflight", "fail", WHEN, code="CORS_WILDCARD")
    result = evaluate(session, checklist, WHEN)
    assert result.states["demo.nice-probe"].status is Status.FAILED
    assert not result.states["demo.nice-probe"].blocking

    opened.attest("demo.must", "alice", evidence=["TICKET-1"])
    at = session.items["demo.must"].at
    assert at is not None
    result = evaluate(session, checklist, at)
    assert result.ready
    assert result.states["demo.nice"].status is Status.PENDING
    assert [(s.done, s.total, s.blocking) for s in result.sections] == [(1, 3, 0)]
