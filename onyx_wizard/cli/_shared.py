"""What several command modules use: JSON on stdout, and opening the wizard."""

from __future__ import annotations

import json
from typing import Any

from onyx_wizard.errors import ExitCode


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def run_tui(
    session: str | None = None, screen: str = "sessions", notice: str = "", demo: bool = False
) -> int:
    """Open the wizard (Textual is imported here, only when the wizard opens)."""
    from onyx_wizard.tui.app import WizardApp

    app = WizardApp(session=session, start=screen, notice=notice, demo=demo)
    app.run()
    return app.return_code or ExitCode.OK
