"""Where a session was left, read without checking the rest of the file.

Resuming draws the item the operator was on before the session is validated, which loads the
validation library and is the slowest part of a start. This reads only the file's `cursor`;
nothing read here is shown as recorded. The session is opened and checked right after, and
what it holds wins (a file that does not validate is never shown).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from onyx_wizard import paths

# TOML puts a document's own keys before its first table: the cursor is among them, and a long
# history after them need not be parsed to find it (a 220 KB session parses in about 70 ms).
_FIRST_TABLE = re.compile(rb"^[ \t]*\[", re.MULTILINE)


def left_at(name_or_path: str | Path) -> str | None:
    """The item id a session was left on, or None when the file does not say (or not read)."""
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and not name_or_path.endswith(".toml"):
        if not paths.SESSION_NAME.match(name_or_path):
            return None
        path = paths.session_path(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    table = _FIRST_TABLE.search(raw)
    try:
        # A head cut inside a multi-line string does not parse: then no item is drawn early.
        head = tomllib.loads(raw[: table.start() if table else len(raw)].decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    cursor = head.get("cursor")
    return cursor if isinstance(cursor, str) and cursor else None
