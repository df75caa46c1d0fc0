"""The authenticated caller of the current RPC, set by the auth interceptor."""

from __future__ import annotations

from contextvars import ContextVar

from inventory_service.domain.identity import Caller

_current: ContextVar[Caller | None] = ContextVar("inventory_caller", default=None)


def current_caller() -> Caller:
    caller = _current.get()
    if caller is None:  # the interceptor guards every non-public method
        raise RuntimeError("no authenticated caller in this context")
    return caller


def set_caller(caller: Caller | None) -> None:
    _current.set(caller)


def peek_caller() -> Caller | None:
    return _current.get()
