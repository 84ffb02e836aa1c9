"""Walking paths and streaming files through the matcher in large chunks, in bounded memory.

Files are read in 4 MiB chunks, each searched where it was read (no copy). The text around a
boundary between two chunks (the first one's last 64-128 KiB, cut at a line start, and as much
of the next) is searched as a piece of its own, and a hit belongs to the piece its value starts
in, so a value cut by a chunk boundary is still found, exactly once, with its line and column.
Memory stays at a few chunks whatever the file's size or its longest line.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import os
import stat
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from onyx_wizard.scan.engine import MIN_SECRET_LENGTH, Matcher
from onyx_wizard.scan.report import Finding, ScanError, ScanReport

CHUNK_SIZE = 4 << 20
# The longest match guaranteed to be found across a chunk boundary (a PEM header with its
# first line of key material, a long JWT) and how far back a chunk may reach for a line start.
OVERLAP = 64 << 10
# A NUL byte in the first 8 KiB marks a binary file (git and grep use the same test).
SNIFF = 8192
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int, int], None]


def value_hash(salt: bytes, value: bytes) -> str:
    """The short salted hash that stands for a value: 12 hex digits of HMAC-SHA256."""
    return hmac.new(salt, value, hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class _Target:
    path: str
    size: int


def _why(exc: BaseException) -> str:
    """One line saying why a path could not be read (no traceback, no errno noise)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"not a readable gzip file ({exc})"
    return f"{type(exc).__name__}: {exc}"


def collect(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[_Target], list[ScanError]]:
    """The regular files under `paths` (folders walked recursively, in name order).

    Symbolic links are followed, but a folder or file reached twice (a link loop, a hard link,
    a path given twice) is read once. FIFOs, sockets and devices are left alone: reading one
    could block forever.
    """
    targets: list[_Target] = []
    errors: list[ScanError] = []
    seen: set[tuple[int, int]] = set()
    stack = [os.fspath(p) for p in reversed(list(paths))]
    while stack:
        path = stack.pop()
        try:
            info = os.stat(path)
        except OSError as exc:
            problem = "broken symbolic link" if os.path.islink(path) else _why(exc)
            errors.append(ScanError(path, problem))
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            continue
        seen.add(key)
        if stat.S_ISDIR(info.st_mode):
            try:
                with os.scandir(path) as entries:
                    names = sorted(entry.path for entry in entries)
            except OSError as exc:
                errors.append(ScanError(path, _why(exc)))
                continue
            stack.extend(reversed(names))
        elif stat.S_ISREG(info.st_mode):
            targets.append(_Target(path, info.st_size))
    return targets, errors


class _Cancelled(Exception):
    pass


