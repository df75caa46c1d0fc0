"""Backoff between attempts, and which failed calls are tried again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import grpc

from inventory_client.errors import InventoryError


@dataclass(frozen=True)
class Backoff:
    """Delay before reconnect attempt n (0-based): initial * multiplier**n, capped at maximum,
    then lowered by up to `jitter` of itself at random so a fleet does not reconnect in step."""

    initial: float = 0.2
    multiplier: float = 2.0
    maximum: float = 15.0
    jitter: float = 0.5

    def delay(self, attempt: int, rng: random.Random) -> float:
        capped = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return capped * (1.0 - self.jitter * rng.random())


@dataclass(frozen=True)
class RetryPolicy:
    """Unary calls that are safe to repeat (reads, and writes carrying a request_id) are tried
    up to max_attempts times while they fail at the connection (see retryable), waiting
    `backoff` between attempts. All attempts share the call's one deadline. Other failures are
    answers, never retried."""

    max_attempts: int = 4
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=0.1, maximum=2.0))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @staticmethod
    def retryable(failure: InventoryError) -> bool:
        """A connection-level failure, the one rule of this client: UNAVAILABLE (server
        restarting or draining, database briefly down, connection refused or lost), and
        INTERNAL or UNKNOWN made by the transport (a connection reset as a worker or replica
        dies), which carry none of the server's error details: every status the service sends
        itself has an ErrorInfo, and its own INTERNAL is a bug that a retry would repeat."""
        if failure.code == grpc.StatusCode.UNAVAILABLE:
            return True
        return failure.code in _TRANSPORT_CODES and not failure.domain


_TRANSPORT_CODES = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})


NO_RETRY = RetryPolicy(max_attempts=1)
