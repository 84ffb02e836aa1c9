"""`onyx-wizard` with no command: the wizard, on its sessions list."""

from __future__ import annotations

import argparse

from onyx_wizard.cli._shared import run_tui


def tui(args: argparse.Namespace) -> int:
    return run_tui()