class _FileScan:
    """One file through the matcher: chunking, binary and gzip detection, line counting."""

    def __init__(
        self,
        matcher: Matcher,
        salt: bytes,
        report: ScanReport,
        tick: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> None:
        self.matcher = matcher
        self.salt = salt
        self.report = report
        self.tick = tick
        self.cancel = cancel

    def run(self, target: _Target) -> None:
        try:
            raw = open(target.path, "rb")  # noqa: SIM115 - closed below, after the gzip wrapper
        except OSError as exc:
            self.report.errors.append(ScanError(target.path, _why(exc)))
            return
        try:
            magic = raw.read(2)
            raw.seek(0)
            stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if magic == GZIP_MAGIC else raw
            self._stream(target.path, stream, raw)
        except _Cancelled:
            raise
        except (OSError, EOFError, zlib.error) as exc:
            self.report.errors.append(ScanError(target.path, _why(exc)))
        finally:
            raw.close()

    def _stream(self, path: str, stream: io.BufferedIOBase, raw: io.BufferedIOBase) -> None:
        data = stream.read(CHUNK_SIZE)
        if b"\0" in data[:SNIFF]:
            self.report.skipped_binary.append(path)
            return
        self.report.files += 1
        findings = self.report.findings
        examples = self.report.examples
        line = 1  # line number at `line_start`
        line_start = 0  # file offset of the start of that line
        reported_to = 0  # end of the last pattern hit reported (the overlap may find it again)
        for text, pos, own, base in self._segments(data, stream, raw):
            cursor = pos
            for hit in self.matcher.hits(text, own, pos):
                if base + hit.start < reported_to:
                    continue
                newlines = text.count(b"\n", cursor, hit.start)
                if newlines:
                    line += newlines
                    line_start = base + text.rfind(b"\n", cursor, hit.start) + 1
                cursor = hit.start
                value = text[hit.start : hit.end]
                (examples if hit.example else findings).append(
                    Finding(
                        path,
                        line,
                        base + hit.start - line_start + 1,
                        hit.rule,
                        hit.category,
                        value_hash(self.salt, value),
                        hit.example,
                    )
                )
                reported_to = base + hit.end
            newlines = text.count(b"\n", cursor, own)
            if newlines:
                line += newlines
                line_start = base + text.rfind(b"\n", cursor, own) + 1
            self.report.bytes += own - pos

    def _segments(
        self, data: bytes, stream: io.BufferedIOBase, raw: io.BufferedIOBase
    ) -> Iterator[tuple[bytes, int, int, int]]:
        """The file as pieces to search: (text, pos, own, base).

        Hits whose value starts in `text[pos:own]` belong to the piece (`text[0]` is at file
        offset `base`); the text after `own` is there so that a match starting before it is
        seen whole, and is searched again as part of the next piece. The pieces' own parts
        cover the file in order. A chunk is searched where it was read, without a copy: only
        the text around each boundary between chunks (a few times OVERLAP) is copied into a
        piece of its own.
        """
        base = 0  # file offset of data[0]
        tail = b""  # the previous chunk's text after its own part (at file offset base - len)
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise _Cancelled
            if not data:
                if tail:
                    yield tail, 0, len(tail), base - len(tail)
                return
            pos = 0
            if tail:
                # The boundary's piece: the tail, then this chunk up to a line start past
                # OVERLAP, and OVERLAP more.
                head = data.find(b"\n", OVERLAP - 1, 2 * OVERLAP) + 1 or OVERLAP
                if head + OVERLAP <= len(data):
                    yield tail + data[: head + OVERLAP], 0, len(tail) + head, base - len(tail)
                    pos = head
                else:  # a short chunk: searched with the tail in one piece
                    data, base = tail + data, base - len(tail)
                tail = b""
            self.tick(raw.tell())
            following = stream.read(CHUNK_SIZE)
            if not following:
                yield data, pos, len(data), base
                return
            # Hits whose value starts before `own` belong to this piece; the rest, and
            # everything after, is searched again with the next chunk.
            own = max(0, len(data) - OVERLAP)
            newline = data.rfind(b"\n", max(0, own - OVERLAP), own)
            if newline >= 0:
                own = newline + 1
            own = max(own, pos)
            if own > pos:
                yield data, pos, own, base
            tail = data[own:]
            data, base = following, base + len(data)


def scan_files(
    paths: Iterable[str | os.PathLike[str]],
    matcher: Matcher,
    *,
    salt: bytes,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScanReport:
    """Scan every file under `paths` with `matcher`; allowlists are applied by the caller."""
    started = time.perf_counter()
    given = [os.fspath(p) for p in paths]
    report = ScanReport(paths=given)
    targets, report.errors = collect(given)
    total = sum(t.size for t in targets)
    done = 0

    def tick(position: int) -> None:
        if progress is not None:
            progress(min(done + position, total), total)

    scanner = _FileScan(matcher, salt, report, tick, cancel)
    if progress is not None:
        progress(0, total)
    try:
        for target in targets:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            scanner.run(target)
            done += target.size
            tick(0)
    except _Cancelled:
        report.cancelled = True
    if matcher.short_secrets:
        report.notes.append(
            f"{matcher.short_secrets} known secret(s) shorter than {MIN_SECRET_LENGTH} "
            "characters not searched for (they would match by chance)"
        )
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    return report
