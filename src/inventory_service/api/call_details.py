"""What the server knows of the current call, read from grpc's call object once, when it starts.

grpc.aio frees the core call when the call's task ends; reading `context.peer()` (or anything
else that reaches into the core call) later crashes the process with SIGSEGV. So the
interceptors read peer and metadata here at the start and nothing after the call ended touches
the context; the code a call ended with is recorded here by whoever aborts it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import grpc

_current: ContextVar[CallDetails | None] = ContextVar("inventory_call", default=None)
# The call's metadata as grpc decoded it for the interceptors (HandlerCallDetails). Reading it
# again from the context decodes it again, and grpc logs each value that is not UTF-8 at each
# decoding (logs.py turns that line into one warning).
_metadata: ContextVar[tuple[tuple[str, str | bytes], ...] | None] = ContextVar(
    "inventory_call_metadata", default=None
)


@dataclass
class CallDetails:
    method: str
    peer: str
    metadata: tuple[tuple[str, str | bytes], ...] = ()
    # The status the call was aborted with (set by the one abort helper), None while it runs.
    code: grpc.StatusCode | None = field(default=None)

    def header(self, key: str) -> str | None:
        """The first value of a text metadata key (binary `-bin` keys are not read here)."""
        for item_key, value in self.metadata:
            if item_key == key:
                return value if isinstance(value, str) else None
        return None


def remember_metadata(handler_call_details: grpc.HandlerCallDetails) -> None:
    """Keeps the metadata grpc handed the interceptors, for call_details (the call's task runs
    the interceptors' lookup and then its handler, in one context)."""
    if _metadata.get() is None:
        _metadata.set(tuple(handler_call_details.invocation_metadata or ()))


def call_details(context: grpc.aio.ServicerContext[Any, Any], method: str = "") -> CallDetails:
    """The current call's details: read from the context the first time, reused after (each
    call runs in a task of its own, so they never leak to another call).

    Call only while the call runs: in an interceptor's scope or a handler, before it returns."""
    details = _current.get()
    if details is None:
        metadata = _metadata.get()
        if metadata is None:
            metadata = tuple(context.invocation_metadata() or ())
        details = CallDetails(method, context.peer(), metadata)
        _current.set(details)
    return details
