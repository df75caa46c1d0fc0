"""The edge's first look at every request message, before any handler reads it.

One general rule set, applied by walking the message's fields by descriptor, so a field or an
RPC added to the contract is covered without new code:
- bytes that do not decode as the request message are INVALID_ARGUMENT, not an UNKNOWN or
  INTERNAL from deep inside grpc (the deserializer answers a marker instead of raising);
- no string holds a NUL character (PostgreSQL text cannot store one);
- every string is bounded by length, ids much shorter than text, so a megabyte id never
  reaches a query or comes back in an error message;
- every google.protobuf.Timestamp lies within 0001-01-01..9999-12-31 with nanos in [0, 1e9).

These are ceilings: the services keep their own, often tighter, rules (a name of at most 200
characters, an entry id of at most 64) with messages about the rule. On the scanner stream a
message that breaks these rules ends the stream: that is hostile input, not a scanner's typo."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from inventory_service.api.interceptors import HandlerCache
from inventory_service.domain.errors import FieldViolation, InvalidArgument

ID_LIMIT = 128  # fields named `id` or `*_id`: ids, request ids, entry and device ids
TEXT_LIMIT = 2000  # any other string: names, notes, reasons, references
FIELD_LIMITS = {"page_token": 1024}
FIRST_SECOND = -62_135_596_800  # 0001-01-01T00:00:00Z
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
_TIMESTAMP = "google.protobuf.Timestamp"


class Undecodable:
    """What the deserializer hands on for bytes that are no request message."""

    def __init__(self, message_name: str) -> None:
        self.message_name = message_name


def _limit(name: str) -> int:
    if name in FIELD_LIMITS:
        return FIELD_LIMITS[name]
    return ID_LIMIT if name == "id" or name.endswith("_id") else TEXT_LIMIT


# What to check in a message type, worked out once per type from its descriptor: the string,
# Timestamp and message fields (the others cannot break these rules). Per scanner entry this
# costs a few microseconds; walking ListFields() cost several times more.
_STRING, _STRINGS, _STAMP, _MESSAGE, _MESSAGES, _MAP = range(6)
Step = tuple[str, int, int]  # field name, kind, length limit


@functools.cache
def _plan(descriptor: Descriptor) -> tuple[Step, ...]:
    steps: list[Step] = []
    for field in descriptor.fields:
        limit = _limit(field.name)
        if field.type == FieldDescriptor.TYPE_STRING:
            steps.append((field.name, _STRINGS if field.is_repeated else _STRING, limit))
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None:
            sub = field.message_type
            if sub.GetOptions().map_entry:
                kind = _MAP
            elif sub.full_name == _TIMESTAMP:
                kind = _STAMP
            else:
                kind = _MESSAGES if field.is_repeated else _MESSAGE
            steps.append((field.name, kind, limit))
    return tuple(steps)


def _check_string(path: str, limit: int, value: str, found: list[FieldViolation]) -> None:
    if len(value) > limit:
        found.append(FieldViolation(path, f"at most {limit} characters"))
    elif "\x00" in value:
        found.append(FieldViolation(path, "must not contain NUL characters"))


def _check_timestamp(path: str, stamp: Any, found: list[FieldViolation]) -> None:
    if not FIRST_SECOND <= stamp.seconds <= LAST_SECOND:
        found.append(FieldViolation(path, "must lie between 0001-01-01 and 9999-12-31"))
    elif not 0 <= stamp.nanos <= 999_999_999:
        found.append(FieldViolation(path, "nanos must be between 0 and 999999999"))


def _check_message(message: Any, prefix: str, found: list[FieldViolation]) -> None:
    for name, kind, limit in _plan(message.DESCRIPTOR):
        if kind == _STRING:
            value = getattr(message, name)
            if value and (len(value) > limit or "\x00" in value):
                _check_string(prefix + name, limit, value, found)
        elif kind == _MESSAGES:
            for i, item in enumerate(getattr(message, name)):
                _check_message(item, f"{prefix}{name}[{i}].", found)
        elif kind == _STRINGS:
            for i, value in enumerate(getattr(message, name)):
                _check_string(f"{prefix}{name}[{i}]", limit, value, found)
        elif kind == _MAP:  # its keys, and its values (strings or messages)
            for key, item in getattr(message, name).items():
                path = f"{prefix}{name}[{str(key)[:32]!r}]"
                if isinstance(key, str):
                    _check_string(path, limit, key, found)
                if isinstance(item, str):
                    _check_string(path, limit, item, found)
                elif isinstance(item, Message):
                    _check_message(item, path + ".", found)
        elif message.HasField(name):
            if kind == _STAMP:
                _check_timestamp(prefix + name, getattr(message, name), found)
            else:
                _check_message(getattr(message, name), f"{prefix}{name}.", found)


def check_request(request: Any) -> None:
    """Raises InvalidArgument (with a violation per field) for a request the edge refuses."""
    if isinstance(request, Undecodable):
        raise InvalidArgument.one("request", f"not a valid {request.message_name} message")
    if isinstance(request, Message):
        found: list[FieldViolation] = []
        _check_message(request, "", found)
        if found:
            raise InvalidArgument(found[:20])


def _safe_deserializer(deserializer: Callable[[bytes], Any] | None) -> Any:
    if deserializer is None:
        return None
    owner = getattr(deserializer, "__self__", None)
    name = getattr(getattr(owner, "DESCRIPTOR", None), "full_name", "request")

    def deserialize(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception:  # DecodeError, or a message nested deeper than protobuf allows
            return Undecodable(name)

    return deserialize


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        check_request(request)
        yield request


class RequestGuardInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Applies check_request to every request message, unary or streamed. Put it inside the
    error interceptor, so its InvalidArgument becomes a status with field violations."""

    def __init__(self) -> None:
        self._handlers = HandlerCache()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return self._handlers.get(handler_call_details.method, handler, lambda: _guarded(handler))


