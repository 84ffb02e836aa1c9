"""Keys as people name them ("?", "Enter", "Esc", "Ctrl+S"), for the help screen and the palette.

The footer keeps Textual's compact notation ("^s"); where there is room to spell a key out, it is
spelled the way a keyboard or a manual names it.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "backspace": "Backspace",
    "delete": "Del",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


def key_name(app: App[Any], binding: Binding) -> str:
    """The binding's key(s) as people name them: its `key_display` if it has one."""
    if binding.key_display:
        return binding.key_display
    return " / ".join(_one_key(app, key.strip()) for key in binding.key.split(","))


def _one_key(app: App[Any], key: str) -> str:
    *modifiers, base = key.split("+")
    if base in _NAMES:
        name = _NAMES[base]
    elif base[:1] == "f" and base[1:].isdigit():
        name = base.upper()
    else:
        name = app.get_key_display(Binding(base, ""))  # e.g. question_mark → ?
        if modifiers and len(name) == 1:
            name = name.upper()  # Ctrl+S, as printed on the key
    return "+".join([*(m.capitalize() for m in modifiers), name])
