"""A page of a list: its items and the key to continue after (keyset paging)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class PageRequest:
    size: int
    after: Key | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_key: Key | None

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.next_key)
