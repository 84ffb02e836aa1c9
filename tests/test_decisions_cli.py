"""From nothing to READY with the command line alone: probes by `check`, people's decisions by
`attest`, `waive`, `na` and `attest --from` (a reviewed file), then export and verify — against
the sample partner app, as a partner's CI pipeline would."""

from __future__ import annotations

import json
import os
import secrets as pysecrets
from pathlib import Path

import pytest
from conftest import onyx_cli

from onyx_wizard.attestation import keys
from onyx_wizard.demo import DemoDeployment, write_profile
from onyx_wizard.session import open_session

WAIVED = "support-readiness.refund-credit-rules-match-agreement"
FROM_FILE = ["app-identity.app-name-approved", "app-identity.app-description-clear"]


def run(*args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
    done = onyx_cli(*args, env=env)
    assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_a_session_reaches_ready_by_the_command_line_alone(
    tmp_path: Path, real_keyring: None
) -> None:
    key = f"ci-{pysecrets.token_hex(4)}"
    with DemoDeployment() as deployment:
        env = {k.env_var: v for k, v in deployment.secrets().items()}
        profile = tmp_path / "profile.toml"
        write_profile(deployment, profile)
        # This integration does not use partner connectivity: its items are set aside by hand.
        text = profile.read_text().replace(', "partner-connectivity"', "")
        profile.write_text(text)
        run("new", "launch", "--profile", str(profile), "--no-open")
        run("check", "launch", env=env)

        opened = open_session("launch")
        evidence = Path(opened.session.profile.evidence_dir)
        evidence.mkdir(parents=True, exist_ok=True)
        proof = evidence / "proof.txt"
        proof.write_text("screenshots and notes of the check\n")
        items = json.loads(run("checklist", "--format", "json"))
        features = set(opened.session.profile.features)
        decisions = ["# Reviewed in PR #42\n"]
        for item in items:
            applies = not item["applies_when"] or set(item["applies_when"]) & features
            if item["method"] == "probe" or item["id"] == WAIVED:
                continue
            if not applies:
                run("na", "launch", item["id"], "--reason", "partner connectivity is not used")
                continue
            kinds = next(i for i in opened.checklist.items if i.id == item["id"]).evidence.kinds
            ref = (
                str(proof)
                if "file" in kinds
                else f"https://portal.onyx.example/tickets/{item['id']}"
            )
            if item["id"] in FROM_FILE:
                decisions.append(
                    f'[[attest]]\nitem = "{item["id"]}"\nby = "Dana Reyes"\n'
                    f'note = "checked"\nevidence = ["{ref}"]\n'
                )
                continue
            run("attest", "launch", item["id"], "--by", "Dana Reyes", "--evidence", ref)
        run(
            "waive",
            "launch",
            WAIVED,
            "--reason",
            "refund page goes live at launch",
            "--approver",
            "Sam Ortiz (Onyx)",
            "--expires",
            "2099-01-31",
        )
        file = tmp_path / "decisions.toml"
        file.write_text("\n".join(decisions))
        said = run("attest", "launch", "--from", str(file))
        assert "2 change(s)" in said
        again = run("attest", "launch", "--from", str(file))  # applying twice changes nothing
        assert "0 change(s), 2 already so" in again

        status = run("status", "launch", "--require-ready")
        assert "✓ READY" in status
        try:
            run("keys", "generate", "--name", key)
            out = tmp_path / "launch.attestation.json"
            run("export", "launch", "-o", str(out), "--key", key)
            pem = tmp_path / "key.pem"
            run("keys", "public", "--name", key, "-o", str(pem))
            verified = run(
                "verify",
                str(out),
                "--key",
                str(pem),
                "--evidence-dir",
                str(evidence),
                "--require-ready",
            )
            assert "READY" in verified
        finally:
            keys.delete(key)


def test_a_bad_decisions_file_changes_nothing_and_names_line_and_field(
    tmp_path: Path, home: Path
) -> None:
    run("new", "acme", "--no-open")
    before = (home / "sessions" / "acme.toml").read_bytes()
    file = tmp_path / "decisions.toml"
    file.write_text(
        '[[attest]]\nitem = "app-identity.app-name-approved"\nby = "Dana"\n'
        'evidence = ["ONYX-1"]\n\n'
        '[[waive]]\nitem = "app-identity.app-description-clear"\nby = "Dana"\n'
        'reason = "later"\napprover = "Sam"\nexpires = "next month"\n'
    )
    said = run("attest", "acme", "--from", str(file), code=2)
    assert "line 11" in said and "waive.0.expires" in said and "date" in said
    # A rule broken by the second entry stops the first one too: the file applies whole.
    file.write_text(
        '[[attest]]\nitem = "app-identity.app-name-approved"\nby = "Dana"\n'
        'evidence = ["ONYX-1"]\n\n'
        '[[waive]]\nitem = "launch-approval.final-approval-recorded"\nby = "Dana"\n'
        'reason = "later"\napprover = "Sam"\nexpires = 2099-01-01\n'
    )
    said = run("attest", "acme", "--from", str(file), code=2)
    assert "line 6" in said and "cannot be waived" in said
    assert (home / "sessions" / "acme.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("attest", "acme", "app-identity.app-name-approved", "--by", "Dana"), "evidence is"),
        (("na", "acme", "app-identity.app-name-approved", "--reason", "no"), "waiver"),
        (
            (
                "waive",
                "acme",
                "app-identity.app-name-approved",
                "--reason",
                "r",
                "--approver",
                "a",
                "--expires",
                "next month",
            ),
            "2027-01-31",
        ),
        (("attest", "acme", "no.such-item", "--evidence", "X-1"), "no checklist item"),
    ],
)
def test_headless_decisions_follow_the_wizards_rules(
    args: tuple[str, ...], message: str, home: Path
) -> None:
    run("new", "acme", "--no-open")
    said = run(*args, code=2)
    assert message in said and "Traceback" not in said


def test_clear_keeps_the_history(home: Path) -> None:
    run("new", "acme", "--no-open")
    run("attest", "acme", "app-identity.app-name-approved", "--by", "Dana", "--evidence", "X-1")
    run("clear", "acme", "app-identity.app-name-approved")
    history = open_session("acme").session.history
    assert history[-1].action == "cleared" and "evidence: X-1" in history[-1].detail
    assert os.environ["ONYX_WIZARD_HOME"] == str(home)
