"""The core is importable without Textual; the CLI's --help loads neither Textual nor pydantic."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
