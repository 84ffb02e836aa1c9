"""Render each main screen of the real wizard to screenshots/*.svg.

Runs the app under Textual's `run_test` against a throwaway data folder holding a sample
session, so the pictures show the product as an operator sees it. Usage:

    .venv/bin/python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROFILE = ROOT / "docs" / "sample-profile.toml"  # DESIGN.md's sample, shared with tests
SIZE = (100, 30)
SMALL = (80, 24)


def sample_session() -> None:
    """A session part-way through the checklist (no secrets: none are needed to look)."""
    from onyx_wizard.profile import load_profile
    from onyx_wizard.session import new_session, now

    profile = load_profile(SAMPLE_PROFILE)
    # Part-way through: the domain token is not in yet, so the profile shows that field's hint.
    profile.domain_verification_token = ""
    opened = new_session("acme-prod", profile=profile)
    opened.set_operator("Dana Reyes")
    opened.attest(
        "app-identity.app-name-approved",
        "Dana Reyes",
        "Matches the portal approval",
        ["https://partners.onyx.example/apps/acme/approval"],
    )
    opened.attest(
        "app-identity.app-description-clear",
        "Dana Reyes",
        "Reviewed with product",
        ["ONYX-4821"],
    )
    opened.waive(
        "app-identity.app-ownership-verified",
        "Dana Reyes",
        "Ownership letter in legal review",
        "Sam Lee",
        (now() + timedelta(days=21)).date(),
    )
    opened.mark_not_applicable(
        "partner-connectivity.catalogue-version-approved",
        "Dana Reyes",
        "Acme offers no partner catalogue",
    )


def report_screenshot(out: Path) -> Path | None:
    """The approver's HTML report of the sample session (a signed draft), in chromium."""
    import shutil

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onyx_wizard.attestation import export_session, verify_envelope
    from onyx_wizard.report.html import approver_report
    from onyx_wizard.session import open_session

    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print("skipped the HTML report's screenshot: needs chromium and playwright")
        return None
    key = Ed25519PrivateKey.generate()
    folder = Path(tempfile.mkdtemp(prefix="onyx-wizard-report-"))
    opened = open_session("acme-prod")
    envelope = folder / "acme-prod.attestation.json"
    export_session(opened, envelope, draft=True, private_key=key)
    verified = verify_envelope(envelope.read_bytes(), [key.public_key()], 1)
    page_file = folder / "report.html"
    page_file.write_text(approver_report(verified, envelope.name, 1, False), encoding="utf-8")
    path = out / "14-approver-report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1300})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(path))
        finally:
            browser.close()
    shutil.rmtree(folder, ignore_errors=True)
    return path


async def render(out: Path) -> list[Path]:
    from textual.pilot import Pilot
    from textual.widgets import Collapsible

    from onyx_wizard.checklist import load_checklist
    from onyx_wizard.tui.app import WizardApp
    from onyx_wizard.tui.screens.item import ItemScreen

    written: list[Path] = []

    async def shot(pilot: Pilot[int], name: str) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        path = out / f"{name}.svg"
        pilot.app.save_screenshot(path.name, str(out))
        written.append(path)

    app = WizardApp()
    async with app.run_test(size=SIZE) as pilot:
        await shot(pilot, "01-sessions")
        await pilot.press("enter")
        await shot(pilot, "03-overview")
        await pilot.press("e")
        await shot(pilot, "02-profile")
        await pilot.press("escape")
        await pilot.press("enter")
        await shot(pilot, "04-section")
        await pilot.press("enter")
        await shot(pilot, "05-item")
        await pilot.press("n", "n", "n")
        await shot(pilot, "06-item-probe")
        await pilot.press("p", "p")
        await pilot.press("a")
        await shot(pilot, "07-attest")
        await pilot.press("escape", "escape", "escape", "v")
        await shot(pilot, "08-review")
        await pilot.press("d")
        await shot(pilot, "13-export")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await shot(pilot, "09-help")

    app = WizardApp(session="acme-prod")
    async with app.run_test(size=SMALL) as pilot:
        app.push_screen(ItemScreen("app-identity.app-ownership-verified"))
        await shot(pilot, "10-item-80x24")
        # Attesting with no evidence: the dialog stays open and says why, next to the field.
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await shot(pilot, "15-attest-inline-error")

    # A resume's first frame: the item from the checklist, while the session is being read.
    app = WizardApp()
    async with app.run_test(size=SMALL) as pilot:
        item = "app-identity.app-ownership-verified"
        app.push_screen(ItemScreen(item, drawn_from=load_checklist()))
        await shot(pilot, "16-resume-first-frame")

    # Probes against the sample partner app, with one fault so a failure shows.
    app = WizardApp(session="demo")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await shot(pilot, "11-probe-run")
        await pilot.press("escape")
        app.push_screen(ItemScreen("app-identity.allowed-origins"))
        await pilot.pause()
        app.screen.query_one("#evidence-cors-preflight", Collapsible).collapsed = False
        await shot(pilot, "12-item-evidence")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from onyx_wizard.demo import DemoDeployment
    from onyx_wizard.session import new_session

    with (
        tempfile.TemporaryDirectory(prefix="onyx-wizard-shots-") as home,
        DemoDeployment(["cors-null-origin"]) as deployment,
    ):
        os.environ["ONYX_WIZARD_HOME"] = home
        for key, value in deployment.secrets().items():
            os.environ[key.env_var] = value  # demo secrets: this process only
        new_session("demo", profile=deployment.profile())
        sample_session()
        for old in args.out.glob("*.svg"):
            old.unlink()
        for path in asyncio.run(render(args.out)):
            print(path)
        shot = report_screenshot(args.out)
        if shot is not None:
            print(shot)


if __name__ == "__main__":
    main()
