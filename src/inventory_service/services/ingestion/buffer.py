"""A bounded FIFO between a stream's reader and its recorder, counted in entries."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class EntryBuffer(Generic[T]):
    """One producer puts, one consumer takes; the producer waits while the buffer is full."""

    def __init__(self, capacity: int) -> None:
        self._items: deque[T] = deque()
        self._capacity = capacity
        self._closed = False
        self._error: BaseException | None = None
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def put_all(self, items: Sequence[T]) -> None:
        """Adds items in order, waiting for room as it goes."""
        start = 0
        while start < len(items):
            room = self._capacity - len(self._items)
            if room <= 0:
                await self._changed.wait()
                continue
            self._items.extend(items[start : start + room])
            start += room
            self._notify()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, error: BaseException | None = None) -> None:
        self._closed = True
        self._error = error
        self._notify()

    async def take(self, max_items: int, linger: float) -> list[T]:
        """Up to max_items, waiting for the first and up to linger seconds for a fuller batch;
        [] once closed and empty. Raises the error the producer closed with."""
        while not self._items:
            if self._error is not None:
                raise self._error
            if self._closed:
                return []
            await self._changed.wait()
        if linger > 0 and len(self._items) < max_items and not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(linger):
                    while len(self._items) < max_items and not self._closed:
                        await self._changed.wait()
        count = min(max_items, len(self._items))
        taken = [self._items.popleft() for _ in range(count)]
        self._notify()
        return taken