def _guarded(handler: Any) -> Any:
    deserializer = _safe_deserializer(handler.request_deserializer)
    serializer = handler.response_serializer
    if handler.unary_unary or handler.unary_stream:
        return _guard_unary_request(handler, deserializer, serializer)
    return _guard_request_stream(handler, deserializer, serializer)


def _guard_unary_request(handler: Any, deserializer: Any, serializer: Any) -> Any:
    if handler.unary_unary:
        unary_inner = handler.unary_unary

        async def unary_unary(request: Any, context: Any) -> Any:
            check_request(request)
            return await unary_inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, request_deserializer=deserializer, response_serializer=serializer
        )
    stream_inner = handler.unary_stream

    async def unary_stream(request: Any, context: Any) -> AsyncIterator[Any]:
        check_request(request)
        async for response in stream_inner(request, context):
            yield response

    return grpc.unary_stream_rpc_method_handler(
        unary_stream, request_deserializer=deserializer, response_serializer=serializer
    )


def _guard_request_stream(handler: Any, deserializer: Any, serializer: Any) -> Any:
    if handler.stream_unary:
        unary_inner = handler.stream_unary

        async def stream_unary(requests: Any, context: Any) -> Any:
            return await unary_inner(_checked(requests), context)

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, request_deserializer=deserializer, response_serializer=serializer
        )
    stream_inner = handler.stream_stream
    if inspect.iscoroutinefunction(stream_inner):  # a handler using the writer API

        async def stream_writer(requests: Any, context: Any) -> None:
            await stream_inner(_checked(requests), context)

        return grpc.stream_stream_rpc_method_handler(
            stream_writer, request_deserializer=deserializer, response_serializer=serializer
        )

    async def stream_stream(requests: Any, context: Any) -> AsyncIterator[Any]:
        async for response in stream_inner(_checked(requests), context):
            yield response

    return grpc.stream_stream_rpc_method_handler(
        stream_stream, request_deserializer=deserializer, response_serializer=serializer
    )
