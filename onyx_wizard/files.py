"""Writing files so that a crash never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """The name every temporary file for `path` starts with (see `remove_stale_temps`)."""
    return f".{path.name}."


def _is_stream(path: Path) -> bool:
    """A device, FIFO, socket or a /dev/std*, /dev/fd/*, /proc/*/fd/* name: written in place."""
    text = str(path)
    if text.startswith(("/dev/std", "/dev/fd/")) or (text.startswith("/proc/") and "/fd/" in text):
        return True
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)


def write_atomic(path: Path, data: bytes, mode: int = 0o600, private_folder: bool = False) -> None:
    """Write `data` to `path` atomically: temp file in the same folder, fsync, rename, fsync.

    With `private_folder` the folder is created (or tightened) to 0700, as for the tool's own
    data; otherwise a missing folder is created with the usual permissions and left as it is.

    Atomic replacement is for regular files: a symbolic link is followed (its target is
    replaced, the link stays), and a device, FIFO or `/dev/stdout`-like name is written in
    place (never replaced by a regular file). A folder is refused (IsADirectoryError).
    """
    path = Path(path)
    if _is_stream(path):
        with open(path, "wb") as stream:
            stream.write(data)
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))
        if _is_stream(path):
            with open(path, "wb") as stream:
                stream.write(data)
            return
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    folder = path.parent
    if private_folder:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
    else:
        folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # The rename itself lives in the folder's entry: sync it so it survives a power cut.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stale_temps(path: Path, older_than: float = 60.0) -> int:
    """Remove temporary files a killed writer of `path` left behind; returns how many.

    Only names of `write_atomic`'s own pattern for this file, and only those older than
    `older_than` seconds (a writer in another process may be using a fresh one).
    """
    removed = 0
    cutoff = time.time() - older_than
    try:
        candidates = list(path.parent.glob(f"{glob_escape(temp_prefix(path))}*{TEMP_SUFFIX}"))
    except OSError:
        return 0
    for candidate in candidates:
        with contextlib.suppress(OSError):
            if candidate.is_file() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed += 1
    return removed


def glob_escape(text: str) -> str:
    """`text` with glob's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


class LockBusy(Exception):
    """The lock is held by another process; `holder` says who, as it wrote itself down."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is locked by {holder or 'another process'}")


class FileLock:
    """An advisory lock on a small side file, held by this process until released.

    `fcntl.flock` locks die with their process, so a killed holder never leaves a stale lock.
    The holder writes who it is into the file (pid, user, host, since) for the next opener's
    message. Where `fcntl` does not exist (Windows) the lock is a no-op.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float = 0.0) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockBusy naming the holder if not."""
        if self._fd is not None:
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on the platforms CI runs
            self._fd = -1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise LockBusy(self.path, holder) from None
                time.sleep(0.01)
            except OSError:
                os.close(fd)
                raise
        self._fd = fd
        with contextlib.suppress(OSError):  # who holds it is a courtesy (a full disk refuses)
            os.ftruncate(fd, 0)
            os.pwrite(fd, _whoami().encode("utf-8"), 0)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock

    def holder(self) -> str:
        """Who holds the lock (as written down), or "" when nobody does."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return ""
        try:
            return _read_holder(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _whoami() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:
        user = "someone"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    return f"onyx-wizard (pid {os.getpid()}, {user}@{socket.gethostname()}, since {since})"


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    return ""
