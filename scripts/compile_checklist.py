"""Write onyx_wizard/checklist/launch-checklist.json, the JSON copy of launch-checklist.toml
that the wizard reads faster (see `onyx_wizard.checklist`). Run it after editing the TOML; a
test fails while the copy is out of date. Usage:

    .venv/bin/python scripts/compile_checklist.py
"""

from __future__ import annotations

from pathlib import Path

from onyx_wizard.checklist import compile_checklist

FOLDER = Path(__file__).resolve().parent.parent / "onyx_wizard" / "checklist"


def main() -> None:
    text = (FOLDER / "launch-checklist.toml").read_text(encoding="utf-8")
    target = FOLDER / "launch-checklist.json"
    target.write_text(compile_checklist(text), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
