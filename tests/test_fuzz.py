"""Fuzzing what people feed the tool: profile files and fields, session files, and the command
line of every subcommand. Whatever comes in, the answer is a clear error that names the field
or argument (exit 2), never a traceback, and a file that failed to load is never changed.

Each target runs 500 examples (hypothesis; `derandomize` keeps CI repeatable).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onyx_wizard import cli
from onyx_wizard.errors import DataFileError
from onyx_wizard.profile import Profile, ProfileError, load_profile
from onyx_wizard.session import SessionFileError, load_session, new_session

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "sample-profile.toml"
EXAMPLES = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- values of every TOML type ------------------------------------------------------------------

scalars = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def run_cli(*argv: str) -> tuple[int, str]:
    """`onyx-wizard ARGV` in this process: its exit code and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse: usage errors are 2, --help is 0
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-lock")
    }


# --- profiles -------------------------------------------------------------------------------------

PROFILE_FIELDS = sorted(Profile.model_fields)


@EXAMPLES
@given(
    fields=st.dictionaries(
        st.sampled_from([*PROFILE_FIELDS, "unknown_field"]), toml_values, max_size=6
    )
)
def test_any_profile_table_loads_or_names_the_field(fields: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(tomli_w.dumps({"profile": fields}))
    try:
        load_profile(path)
    except ProfileError as exc:
        assert str(path) in str(exc)
        assert exc.field.startswith("profile") or exc.line is not None, str(exc)


@EXAMPLES
@given(data=st.data())
def test_any_damage_to_a_profile_file_is_one_clear_error(
    data: st.DataObject, tmp_path: Path
) -> None:
    raw = bytearray(SAMPLE.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if action == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "delete" and raw:
            del raw[at : at + data.draw(st.integers(1, 20))]
        elif action == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=12))
        else:
            del raw[at:]
    path = tmp_path / "profile.toml"
    path.write_bytes(bytes(raw))
    with contextlib.suppress(ProfileError):
        load_profile(path)


# --- sessions -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_session_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    from conftest import make_ready_session

    home = tmp_path_factory.mktemp("fuzz-home")
    old = os.environ.get("ONYX_WIZARD_HOME")
    os.environ["ONYX_WIZARD_HOME"] = str(home)
    try:
        ready = make_ready_session("acme", home / "evidence")
        return ready.opened.path.read_text()
    finally:
        if old is None:
            os.environ.pop("ONYX_WIZARD_HOME", None)
        else:
            os.environ["ONYX_WIZARD_HOME"] = old


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


odd_values = st.one_of(
    toml_values,
    st.just(date(2026, 12, 3)),  # a date where a date-time belongs
    st.just(datetime(2026, 12, 3, 10, 0)),  # a date-time without its offset
    st.just(time(10, 0)),
    st.integers(2, 10**6),  # e.g. a newer schema_version
    st.just([[[[[]]]]]),
)


@EXAMPLES
@given(data=st.data())
def test_any_damage_to_a_session_file_is_one_clear_error_and_changes_nothing(
    data: st.DataObject, full_session_text: str, home: Path
) -> None:
    folder = home / "sessions"
    folder.mkdir(exist_ok=True, mode=0o700)
    path = folder / "fuzzed.toml"
    if data.draw(st.booleans()):
        parsed = tomllib.loads(full_session_text)
        for _ in range(data.draw(st.integers(1, 3))):
            where = data.draw(st.sampled_from(_paths(parsed)))
            _replace(parsed, where, data.draw(odd_values))
        try:
            text = tomli_w.dumps(parsed).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            return  # tomli_w cannot write it: no file, nothing to test
    else:
        raw = bytearray(full_session_text.encode())
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at : at + data.draw(st.integers(0, 8))] = data.draw(st.binary(max_size=8))
        text = bytes(raw)
    path.write_bytes(text)
    before = digest(home)
    try:
        load_session(path)
    except SessionFileError as exc:
        assert str(path) in str(exc)
    code, err = run_cli("status", "fuzzed")
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("onyx-wizard: ") and err.count("\n") == 1, err
    assert digest(home) == before  # reading never writes


# --- the command line --------------------------------------------------------------------------

COMMANDS: dict[str, list[str]] = {
    "checklist": ["--format"],
    "new": ["--profile", "--no-open"],
    "sessions": [],
    "status": ["--json", "--require-ready"],
    "check": ["--profile", "--only", "--format", "--output", "-o"],
    "scan": ["--format", "--session", "--allowlist"],
    "secrets": [],
    "keys": ["--name", "--replace", "--output"],
    "export": ["--output", "--markdown", "--draft", "--key"],
    "countersign": ["--key", "--markdown"],
    "verify": ["--key", "--threshold", "--evidence-dir", "--require-ready"],
    "demo": ["--list-faults", "--fault", "--latency"],
}
WORDS = st.one_of(
    st.sampled_from(
        [
            "acme",
            "ghost",
            "list",
            "set",
            "delete",
            "generate",
            "public",
            "json",
            "junit",
            "text",
            "0",
            "-1",
            "1e309",
            "../bad name!",
            "",
            "\x00",
            "/dev/null",
            ".",
            "~",
            "client_secret",
            "nope",
            "app-identity.app-name-approved",
            "tls",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    argv = [command]
    for _ in range(draw(st.integers(0, 5))):
        if COMMANDS[command] and draw(st.booleans()):
            argv.append(draw(st.sampled_from(COMMANDS[command])))
        argv.append(draw(WORDS))
    if command == "new":
        argv.append("--no-open")  # never the wizard: the fuzz wants answers, not screens
    if command == "demo":
        argv.append("--list-faults")  # no sample app started by random arguments
    if command == "check" and "--profile" not in argv:
        argv += ["--profile", "/no/such/profile.toml"]  # never a probe against anything
    if command == "scan":
        argv.append("/no/such/path")  # never a scan of whatever folder a word names
    return argv


@pytest.fixture
def own_keyring_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys a random `keys generate` makes go under a service of this test's own."""
    from onyx_wizard.secrets import SERVICE_VARIABLE

    monkeypatch.setenv(SERVICE_VARIABLE, f"onyx-wizard-fuzz-{os.getpid()}")


@EXAMPLES
@given(argv=command_lines())
def test_any_command_line_is_answered_without_a_traceback(
    argv: list[str], home: Path, own_keyring_service: None
) -> None:
    if not (home / "sessions" / "acme.toml").exists():
        new_session("acme")
    before = digest(home)
    code, err = run_cli(*argv)
    assert code in (0, 1, 2, 3), (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    if code == 2 and not err.startswith("usage:"):
        assert err.startswith("onyx-wizard: "), (argv, err)
    if code == 2:
        assert digest(home) == before, argv  # a refused command changes no file


def test_data_file_errors_name_where(tmp_path: Path) -> None:
    """The contract the fuzz tests lean on: a DataFileError says file, line and field."""
    path = tmp_path / "profile.toml"
    path.write_text('[profile]\nallowed_origins = "not a list"\n')
    with pytest.raises(DataFileError) as caught:
        load_profile(path)
    assert (caught.value.line, caught.value.field) == (2, "profile.allowed_origins")
