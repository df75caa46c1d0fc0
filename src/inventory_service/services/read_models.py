"""Read models: what the service layer hands to its callers are frozen dataclasses, never
mapped rows, so nothing above it can touch the database through them."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

V = TypeVar("V")


@functools.cache
def _field_names(view: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(view))


def from_row(view: Callable[..., V], row: object, **values: Any) -> V:
    """A read model whose fields are taken from the row's attributes of the same names, except
    those given in values."""
    names = _field_names(view)
    return view(**{name: values[name] if name in values else getattr(row, name) for name in names})
