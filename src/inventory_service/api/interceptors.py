"""Server interceptors: request ids, access log, error mapping and authentication, for all four
call shapes (call limits: api/call_limits.py).

Each interceptor is a `scope` around the handler: an async context manager entered before the
handler runs (for streams: when the stream opens) and left when it returns or raises."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import grpc
from grpc_status import rpc_status

from inventory_service import metrics
from inventory_service.api.call_details import call_details, remember_metadata
from inventory_service.api.caller import peek_caller, set_caller
from inventory_service.api.method_roles import is_public
from inventory_service.api.request_ids import HEADER, request_id_from, request_id_metadata
from inventory_service.api.status import internal_status_proto, to_status_proto
from inventory_service.api.tokens import TokenVerifier
from inventory_service.domain.errors import DomainError, PermissionDenied, Unauthenticated
from inventory_service.domain.identity import Caller, Role
from inventory_service.logs import current_request_id, set_request_id

log = logging.getLogger("inventory_service.access")
error_log = logging.getLogger("inventory_service.errors")

Scope = Callable[[str, grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]


def wrap_handler(handler: Any, method: str, scope: Scope) -> Any:
    """The same handler with its behaviour run inside scope(method, context)."""
    if handler.unary_unary or handler.stream_unary:
        inner: Callable[..., Awaitable[Any]] = handler.unary_unary or handler.stream_unary

        async def unary_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            async with scope(method, context):
                return await inner(request, context)

        factory = (
            grpc.unary_unary_rpc_method_handler
            if handler.unary_unary
            else grpc.stream_unary_rpc_method_handler
        )
        return factory(
            unary_response,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    stream_inner: Callable[..., Any] = handler.unary_stream or handler.stream_stream

    async def stream_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        async with scope(method, context):
            await write_responses(stream_inner, request, context)

    factory = (
        grpc.unary_stream_rpc_method_handler
        if handler.unary_stream
        else grpc.stream_stream_rpc_method_handler
    )
    return factory(
        stream_response,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


async def write_responses(
    handler: Callable[..., Any], request: Any, context: grpc.aio.ServicerContext[Any, Any]
) -> None:
    """Runs a streaming handler with the writer API: its responses are written here.

    Why not hand grpc the async generator: when a client cancels while grpc waits to send a
    response, grpc cancels its task between two steps of the generator and leaves it suspended;
    the generator's `finally` blocks (the interceptors' scopes, the stream's cleanup) then run
    only when it is garbage collected, after grpc freed the call, and touching the call there
    crashed the process (SIGSEGV). Here the generator is closed before this call's task ends."""
    if inspect.iscoroutinefunction(handler):  # an inner wrapper of this module
        await handler(request, context)
        return
    responses = handler(request, context)
    try:
        async for response in responses:
            await context.write(response)
    finally:
        await responses.aclose()


class HandlerCache:
    """The handler an interceptor made of a method's inner handler, kept while that inner
    handler stays the same: grpc asks every interceptor for a handler on every call, and
    building one (closures, grpc's handler tuple) each time cost about 5% of a cheap call."""

    def __init__(self) -> None:
        self._made: dict[str, tuple[Any, Any]] = {}

    def get(self, method: str, inner: Any, make: Callable[[], Any]) -> Any:
        made = self._made.get(method)
        if made is not None and made[0] is inner:
            return made[1]
        handler = make()
        self._made[method] = (inner, handler)
        return handler


class ScopedInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Runs each call inside the scope that scope_for picks for its handler (None: unwrapped).
    scope_for must depend on the handler and the method only (its result is kept)."""

    _handlers: HandlerCache | None = None

    def scope_for(self, handler: Any, method: str) -> Scope | None:
        return self.scope

    def scope(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        remember_metadata(handler_call_details)
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if self._handlers is None:
            self._handlers = HandlerCache()
        return self._handlers.get(method, handler, lambda: self._wrapped(handler, method))

    def _wrapped(self, handler: Any, method: str) -> Any:
        scope = self.scope_for(handler, method)
        return handler if scope is None else wrap_handler(handler, method, scope)


_CODE_OF_VALUE = {code.value[0]: code for code in grpc.StatusCode}


async def _abort(context: grpc.aio.ServicerContext[Any, Any], status: Any) -> None:
    call_details(context).code = _CODE_OF_VALUE.get(status.code, grpc.StatusCode.UNKNOWN)
    # grpc-stubs lacks aio's abort_with_status; it raises AbortError after setting the status.
    aborting: Any = context
    grpc_status: Any = rpc_status.to_status(status)  # a namedtuple
    # The status's trailing metadata replaces what was set before: keep the request id.
    trailing = (*grpc_status.trailing_metadata, *request_id_metadata(current_request_id()))
    await aborting.abort_with_status(grpc_status._replace(trailing_metadata=trailing))


class RequestIdInterceptor(ScopedInterceptor):
    """The outermost interceptor: the call's id is set before anything of it is logged."""

    @asynccontextmanager
    async def scope(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        request_id = request_id_from(call_details(context, method).header(HEADER))
        # Each call runs in its own task with its own context: the id never leaks to another.
        set_request_id(request_id)
        context.set_trailing_metadata(request_id_metadata(request_id))
        yield


class AccessLogInterceptor(ScopedInterceptor):
    """Per call: one structured line (method, code, duration, caller; never a token) and the
    call metrics (metrics.py), from the same outcome."""

    def scope_for(self, handler: Any, method: str) -> Scope:
        labels = metrics.call_labels(metrics.call_type(handler), method)
        return functools.partial(self.labelled_scope, labels)

    @asynccontextmanager
    async def labelled_scope(
        self,
        labels: tuple[str, str, str],
        method: str,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[None]:
        started = time.perf_counter()
        details = call_details(context, method)  # peer and metadata, read while the call runs
        metrics.call_started(labels)
        code = grpc.StatusCode.OK
        try:
            yield
        except grpc.aio.AbortError:
            # Aborted by our errors (recorded) or by a grpc servicer (health: NOT_FOUND), whose
            # code is read as the abort passes, while the call still runs.
            code = details.code or context.code() or grpc.StatusCode.UNKNOWN
            raise
        except BaseException:
            code = grpc.StatusCode.CANCELLED
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.call_handled(labels, code.name, seconds)
            caller = peek_caller()
            record = {
                "method": method,
                "code": code.name,
                "duration_ms": round(seconds * 1000, 2),
                "caller": caller.user_id if caller else None,
                "role": caller.role.name.lower() if caller else None,
                "peer": details.peer,
            }
            log.info("rpc", extra={"fields": record})


class ErrorInterceptor(ScopedInterceptor):
    """Domain errors become statuses with rich details; anything else becomes a bare INTERNAL."""

    @asynccontextmanager
    async def scope(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        try:
            yield
        except DomainError as error:
            await _abort(context, to_status_proto(error))
        except grpc.aio.AbortError:
            raise
        except Exception:
            error_log.exception("unhandled error in %s", method)
            await _abort(context, internal_status_proto())


class AuthInterceptor(ScopedInterceptor):
    """Verifies the bearer token and the role the method needs (roles: method path -> least
    role, built from the contract by api/method_roles.py)."""

    def __init__(self, verifier: TokenVerifier, roles: Mapping[str, Role]) -> None:
        self.verifier = verifier
        self.roles = roles

    @asynccontextmanager
    async def scope(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        if is_public(method):
            yield
            return
        caller = self.authenticate(context)
        # Each RPC runs in its own task with its own context, so this never leaks to another.
        set_caller(caller)
        needed = self.roles.get(method)
        if needed is None:
            raise PermissionDenied(f"{method} is not open to callers", reason="METHOD_NOT_ALLOWED")
        if not caller.at_least(needed):
            raise PermissionDenied(
                f"{method.rsplit('/', 1)[-1]} needs role {needed.name.lower()}; "
                f"caller has {caller.role.name.lower()}",
                reason="ROLE_TOO_LOW",
                metadata={"required_role": needed.name.lower(), "role": caller.role.name.lower()},
            )
        yield

    def authenticate(self, context: grpc.aio.ServicerContext[Any, Any]) -> Caller:
        header = call_details(context).header("authorization")
        if not header:
            raise Unauthenticated("missing authorization metadata", reason="TOKEN_MISSING")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("authorization must be 'Bearer <token>'", reason="TOKEN_MISSING")
        return self.verifier.verify(token.strip())
