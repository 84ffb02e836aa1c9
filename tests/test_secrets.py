"""Credentials in a real OS keyring (the Secret Service, under scripts/test), never in files."""

from __future__ import annotations

import secrets as pysecrets
from pathlib import Path

import pytest
from conftest import onyx_cli as cli_process
from textual.widgets import Input

from onyx_wizard import paths
from onyx_wizard.secrets import SecretKey, SecretStore
from onyx_wizard.session import new_session
from onyx_wizard.tui.app import WizardApp
from onyx_wizard.tui.screens.profile import ProfileScreen


def every_written_file() -> list[Path]:
    return [p for p in paths.data_dir().rglob("*") if p.is_file()]


def test_set_list_read_delete_through_the_real_keyring(real_keyring: None) -> None:
    new_session("kr")
    value = "whsec_" + pysecrets.token_urlsafe(32)
    done = cli_process("secrets", "set", "kr", "webhook_secret", stdin=value + "\n")
    assert done.returncode == 0, done.stderr
    assert value not in done.stdout + done.stderr

    store = SecretStore("kr", "production")
    assert store.get(SecretKey.WEBHOOK_SECRET) == value
    # Stored under the documented service and user name, in the real backend.
    import keyring

    assert keyring.get_password("onyx-wizard", "kr/production/webhook_secret") == value

    listed = cli_process("secrets", "list", "kr")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if "webhook_secret" in row)
    assert "✓ set (keyring)" in line
    assert "✗ not set" in next(r for r in listed.stdout.splitlines() if "client_secret" in r)
    assert value not in listed.stdout

    for path in every_written_file():
        assert value not in path.read_text(errors="replace"), path

    removed = cli_process("secrets", "delete", "kr", "webhook_secret")
    assert removed.returncode == 0
    assert store.get(SecretKey.WEBHOOK_SECRET) is None


def test_environment_variable_wins_and_is_named(real_keyring: None) -> None:
    new_session("ci")
    listed = cli_process("secrets", "list", "ci", env={"ONYX_WIZARD_CLIENT_SECRET": "from-env"})
    assert "env ONYX_WIZARD_CLIENT_SECRET" in listed.stdout
    assert "from-env" not in listed.stdout


def test_secret_is_never_taken_from_argv() -> None:
    new_session("argv")
    done = cli_process("secrets", "set", "argv", "client_secret", "s3cret-on-argv")
    assert done.returncode == 2
    assert "unrecognized arguments" in done.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        {
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
            "DBUS_SESSION_BUS_ADDRESS": "",
        },
    ],
    ids=["no-backend", "no-secret-service"],
)
def test_no_usable_keyring_exits_3_and_names_the_fix(env: dict[str, str]) -> None:
    new_session("nokr")
    for args, stdin in (
        (("secrets", "list", "nokr"), ""),
        (("secrets", "set", "nokr", "client_secret"), "a-long-enough-secret\n"),
    ):
        done = cli_process(*args, stdin=stdin, env=env)
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr  # one clear line, no traceback
        assert "No usable OS keyring" in lines[0]
        assert "Secret Service" in lines[0] and "ONYX_WIZARD_" in lines[0]


async def test_secret_typed_in_the_wizard_goes_only_to_the_keyring(real_keyring: None) -> None:
    new_session("typed")
    value = "cs_" + pysecrets.token_hex(20)
    app = WizardApp(session="typed", start="profile")
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        field = app.screen.query_one("#s-client_secret", Input)
        assert field.password and not field.disabled
        field.focus()
        await pilot.pause()
        await pilot.press(*value)
        await pilot.press("enter")
        await pilot.pause()
        assert field.value == ""
        svg = app.export_screenshot()
        assert value not in svg
        await pilot.press("escape")
    assert SecretStore("typed", "production").get(SecretKey.CLIENT_SECRET) == value
    for path in every_written_file():
        assert value not in path.read_text(errors="replace"), path
