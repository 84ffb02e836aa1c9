"""The files the demo plants for the scanner: an application log and a support-evidence folder."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from pathlib import Path

from onyx_wizard.demo.state import DemoState

_PATHS = ("/login/onyx", "/onyx/callback", "/api/v1/me", "/onyx/events", "/privacy")


def plant_logs_and_evidence(folder: Path, state: DemoState) -> None:
    """Write `logs/` and `evidence/` under `folder`, clean unless a fault plants a leak.

    The lines look like a real service's (ids, hashes, dates, versions) so the scanner is
    shown close calls, not an empty file.
    """
    rng = random.Random(7)
    logs = folder / "logs"
    evidence = folder / "evidence"
    logs.mkdir()
    evidence.mkdir()
    lines = []
    for n in range(400):
        stamp = f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z"
        request = uuid.UUID(int=rng.getrandbits(128), version=4)
        digest = hashlib.sha256(f"body-{n}".encode()).hexdigest()
        lines.append(
            f"{stamp} INFO acme-web/2.14.{n % 9} request_id={request} "
            f"path={rng.choice(_PATHS)} status={rng.choice((200, 204, 302, 401))} "
            f"order=ORD-2026-{n:06d} body_sha256={digest} duration_ms={rng.randint(3, 900)}"
        )
    if state.has_fault("log-leaks-token"):
        lines.insert(
            137,
            f"2026-11-18T09:12:44Z DEBUG acme-web/2.14.3 inbound headers "
            f"authorization='Bearer {state.tokens.valid}' path=/api/v1/me",
        )
    if state.has_fault("log-leaks-pii"):
        lines.insert(
            211,
            "2026-11-20T16:02:10Z WARN acme-web/2.14.5 payment retry for "
            "customer jane.doe@example.com card=4916 3821 0748 2215",
        )
    (logs / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (evidence / "support-runbook.md").write_text(
        "# First checks\n\n1. Confirm the user's Onyx connection in Settings > Connected "
        "apps.\n2. Look up the request by its request_id (a UUID) in the app log.\n"
        "3. Escalate to Onyx partner support with the request_id and time, never tokens.\n",
        encoding="utf-8",
    )
    if state.has_fault("evidence-holds-key"):
        key = base64.b64encode(rng.randbytes(48)).decode()
        (evidence / "debug-dump.txt").write_text(
            f"TLS debug dump\n-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----\n",
            encoding="utf-8",
        )
    if state.has_fault("evidence-holds-passport"):
        # A made-up passport (ICAO 9303 TD3) with valid check digits, as an OCR tool prints it.
        (evidence / "ticket-4821-attachment.txt").write_text(
            "Support ticket 4821: customer sent a photo of their passport; OCR result:\n"
            "P<NLDVAN<DER<BERG<<ANNA<MARIA<<<<<<<<<<<<<<<\n"
            "NX4K8P2L77NLD8802141F3106176<<<<<<<<<<<<<<<6\n",
            encoding="utf-8",
        )
