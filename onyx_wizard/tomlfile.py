"""TOML data files: read and parse them, and find the line a field is on, for error messages.

Stdlib only, so the scanner can use it without pydantic; `tomlmodel` adds validation into a
pydantic model on top.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from onyx_wizard.errors import DataFileError

_KEY = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+')


def read_toml(
    path: Path, *, error: type[DataFileError] = DataFileError, missing: str = "no such file"
) -> tuple[str, dict[str, Any]]:
    """The text of a TOML file and its data; `error` names the file (and line) otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(path, missing) from None
    except IsADirectoryError:
        raise error(path, "is a folder, not a file") from None
    except OSError as exc:
        raise error(path, f"cannot read it ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (it looks like UTF-16)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise error(
            path,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column} cannot be read"
            f"{hint}; save the file as UTF-8",
            line=line,
        ) from None
    return text, parse_toml(text, path, error=error)


def parse_toml(
    text: str, source: Path | str, *, error: type[DataFileError] = DataFileError
) -> dict[str, Any]:
    """TOML text as data; `error` names the source and the line when it does not parse."""
    if "\x00" in text:
        nul_line = text.count("\n", 0, text.index("\x00")) + 1
        raise error(source, "not a text file: it holds a NUL byte", line=nul_line)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error_line(str(exc))
        raise error(source, f"not valid TOML: {message}", line=line) from None
    except RecursionError:
        raise error(source, "not valid here: arrays or tables nested too deeply") from None


def _toml_error_line(message: str) -> tuple[int | None, str]:
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not match:
        return None, message
    return int(match.group(1)), message[: match.start()].strip() + f" (column {match.group(2)})"


def _split_key(text: str) -> list[str]:
    return [k[1:-1] if k[0] in "\"'" else k for k in _KEY.findall(text)]


def locate(text: str, loc: Sequence[int | str]) -> int | None:
    """The 1-based line in a TOML text that best matches a field's location (keys and indices)."""
    want = [str(part) for part in loc]
    header: list[str] = []
    array_counts: dict[tuple[str, ...], int] = {}
    best: tuple[int, int] | None = None  # (matched length, line)

    def consider(path: list[str], line_no: int) -> None:
        nonlocal best
        n = 0
        for got, expected in zip(path, want, strict=False):
            if got != expected:
                break
            n += 1
        if n and n == len(path) and (best is None or n > best[0]):
            best = (n, line_no)

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            key = tuple(_split_key(line[2 : line.find("]]")]))
            index = array_counts.get(key, 0)
            array_counts[key] = index + 1
            header = [*key, str(index)]
            consider(header, line_no)
        elif line.startswith("["):
            header = _split_key(line[1 : line.rfind("]")])
            consider(header, line_no)
        elif "=" in line:
            key_part = line.split("=", 1)[0]
            consider([*header, *_split_key(key_part)], line_no)
    return best[1] if best else None


def dotted(loc: Sequence[int | str]) -> str:
    """A field's location as the messages name it: `history.2.at`."""
    return ".".join(str(part) for part in loc)
