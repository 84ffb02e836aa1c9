"""Every way the OS keyring can fail, for every command that reads it: exit 3, one line that
names the fix, and no hang. Each case runs in a D-Bus session of its own (real processes: a
gnome-keyring that is missing, locked, or killed mid-run), never the test run's keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = {
    "secrets list": "secrets list acme",
    "keys list": "keys list",
    "keys generate": "keys generate --name fault-case",
    "scan --session": "scan --session acme {folder}/notes.txt",
    "export": "export acme -o {folder}/out.json --draft",
}

# Shell set-up per fault, run inside `dbus-run-session` before the commands.
FAULTS = {
    "no D-Bus": "unset DBUS_SESSION_BUS_ADDRESS; "
    "export PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring",
    "no backend": "export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring",
    # A daemon with no unlocked collection: the unlock prompt cannot be shown (no display).
    "locked keyring": "gnome-keyring-daemon --components=secrets --daemonize >/dev/null 2>&1",
    # Unlocked, used, then killed: the next read finds no daemon (or a fresh, locked one).
    "daemon gone mid-run": "printf pw | gnome-keyring-daemon --foreground --unlock "
    "--components=secrets >/dev/null 2>&1 & KEYRING_PID=$!; sleep 0.5; "
    "printf 'a-secret-value-1234\\n' | $ONYX secrets set acme client_secret >/dev/null; "
    "kill $KEYRING_PID; sleep 0.3",
}


def have(program: str) -> bool:
    return shutil.which(program) is not None


@pytest.mark.skipif(
    not (have("dbus-run-session") and have("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (scripts/test installs them)",
)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_keyring_fault_is_exit_3_in_one_line_for_every_command(
    fault: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (tmp_path / "notes.txt").write_text("nothing secret here\n")
    onyx = f"{sys.executable} -m onyx_wizard.cli"
    script = [
        "set -u",
        f"export ONYX={onyx!r}",
        "$ONYX new acme --no-open >/dev/null",
        FAULTS[fault],
    ]
    for name, command in COMMANDS.items():
        line = command.format(folder=tmp_path)
        script.append(
            f"timeout 30 $ONYX {line} >/dev/null 2>{tmp_path}/err; "
            f'echo "{name}|$?|$(wc -l < {tmp_path}/err)|$(head -c 400 {tmp_path}/err)"'
        )
    env = {
        **os.environ,
        "ONYX_WIZARD_HOME": str(home),
        "HOME": str(tmp_path),  # a keyring data folder of this case's own
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    # Output to a file, not a pipe: a keyring daemon that D-Bus starts again inherits the
    # session's stdout and would hold a pipe open after the session ends.
    out = tmp_path / "out"
    with open(out, "w") as stdout:
        subprocess.run(
            ["dbus-run-session", "--", "bash", "-c", "\n".join(script)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            timeout=240,
            check=False,
        )
    report = out.read_text()
    rows = [line.split("|", 3) for line in report.splitlines() if "|" in line]
    assert [row[0] for row in rows] == list(COMMANDS), report
    for name, code, lines, message in rows:
        assert code == "3", f"{fault}: {name} exited {code}: {message}"
        assert lines.strip() == "1", f"{fault}: {name} said more than one line: {message}"
        assert "No usable OS keyring" in message, f"{fault}: {name}: {message}"
        assert "Traceback" not in message
