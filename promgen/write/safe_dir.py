"""The output directory, walked one component at a time without ever following a link.

Everything below DIR is untrusted: a pull request can commit a symbolic link where an output
belongs (`DIR/prometheus -> /etc`, `DIR/prometheus/prometheus.yml -> /proc/self/environ`). So
every path promgen reads, writes or removes below DIR is opened from DIR's own file descriptor,
one component at a time with O_NOFOLLOW; a link, FIFO, device or socket where a directory or an
output belongs is an OutputError naming it, and nothing is read or written through it.

DIR itself is the path the user gave on the command line and is trusted up to its last
component, which must be a real directory (not a link to one).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from promgen.errors import OutputError, printable

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_MODE = 0o644
DIR_MODE = 0o755
_WALKED_MAX = 256
WALK_LIMIT = 200_000  # entries below DIR `everything` lists before it gives up


def describe(mode: int) -> str:
    """What kind of file `mode` (from lstat) is, for messages."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file"


class OutputDir:
    """An open output directory; relative paths are POSIX paths checked by `manifest.safe_relative`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        # Directories below DIR already walked, by their parts: each was opened without following a
        # link, so reusing its descriptor is as safe as walking again (and a render touches thousands
        # of files in a few dozen directories). Dropped whenever a directory is removed.
        self._walked: dict[tuple[str, ...], int] = {}

    # --- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool) -> OutputDir | None:
        """DIR opened without following a link at its last component; None when it does not exist
        and `create` is false."""
        if create:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                pass  # a file or link: reported below
            except OSError as error:
                raise OutputError(f"cannot create {printable(str(path))}: {error.strerror or error}") from None
        try:
            fd = os.open(path, _DIR_FLAGS)
        except FileNotFoundError:
            if create:
                raise OutputError(f"cannot create {printable(str(path))}") from None
            return None
        except OSError as error:
            raise OutputError(cls._not_a_directory(path, error)) from None
        return cls(path, fd)

    @staticmethod
    def _not_a_directory(path: Path, error: OSError) -> str:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return f"cannot open {printable(str(path))}: {error.strerror or error}"
        if stat.S_ISLNK(mode):
            return (f"the output directory {printable(str(path))} is a symbolic link; "
                    "give promgen the real directory it points at")
        if not stat.S_ISDIR(mode):
            return f"the output directory {printable(str(path))} is {describe(mode)}, not a directory"
        return f"cannot open {printable(str(path))}: {error.strerror or error}"

    def close(self) -> None:
        self._forget_walked()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def shown(self, rel: str) -> str:
        """`rel` as the user sees it: DIR/rel, control characters escaped."""
        return printable(str(self.path / rel))

    # --- locking -----------------------------------------------------------------------------

    @contextmanager
    def locked(self, *, exclusive: bool, timeout_s: float) -> Iterator[None]:
        """flock(2) on DIR itself: one render at a time (exclusive), `--check` beside other checks
        (shared). Waits up to `timeout_s` for the lock, saying so once."""
        kind = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(self.fd, kind | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"another promgen render is still writing {printable(str(self.path))} "
                        f"after {timeout_s:g}s; try again when it has finished"
                    ) from None
                if not told:
                    print(f"waiting for another promgen render in {printable(str(self.path))} ...", file=sys.stderr)
                    told = True
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    # --- walking -----------------------------------------------------------------------------

    def _forget_walked(self) -> None:
        walked, self._walked = self._walked, {}
        for fd in walked.values():
            os.close(fd)

    def _walk(self, parts: list[str], *, create: bool, rel: str) -> tuple[int | None, bool]:
        """(a descriptor of the directory `parts` below DIR or None when missing and not `create`,
        whether the caller owns it); descriptors the walk cache keeps are never the caller's to close."""
        if not parts:
            return self.fd, False
        key = tuple(parts)
        cached = self._walked.get(key)
        if cached is not None:
            return cached, False
        fd = self._walk_new(parts, create=create, rel=rel)
        if fd is None or len(self._walked) >= _WALKED_MAX:  # a bounded cache: descriptors are limited
            return fd, fd is not None
        self._walked[key] = fd
        return fd, False

    def _walk_new(self, parts: list[str], *, create: bool, rel: str) -> int | None:
        """A new descriptor of the directory `parts` below DIR; None when missing (and not `create`).

        Each descriptor is closed exactly once even when a signal handler raises between two
        statements (SIGTERM becomes SystemExit during a render)."""
        fd = os.dup(self.fd)
        walked: list[str] = []
        try:
            for part in parts:
                walked.append(part)
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        return None
                    try:
                        os.mkdir(part, DIR_MODE, dir_fd=fd)
                    except FileExistsError:
                        pass
                    except OSError as error:
                        raise OutputError(
                            f"cannot create {self.shown('/'.join(walked))}: {error.strerror or error}"
                        ) from None
                    child = self._open_dir(fd, part, walked, rel)
                except OSError:
                    child = self._open_dir(fd, part, walked, rel)
                fd, previous = child, fd
                os.close(previous)
            found, fd = fd, -1
            return found
        finally:
            if fd >= 0:
                os.close(fd)

    def _open_dir(self, parent: int, part: str, walked: list[str], rel: str) -> int:
        try:
            return os.open(part, _DIR_FLAGS, dir_fd=parent)
        except OSError as error:
            try:
                mode = os.stat(part, dir_fd=parent, follow_symlinks=False).st_mode
            except OSError:
                raise OutputError(f"cannot open {self.shown('/'.join(walked))}: {error.strerror or error}") from None
            where = self.shown("/".join(walked))
            if stat.S_ISLNK(mode):
                raise OutputError(
                    f"refusing to go through {where}: it is a symbolic link, and promgen never reads or writes "
                    f"through links in the output directory (needed for {printable(rel)})"
                ) from None
            raise OutputError(f"cannot write {self.shown(rel)}: {where} is {describe(mode)} where a directory belongs") from None

    @contextmanager
    def parent(self, rel: str, *, create: bool = False) -> Iterator[tuple[int | None, str]]:
        """(descriptor of rel's directory or None when missing, rel's last component)."""
        *parts, name = rel.split("/")
        fd, owned = self._walk(parts, create=create, rel=rel)
        try:
            yield fd, name
        finally:
            if owned:
                assert fd is not None
                os.close(fd)

    def kind(self, rel: str) -> int | None:
        """lstat mode of `rel`, None when it does not exist."""
        with self.parent(rel) as (fd, name):
            if fd is None:
                return None
            try:
                return os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                return None

    # --- reading -----------------------------------------------------------------------------

    def read(self, rel: str, limit: int) -> bytes | None:
        """The bytes of regular file `rel`; None when it does not exist. A link, directory, FIFO or
        device there is an OutputError, and so is a file larger than `limit` bytes."""
        with self.parent(rel) as (fd, name):
            if fd is None:
                return None
            try:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                return None
            self._regular(rel, mode)
            try:
                handle = os.open(name, _READ_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                return None
            except OSError as error:
                if error.errno == errno.ELOOP:
                    self._regular(rel, stat.S_IFLNK)
                raise OutputError(f"cannot read {self.shown(rel)}: {error.strerror or error}") from None
        try:
            self._regular(rel, os.fstat(handle).st_mode)  # swapped for something else meanwhile
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = os.read(handle, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as error:
            raise OutputError(f"cannot read {self.shown(rel)}: {error.strerror or error}") from None
        finally:
            os.close(handle)
        if size > limit:
            raise OutputError(f"{self.shown(rel)} is larger than {limit} bytes; promgen never writes a file that large")
        return b"".join(chunks)

    def _regular(self, rel: str, mode: int) -> None:
        if stat.S_ISREG(mode):
            return
        if stat.S_ISDIR(mode):
            raise OutputError(f"cannot write {self.shown(rel)}: a directory is in the way")
        raise OutputError(
            f"refusing to touch {self.shown(rel)}: it is {describe(mode)}, not a regular file; promgen never reads "
            "or writes through links, pipes or devices in the output directory (remove it)"
        )

    def names(self) -> list[str]:
        """The entries directly in DIR."""
        return sorted(os.listdir(self.fd))

    def everything(self, limit: int = WALK_LIMIT) -> list[str]:
        """Every entry below DIR that is not a directory (files, links, pipes, ...), as relative POSIX
        paths in name order. Directories are entered without following a link (a link to a directory
        is listed, not entered); more than `limit` entries is an OutputError, not a long wait."""
        found: list[str] = []
        pending: list[tuple[int, str]] = [(os.dup(self.fd), "")]
        try:
            while pending:
                fd, prefix = pending.pop()
                try:
                    with os.scandir(fd) as entries:
                        for entry in entries:
                            rel = prefix + entry.name
                            if entry.is_dir(follow_symlinks=False):
                                child = self._open_dir(fd, entry.name, rel.split("/"), rel)
                                pending.append((child, rel + "/"))
                            else:
                                found.append(rel)
                            if len(found) + len(pending) > limit:
                                raise OutputError(
                                    f"{printable(str(self.path))} holds more than {limit} entries; promgen never "
                                    "writes that many, so it does not read further"
                                )
                finally:
                    os.close(fd)
        finally:
            for fd, _prefix in pending:
                os.close(fd)
        return sorted(found)

    # --- writing -----------------------------------------------------------------------------

    def create(self, rel: str, data: bytes) -> None:
        """A new regular file (never an existing one), synced to disk."""
        with self.parent(rel, create=True) as (fd, name):
            assert fd is not None
            try:
                handle = os.open(name, _CREATE_FLAGS, FILE_MODE, dir_fd=fd)
            except OSError as error:
                raise OutputError(f"cannot write {self.shown(rel)}: {error.strerror or error}") from None
            try:
                os.fchmod(handle, FILE_MODE)  # whatever the umask
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view):]
                os.fsync(handle)
            except OSError as error:
                raise OutputError(f"cannot write {self.shown(rel)}: {error.strerror or error}") from None
            finally:
                os.close(handle)

    def prepare_parent(self, rel: str) -> None:
        """Create rel's directory (never through a link) and check it can take a new file there."""
        with self.parent(rel, create=True) as (fd, _name):
            assert fd is not None
            if os.fstat(fd).st_dev != os.fstat(self.fd).st_dev:
                raise OutputError(
                    f"cannot replace {self.shown(rel)} atomically: its directory is on another file system than "
                    f"{printable(str(self.path))}"
                )
            if not os.access(".", os.W_OK, dir_fd=fd):
                raise OutputError(f"cannot write {self.shown(rel)}: its directory is read-only")

    def rename(self, source: str, target: str, *, missing_ok: bool = False) -> None:
        """Move `source` over `target` (both below DIR) with one atomic rename; a missing `source` is
        an error unless `missing_ok` (a journal repeated after an interruption finds moves made)."""
        with self.parent(source) as (source_fd, source_name), self.parent(target, create=True) as (target_fd, name):
            if source_fd is not None:  # else its directory is gone, and so is it
                try:
                    os.rename(source_name, name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
                    return
                except FileNotFoundError:
                    pass
                except OSError as error:
                    raise OutputError(f"cannot write {self.shown(target)}: {error.strerror or error}") from None
        if not missing_ok:
            raise OutputError(f"cannot move {self.shown(source)}: it is gone")

    def unlink(self, rel: str) -> None:
        with self.parent(rel) as (fd, name):
            if fd is None:
                return
            try:
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                pass
            except OSError as error:
                raise OutputError(f"cannot remove {self.shown(rel)}: {error.strerror or error}") from None

    def remove_empty_parents(self, rel: str) -> None:
        """Remove the directories of `rel` that are left empty, deepest first (never DIR)."""
        parts = rel.split("/")[:-1]
        while parts:
            with self.parent("/".join(parts)) as (fd, name):
                if fd is None:
                    return
                try:
                    os.rmdir(name, dir_fd=fd)
                except OSError:  # not empty, or not ours to judge: stop
                    return
                self._forget_walked()  # closes `fd` too; it is not used again
            parts.pop()

    def remove_tree(self, name: str) -> None:
        """Remove an entry of DIR and, when it is a directory, everything in it (links are removed,
        never followed)."""
        self._forget_walked()
        try:
            mode = os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                shutil.rmtree(name, dir_fd=self.fd)
            else:
                os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise OutputError(f"cannot remove {self.shown(name)}: {error.strerror or error}") from None

    def sync(self) -> None:
        os.fsync(self.fd)
