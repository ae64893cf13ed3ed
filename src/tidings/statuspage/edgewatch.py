"""Noticing a new snapshot the moment it is made current.

A publish ends by renaming a new ``current`` link into the snapshot directory. Looking for that
every ``edge_reload_seconds`` put up to that long (0.25 s by default, half of it on average)
between a publish and its pages being served, whatever the publish itself cost. On Linux the
kernel says when an entry of the directory is created or renamed into it (inotify): the edge
then reads the link at once and costs nothing while nothing changes. Polling stays, at the
configured period, for other systems and for file systems that do not report changes (a
network mount written by another host).

Through ``ctypes`` and the C library, not a package: three calls and a file descriptor the event
loop already knows how to wait on. No Django here: the edge runs while the database is down.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = 0o2000000
_IN_MOVED_TO = 0x080  # ``current`` is swapped by rename(2)
_IN_CREATE = 0x100  # or made anew (``ln -sfn``, a sync tool without rename)
_IN_ONLYDIR = 0x01000000


class SnapshotWatch:
    """A descriptor that becomes readable when an entry appears in the snapshot directory
    (a new ``current`` among them). :meth:`drain` before looking, so it waits for the next."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def drain(self) -> None:
        """Read every pending event; what they name does not matter, the link is read next."""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while os.read(self.fd, 65536):
                pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def watch(root: Path) -> SnapshotWatch | None:
    """A watch on ``root``, or None where the system has no inotify (the caller polls)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):  # not Linux
        return None
    init.argtypes, init.restype = [ctypes.c_int], ctypes.c_int
    add.argtypes, add.restype = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32], ctypes.c_int
    fd = init(_IN_NONBLOCK | _IN_CLOEXEC)
    if fd < 0:
        log.info("no inotify (errno %d): looking for new snapshots by polling", ctypes.get_errno())
        return None
    if add(fd, os.fsencode(root), _IN_MOVED_TO | _IN_CREATE | _IN_ONLYDIR) < 0:
        # no directory yet, or too many watches: polling finds the first snapshot
        log.info("cannot watch %s (errno %d): polling for new snapshots", root, ctypes.get_errno())
        os.close(fd)
        return None
    return SnapshotWatch(fd)
