"""Nothing the worker forks outlives it: each child dies with its parent.

A worker killed with SIGKILL cannot stop its children, and RQ puts every work horse in a session
of its own, so a signal to the worker's process group misses them too. A surviving horse keeps
running a job that another worker will retry once the heartbeat lapses (two runs at once), and
a surviving helper process keeps whatever locks it held. So every child forked by the worker
asks the kernel for SIGKILL when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``), then
checks that the parent is still there: one that died between the fork and the request would
otherwise go unnoticed. Grandchildren (a job that forks) inherit the hook and do the same.

The kernel sends the signal when the *thread* that forked the child ends, not the process: the
worker forks only from its main thread, which lives as long as the worker. Elsewhere than Linux
there is no such call; there the worker has no long-lived children of its own (the scheduler is
a thread, ``cgcrm.worker.periodic``) and a horse ends with its job.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1

_installed = False
_parent_pid = 0
_prctl: Callable[..., int] | None = None


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _remember_parent() -> None:
    global _parent_pid
    _parent_pid = os.getpid()


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != _parent_pid:
        os._exit(1)  # the parent is already gone: nobody would collect this child's work


def children_die_with_this_process() -> None:
    """From now on every fork of this process (and of its children) dies with its parent.

    Idempotent; the hooks last for the life of the process.
    """
    global _installed, _prctl
    if _installed:
        return
    _installed = True
    _prctl = _load_prctl()
    os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)
