"""Reading a table from a path: regular files only, and never more than the size limit.

A named pipe, a device or a socket given as the table (``python -m geo.validate``, ``OFFICES_CSV``)
is refused with a message instead of blocking in ``open()`` or reading without end (issue #17): the
path is checked with ``os.stat`` first, opened without blocking, and checked again on the open
descriptor (the path may have been replaced in between).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import TypeVar

from geo.offices.problems import OfficeTableError, Problem, limit_megabytes, megabytes

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _refuse(source: str, message: str) -> OfficeTableError:
    return OfficeTableError([Problem(source, message)])


def _not_regular(mode: int) -> str | None:
    """What a file of this mode is when it is not a regular file ("a named pipe (FIFO)"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def _check_size(source: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _refuse(source, f"is {megabytes(size)}; the limit is {limit_megabytes(max_bytes)}")


T = TypeVar("T")


def _os_call(source: str, call: Callable[..., T], *args: object) -> T:
    """``call(*args)`` with the errors of a bad path turned into OfficeTableError."""
    try:
        return call(*args)
    except FileNotFoundError:
        raise _refuse(source, "does not exist") from None
    except OSError as err:
        raise _refuse(source, f"cannot be read: {err.strerror or err}") from err
    except ValueError as err:  # e.g. a NUL character in the path
        raise _refuse(source, f"cannot be read: {err}") from err


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes``; else OfficeTableError saying why."""
    source = str(path)
    before = _os_call(source, os.stat, path)
    kind = _not_regular(before.st_mode)
    if kind is not None:
        raise _refuse(source, f"is {kind}, not a CSV file")
    _check_size(source, before.st_size, max_bytes)
    fd = _os_call(source, os.open, path, _OPEN_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(fd)
        kind = _not_regular(opened.st_mode)
        if kind is not None:  # the path was replaced between the check and the open
            raise _refuse(source, f"is {kind}, not a CSV file")
        _check_size(source, opened.st_size, max_bytes)
        os.set_blocking(fd, True)
        # At most one byte past the limit: the file may grow while it is read.
        raw = _os_call(source, handle.read, max_bytes + 1)
    if len(raw) > max_bytes:
        limit = limit_megabytes(max_bytes)
        raise _refuse(source, f"is more than {limit}; the limit is {limit}")
    return raw
