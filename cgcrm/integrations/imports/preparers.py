"""Batches of an import prepared ahead, in processes forked for the job.

Preparing a batch (validation, record building, widening the names, the population's
candidates and their scores) is mostly Python and needs nothing the batches before it write:
the file's own earlier rows are matched when a batch is decided, in order, in the job's
process. Threads share one interpreter lock, so a thread preparing ahead ran beside the
writer but never at the same time as its Python. Here ``processes`` children, forked from the
job's process once per job (so they start with its warm caches: the model, the name
dictionary, the nickname table), each prepare whole batches on connections of their own while
the job's process decides and writes the batch before; at most ``processes + 1`` batches are
prepared ahead, so memory is bounded whatever the file's length.

A child dies with the job's process (``worker.lifeline``: ``PR_SET_PDEATHSIG``), so a job killed
mid-import leaves nothing running; what it prepared and did not write is prepared again by the
job that resumes. Children never write.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import socket
import stat
import uuid
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from typing import Any

from flask import Flask

from cgcrm.core.ids import uuid_of
from cgcrm.extensions import db
from cgcrm.matching.normalise import AddressForm, Features, NameForm
from cgcrm.worker import lifeline

# What a child works with, set by the job's process just before it forks (inherited, never
# pickled): the application and the function preparing one batch.
_APP: Flask | None = None
_PREPARE: Callable[[Sequence[Any]], Any] | None = None
_BATCHES: list[Sequence[Any]] = []


def _by_fields(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """A pickle reduction of a frozen dataclass with slots: its class and its fields' values,
    read in C. Without it each object is pickled through the dataclass's ``__getstate__``
    and unpickled through its ``__setstate__`` (Python loops over its fields, for every name,
    address and record a batch carries: most of the job's unpickling)."""
    values = attrgetter(*(f.name for f in dataclasses.fields(cls)))

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(obj)

    return reduce


def _uuid_by_int(value: uuid.UUID) -> tuple[Callable[[int], uuid.UUID], tuple[int]]:
    """A UUID pickled as its number, made again by ``ids.uuid_of`` (not through
    ``UUID.__setstate__``: a batch carries thousands)."""
    return uuid_of, (value.int,)


def _register_reductions() -> None:
    """How the children pickle the features and ids a prepared batch carries
    (``_by_fields``, ``_uuid_by_int``): set in the job's process before it forks, so the
    children inherit it."""
    for cls in (Features, NameForm, AddressForm):
        ForkingPickler.register(cls, _by_fields(cls))
    ForkingPickler.register(uuid.UUID, _uuid_by_int)


def _close_database_sockets(port: int) -> None:
    """Close this process's copies of its parent's connections to the database server: the
    sockets connected to its port (TCP) or to its Unix socket (``.s.PGSQL.<port>``). Only the
    descriptors are closed, nothing is said to the server (that would end the parent's
    sessions). Linux only (``/proc``); elsewhere nothing is closed."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for descriptor in descriptors:
        try:
            if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                continue
            probe = socket.socket(fileno=descriptor)
        except OSError:
            continue
        try:
            peer = probe.getpeername()
        except OSError:
            peer = None
        finally:
            probe.detach()
        if (isinstance(peer, tuple) and peer[1] == port) or (
            isinstance(peer, str) and peer.endswith(f".s.PGSQL.{port}")
        ):
            os.close(descriptor)


def _start_child() -> None:
    """In a new child: forget the job's connections. Not through the driver (closing one would
    end the parent's session): the child's copies of their sockets are closed, and its pool
    forgets them. Otherwise a job killed mid-file would keep its sessions, and with them its
    advisory lock (``core.advisory``), until its last child died, not when it did."""
    assert _APP is not None
    with _APP.app_context():
        _close_database_sockets(db.engine.url.port or 5432)
        db.engine.dispose(close=False)


def _prepare_in_child(index: int) -> Any:
    """``prepare`` of the batch at ``index`` (the batches are inherited: only results are
    pickled)."""
    assert _APP is not None and _PREPARE is not None
    with _APP.app_context():
        try:
            return _PREPARE(_BATCHES[index])
        finally:
            db.session.rollback()
            db.session.remove()


def prepared_in_processes(
    app: Flask,
    prepare: Callable[[Sequence[Any]], Any],
    batches: list[Sequence[Any]],
    processes: int,
) -> Generator[Any, None, None]:
    """``prepare(batch)`` of every batch, in order, computed in ``processes`` forked children.

    ``prepare`` runs in a child with an application context and a session of its own; what it
    returns is pickled back. Closing the generator (a batch failed) stops the children.
    """
    global _APP, _PREPARE, _BATCHES
    if not batches:
        return
    lifeline.children_die_with_this_process()
    _register_reductions()
    _APP, _PREPARE, _BATCHES = app, prepare, batches
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=min(processes, len(batches)), mp_context=context, initializer=_start_child
    )
    try:
        pending: deque[Future[Any]] = deque()
        submitted = 0
        for _ in range(len(batches)):
            while submitted < len(batches) and len(pending) <= processes:
                pending.append(pool.submit(_prepare_in_child, submitted))
                submitted += 1
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _APP, _PREPARE, _BATCHES = None, None, []


def available() -> bool:
    """Whether this platform forks (Linux, macOS); elsewhere a thread prepares ahead."""
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()
