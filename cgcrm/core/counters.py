"""Expiring counters shared by every process through Redis, kept in memory while Redis is down.

The rate limits and the client lockout count here. Each call is one round trip (a pipeline).
When Redis fails or is slower than its timeout, the process counts in its own memory for a
while and then tries Redis again: the API keeps serving with per-process limits (looser by the
number of processes) instead of refusing everything or limiting nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)
T = TypeVar("T")

# Keys a process keeps in memory during an outage; beyond this, expired ones are pruned and,
# if that is not enough, all are forgotten (a flood of addresses must not exhaust memory).
MEMORY_KEYS_MAX = 100_000


class MemoryCounters:
    """The in-process stand-in for Redis: the same operations, visible to one process only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[int, float]] = {}

    def _live(self, key: str, now: float) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        return value if expires > now else 0

    def hit(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        now = self._clock()
        with self._lock:
            if len(self._values) > MEMORY_KEYS_MAX:
                self._prune(now)
            counts = []
            for key, ttl in keys:
                count = self._live(key, now) + 1
                self._values[key] = (count, now + ttl)
                counts.append(count)
            return counts

    def ttl(self, key: str) -> int:
        now = self._clock()
        with self._lock:
            _, expires = self._values.get(key, (0, 0.0))
            return max(0, int(expires - now + 0.999)) if self._live(key, now) else 0

    def set(self, key: str, ttl: int) -> None:
        with self._lock:
            self._values[key] = (1, self._clock() + ttl)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def _prune(self, now: float) -> None:
        self._values = {k: v for k, v in self._values.items() if v[1] > now}
        if len(self._values) > MEMORY_KEYS_MAX:
            log.warning("in-memory counters full: forgetting %d keys", len(self._values))
            self._values.clear()


class SharedCounters:
    """Counters in Redis under ``prefix``, falling back to ``MemoryCounters`` on failure.

    :param redis_url: the Redis to share counters through.
    :param prefix: prepended to every key (deployments sharing one Redis keep apart).
    :param timeout: seconds one round trip may take before Redis counts as down.
    :param retry_after: seconds to count in memory before trying Redis again.
    """

    def __init__(self, redis_url: str, prefix: str, timeout: float, retry_after: float) -> None:
        # No retries: a limiter that waits for Redis would slow every request during an outage.
        self._redis = redis.Redis.from_url(
            redis_url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._prefix = prefix
        self._retry_after = retry_after
        self._down_until = 0.0
        self.memory = MemoryCounters()

    @property
    def degraded(self) -> bool:
        """True while this process counts in memory because Redis failed."""
        return self._down_until > 0.0

    def _call(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        now = time.monotonic()
        if now < self._down_until:
            return local()
        try:
            result = remote()
        except (RedisError, OSError) as exc:
            if not self.degraded:
                log.warning(
                    "rate-limit counters: Redis unavailable (%s); counting in this process's "
                    "memory, retrying Redis every %.0f s",
                    type(exc).__name__,
                    self._retry_after,
                )
            self._down_until = now + self._retry_after
            return local()
        if self.degraded:
            log.warning("rate-limit counters: Redis is back; counting in Redis again")
            self._down_until = 0.0
        return result

    def _pipelined(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """``commands`` in one round trip on a pooled connection, their raw replies in order.

        What ``pipeline(transaction=False)`` sends, without its per-call objects, retry
        wrapper and reply callbacks: this runs before every API request. A connection that
        failed, or whose replies were not all read (an error reply), is closed, not reused.
        """
        pool = self._redis.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _ in commands]
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)

    def hit(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        """Add one to each key and (re)start its time to live; the keys' new values."""

        def remote() -> list[int]:
            commands: list[tuple[Any, ...]] = []
            for key, ttl in keys:
                commands.append(("INCR", self._prefix + key))
                commands.append(("EXPIRE", self._prefix + key, ttl))
            return [int(value) for value in self._pipelined(commands)[::2]]

        return self._call(remote, lambda: self.memory.hit(keys))

    def ttl(self, key: str) -> int:
        """Seconds until ``key`` expires; 0 when it does not exist."""

        def remote() -> int:
            return max(0, int(self._redis.ttl(self._prefix + key)))  # -2 absent, -1 no expiry

        return self._call(remote, lambda: self.memory.ttl(key))

    def set(self, key: str, ttl: int) -> None:
        """Create (or renew) ``key`` for ``ttl`` seconds."""
        self._call(
            lambda: self._redis.set(self._prefix + key, 1, ex=ttl),
            lambda: self.memory.set(key, ttl),
        )

    def delete(self, *keys: str) -> None:
        self._call(
            lambda: self._redis.delete(*(self._prefix + k for k in keys)),
            lambda: self.memory.delete(*keys),
        )
