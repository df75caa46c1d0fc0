"""Backoff between attempts, and which failed calls are tried again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import grpc


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
    up to max_attempts times while they fail with UNAVAILABLE (server restarting or draining,
    database briefly down, connection lost), waiting `backoff` between attempts. All attempts
    share the call's one deadline. Other codes are answers, never retried."""

    max_attempts: int = 4
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=0.1, maximum=2.0))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @staticmethod
    def retryable(code: grpc.StatusCode) -> bool:
        return code == grpc.StatusCode.UNAVAILABLE


NO_RETRY = RetryPolicy(max_attempts=1)
