"""A token bucket: a rate with a burst, for what one caller may send (a scanner stream's entries).
Pure: the caller passes the time."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """Up to `burst` at once, refilled at `rate` per second."""

    rate: float
    burst: float
    _tokens: float = field(init=False)
    _at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._tokens = self.burst

    def take(self, amount: float, now: float) -> float:
        """Takes amount and returns 0, or takes nothing and returns the seconds to wait until
        amount is there. An amount above the burst goes through on a full bucket and is paid
        for after (the bucket goes below zero)."""
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        needed = min(amount, self.burst)
        if needed <= self._tokens:
            self._tokens -= amount
            return 0.0
        return (needed - self._tokens) / self.rate
