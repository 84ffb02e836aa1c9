"""The layers hold: the core is importable without Textual; the CLI's --help loads neither
Textual nor pydantic; in the TUI only the app imports the screens."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import onyx_wizard

CORE = [
    "onyx_wizard.checklist",
    "onyx_wizard.profile",
    "onyx_wizard.session",
    "onyx_wizard.secrets",
    "onyx_wizard.gate",
    "onyx_wizard.paths",
    "onyx_wizard.attestation",
]


def loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    modules = loaded_after(f"import {module}")
    assert module in modules
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


def test_core_functions_run_without_textual() -> None:
    code = (
        "from onyx_wizard.checklist import load_checklist\n"
        "from onyx_wizard.gate import evaluate\n"
        "from onyx_wizard.session import Session, now\n"
        "c = load_checklist()\n"
        "s = Session(schema_version=1, name='x', created_at=now(), updated_at=now(),"
        " checklist_version=c.version)\n"
        "assert not evaluate(s, c).ready\n"
    )
    assert "textual" not in loaded_after(code)


def test_help_loads_neither_textual_nor_pydantic() -> None:
    code = (
        "from onyx_wizard import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
    )
    modules = loaded_after(code)
    assert "textual" not in modules
    assert "pydantic" not in modules


# --- the TUI: screens ask the app for other screens with messages, never by importing them -----

PACKAGE = Path(onyx_wizard.__file__).parent
TUI = PACKAGE / "tui"
SCREENS = "onyx_wizard.tui.screens"
TUI_MODULES = sorted(p for p in TUI.rglob("*.py") if p != TUI / "app.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module that `source` (the text of `module`) imports anywhere, functions included,
    with relative imports resolved; `from X import y` counts as X and X.y (y may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source_module = ".".join(filter(None, [base, node.module]))
            found.add(source_module)
            found.update(f"{source_module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                found.add(str(first.value))
    return found


def screen_imports(path: Path) -> set[str]:
    """The screen modules (or the screens package) that the file at `path` imports."""
    modules = imported_modules(path.read_text(), module_name(path), path.name == "__init__.py")
    return {m for m in modules if m == SCREENS or m.startswith(SCREENS + ".")}


def test_the_import_finder_sees_every_form_of_import() -> None:
    source = (
        "from onyx_wizard.tui.screens.item import ItemScreen\n"
        "from onyx_wizard.tui.screens import run\n"
        "from . import review\n"
        "from .section import SectionScreen\n"
        "def later():\n"
        "    import onyx_wizard.tui.screens.help\n"
        "    from ..screens.sessions import SessionsScreen\n"
        "    importlib.import_module('onyx_wizard.tui.screens.profile')\n"
    )
    found = imported_modules(source, f"{SCREENS}.overview")
    wanted = {"item", "run", "review", "section", "help", "sessions", "profile"}
    assert {f"{SCREENS}.{name}" for name in wanted} <= found
    assert "onyx_wizard.tui.base" in imported_modules("from ..base import X", f"{SCREENS}.item")
    # The app is the one module that imports screens, and the finder sees it do so.
    assert {f"{SCREENS}.item", f"{SCREENS}.sessions"} <= screen_imports(TUI / "app.py")


@pytest.mark.parametrize("path", TUI_MODULES, ids=lambda p: str(p.relative_to(TUI)))
def test_only_the_app_imports_screens(path: Path) -> None:
    """Screens post a message from `tui/messages.py` and the app pushes the screen it names."""
    assert not screen_imports(path), f"{module_name(path)} imports {sorted(screen_imports(path))}"


def test_every_screen_module_is_checked() -> None:
    checked = {module_name(p) for p in TUI_MODULES}
    screens = {"item", "overview", "profile", "review", "run", "section", "sessions", "help"}
    assert {f"{SCREENS}.{name}" for name in screens} <= checked
    assert "onyx_wizard.tui.app" not in checked
