"""Separate limits for open streams and for unary calls in progress, per server process, and a
limit of unary calls in progress per caller (CallerLimitInterceptor).

grpc's own maximum_concurrent_rpcs counts both kinds together, so a shift of scanners holding
its streams open for hours would refuse every unary call of the internal services. Here each
kind has its own count; beyond it a call gets RESOURCE_EXHAUSTED (reason TOO_MANY_STREAMS or
TOO_MANY_CALLS) at once. Health and reflection are not counted: a load balancer's checks must
get through a full server (grpc's limit, set above the sum of ours, still bounds them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc

from inventory_service.api.caller import peek_caller
from inventory_service.api.interceptors import Scope, ScopedInterceptor
from inventory_service.api.method_roles import is_public
from inventory_service.domain.errors import ResourceExhausted

# What a caller over its own limit is told to wait (RetryInfo): a call takes milliseconds.
CALLER_RETRY_SECONDS = 0.1


class _Slots:
    def __init__(self, limit: int, reason: str, what: str) -> None:
        self.limit = limit
        self.reason = reason
        self.what = what
        self.taken = 0

    @asynccontextmanager
    async def hold(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        # One event loop per process: the check and the increment cannot interleave.
        if self.taken >= self.limit:
            raise ResourceExhausted(
                f"this server already holds {self.limit} {self.what}; retry later",
                reason=self.reason,
                metadata={"limit": str(self.limit)},
            )
        self.taken += 1
        try:
            yield
        finally:
            self.taken -= 1


class CallLimitInterceptor(ScopedInterceptor):
    def __init__(self, *, max_open_streams: int, max_unary_calls: int) -> None:
        self.streams = _Slots(max_open_streams, "TOO_MANY_STREAMS", "open streams")
        self.unary = _Slots(max_unary_calls, "TOO_MANY_CALLS", "calls in progress")

    def scope_for(self, handler: Any, method: str) -> Scope | None:
        if is_public(method):
            return None
        streaming = handler.request_streaming or handler.response_streaming
        return (self.streams if streaming else self.unary).hold


class CallerLimitInterceptor(ScopedInterceptor):
    """At most max_calls unary calls in progress per caller (the token's `sub`), per server
    process: one caller's flood (an internal service gone wrong, a script) waits its turn
    instead of filling the database threads that every other caller needs. Runs after
    authentication; streams are bounded by their entry rate instead (StreamLimits)."""

    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self.taken: dict[str, int] = {}

    def scope_for(self, handler: Any, method: str) -> Scope | None:
        streaming = handler.request_streaming or handler.response_streaming
        if is_public(method) or streaming or self.max_calls <= 0:
            return None
        return self.hold

    @asynccontextmanager
    async def hold(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        caller = peek_caller()
        if caller is None:  # refused by authentication before this runs
            yield
            return
        who = caller.user_id
        taken = self.taken.get(who, 0)
        # One event loop per process: the check and the increment cannot interleave.
        if taken >= self.max_calls:
            raise ResourceExhausted(
                f"this caller already has {self.max_calls} calls in progress on this server; "
                "retry after the retry delay",
                reason="TOO_MANY_CALLS_FROM_CALLER",
                metadata={"limit": str(self.max_calls)},
                retry_after=CALLER_RETRY_SECONDS,
            )
        self.taken[who] = taken + 1
        try:
            yield
        finally:
            left = self.taken[who] - 1
            if left:
                self.taken[who] = left
            else:
                del self.taken[who]


def grpc_backstop(max_open_streams: int, max_unary_calls: int) -> int:
    """grpc's maximum_concurrent_rpcs: above both our limits, with room for health checks."""
    return max_open_streams + max_unary_calls + 100
