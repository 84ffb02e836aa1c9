"""Every file location the tool uses, in one place.

`ONYX_WIZARD_HOME` moves everything under one folder (tests, portable installs); otherwise
the platform's user data directory is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

APP_NAME = "onyx-wizard"
# Session names become file names: letters, digits, `.`, `_`, `-`, at most 64.
SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def data_dir() -> Path:
    """The folder holding sessions and other user data."""
    override = os.environ.get("ONYX_WIZARD_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def sessions_dir() -> Path:
    """Where named sessions live, one TOML file each."""
    return data_dir() / "sessions"


def session_path(name: str) -> Path:
    """The file of the session called `name`."""
    return sessions_dir() / f"{name}.toml"


def exports_dir() -> Path:
    """Where the wizard puts exported attestations unless told otherwise."""
    return data_dir() / "exports"
