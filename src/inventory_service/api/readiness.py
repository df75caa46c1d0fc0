"""Health (grpc.health.v1): readiness follows the database, liveness follows the process.

- "" and each inventory.v1 service: readiness. SERVING while the database answers a probe
  (every `interval` seconds); NOT_SERVING while it does not, and from shutdown on, so load
  balancers send calls elsewhere. It comes back by itself when the database does.
- LIVENESS_SERVICE: SERVING for as long as the process serves. A database outage is no reason
  to restart the process (it would not help), so liveness ignores it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from grpc_health.v1 import health_pb2

log = logging.getLogger("inventory_service.health")

LIVENESS_SERVICE = "liveness"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class ReadinessMonitor:
    def __init__(
        self,
        health: Any,  # grpc_health.v1.health.aio.HealthServicer
        probe: Callable[[], None],  # raises while the database does not answer
        services: Sequence[str],
        *,
        interval: float = 2.0,
        timeout: float = 5.0,
    ) -> None:
        self.health = health
        self.probe = probe
        self.services = ["", *services]
        self.interval = interval
        self.timeout = timeout
        self.ready: bool | None = None
        # Its own thread: a probe never waits behind busy database workers, and one that hangs
        # (a database that accepts but never answers) holds no worker.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-probe")
        self._pending: Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.health.set(LIVENESS_SERVICE, SERVING)
        await self.check()
        self._task = asyncio.create_task(self._watch(), name="readiness")

    async def stop(self) -> None:
        """Shutdown: not ready any more (liveness stays SERVING until the process ends)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for service in self.services:
            await self.health.set(service, NOT_SERVING)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def check(self) -> bool:
        """Probes the database once and sets readiness accordingly."""
        problem = await self._probe()
        ready = problem is None
        if ready != self.ready:
            if ready:
                log.info("database answers; ready", extra={"fields": {"ready": True}})
            else:
                log.warning(
                    "database does not answer; not ready",
                    extra={"fields": {"ready": False, "problem": problem}},
                )
            for service in self.services:
                await self.health.set(service, SERVING if ready else NOT_SERVING)
            self.ready = ready
        return ready

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def _probe(self) -> str | None:
        """None when the database answered in time, else what went wrong (one line)."""
        if self._pending is None or self._pending.done():
            self._pending = self._executor.submit(self.probe)
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._pending), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as error:  # the driver's error says why; its traceback does not help
            return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return None
