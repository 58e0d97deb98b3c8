"""COPY loading with worker processes for the bulk loader.

Worker ``k`` of ``W`` generates the whole deterministic stream and keeps the chunks
``chunk_no % W == k``; each worker COPYs its chunks through a ``RowBuilder`` and reports
progress and its results to the parent over a queue.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import psycopg
from loader_rows import LOADED_TABLES, RowBuilder

# The application, built in the parent before the workers fork (they inherit it).
_APP: Any = None


def set_app(app: Any) -> None:
    """Set the application the workers use (call in the parent, before forking them)."""
    global _APP
    _APP = app


@dataclass
class WorkerTask:
    worker: int
    workers: int
    count: int
    seed: int
    chunk_size: int
    dsn: str
    sample: frozenset[int]


@dataclass
class WorkerResult:
    worker: int
    tokens: dict[str, int] = field(default_factory=dict)
    samples: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _worker(task: WorkerTask, messages: Any) -> None:
    """Generate the whole stream, keep this worker's chunks, COPY them chunk by chunk."""
    try:
        from cgcrm.citizens.synthetic import generate_citizens

        result = WorkerResult(task.worker)
        with _APP.app_context(), psycopg.connect(task.dsn) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.commit()
            builder = RowBuilder()
            pending = 0
            for index, payload in enumerate(generate_citizens(task.count, seed=task.seed)):
                if (index // task.chunk_size) % task.workers != task.worker:
                    continue
                try:
                    citizen_id = builder.add(payload)
                except ValueError as exc:
                    result.skipped.append((index, str(exc)))
                else:
                    if index in task.sample:
                        result.samples[index] = (citizen_id, payload)
                pending += 1
                last_of_chunk = (index + 1) % task.chunk_size == 0 or index + 1 == task.count
                if last_of_chunk:
                    written = builder.flush(conn)
                    messages.put(("progress", task.worker, pending, written))
                    pending = 0
            result.tokens = builder.tokens
        messages.put(("done", task.worker, result))
    except BaseException:  # report anything, including KeyboardInterrupt, to the parent
        messages.put(("error", task.worker, traceback.format_exc()))
        raise


def _run_workers(tasks: list[WorkerTask], count: int) -> tuple[list[WorkerResult], dict[str, int]]:
    context = mp.get_context("fork")
    messages = context.Queue()
    processes = [context.Process(target=_worker, args=(task, messages)) for task in tasks]
    for process in processes:
        process.start()
    results: list[WorkerResult] = []
    totals: dict[str, int] = dict.fromkeys(LOADED_TABLES, 0)
    done_citizens = 0
    started = last_report = time.perf_counter()
    try:
        while len(results) < len(tasks):
            try:
                message = messages.get(timeout=5)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"worker exited with {dead[0].exitcode}") from None
                continue
            kind = message[0]
            if kind == "error":
                raise RuntimeError(f"worker {message[1]} failed:\n{message[2]}")
            if kind == "done":
                results.append(message[2])
                continue
            _, _, citizens, written = message
            done_citizens += citizens
            for table, n in written.items():
                totals[table] += n
            now = time.perf_counter()
            if now - last_report >= 10 or done_citizens == count:
                elapsed = now - started
                rows = sum(totals.values())
                print(
                    f"  {done_citizens:>9,} citizens {rows:>10,} rows  {elapsed:6.0f} s  "
                    f"{done_citizens / elapsed:8,.0f} citizens/s  {rows / elapsed:9,.0f} rows/s",
                    flush=True,
                )
                last_report = now
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        raise
    for process in processes:
        process.join()
    return results, totals
