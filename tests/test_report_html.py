"""The approver's report (`verify … --html`), opened in a real headless browser (Debian's
chromium, driven by Playwright): it loads with no console error and no request beyond the page
itself, reads on a phone without sideways scrolling, prints, and a tampered file gets none."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult, ReadySession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from onyx_wizard.attestation import export_session

Run = Callable[..., CliResult]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")


def signed_report(ready: ReadySession, tmp_path: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    envelope = tmp_path / "acme.attestation.json"
    export_session(ready.opened, envelope, private_key=key)
    pem = tmp_path / "signer.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return envelope, pem


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)")
def test_the_report_loads_alone_and_reads_on_a_phone(
    ready: ReadySession,
    tmp_path: Path,
    run_cli_subprocess,  # type: ignore[no-untyped-def]
) -> None:
    envelope, pem = signed_report(ready, tmp_path)
    html = tmp_path / "report.html"
    done = run_cli_subprocess(
        "verify", str(envelope), "--key", str(pem), "--evidence-dir", str(ready.evidence_dir),
        "--html", str(html),
    )  # fmt: skip
    assert done.code == 0, done.err
    text = html.read_text()
    assert "<script" not in text.lower() and "http://" not in text
    url = html.resolve().as_uri()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            console: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert [m for m in console if m.startswith(("error", "pageerror"))] == []
            assert requests == [url]  # the page itself, nothing else
            body = page.inner_text("body")
            assert body.index("READY for launch") < body.index("Signatures (verified)")
            for section in ready.opened.checklist.sections:
                assert section.title in body
            assert "Waived until 2099-01-01" in body and "sha256" in body
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"{wide}px of sideways scrolling on a phone"
            assert len(page.pdf()) > 10_000  # it prints
        finally:
            browser.close()


def test_a_tampered_attestation_gets_no_report(
    ready: ReadySession,
    tmp_path: Path,
    run_cli_subprocess,  # type: ignore[no-untyped-def]
) -> None:
    envelope, pem = signed_report(ready, tmp_path)
    data = json.loads(envelope.read_text())
    data["payload"] = data["payload"][:-8] + "AAAAAAAA"
    envelope.write_text(json.dumps(data))
    html = tmp_path / "report.html"
    done = run_cli_subprocess("verify", str(envelope), "--key", str(pem), "--html", str(html))
    assert done.code == 1 and not html.exists()
