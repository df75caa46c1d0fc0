"""A stand-in for a gRPC load balancer in front of a real server, for client tests.

It forwards every call (unary and streams, bytes untouched, metadata and error details
included) and, on cue, fails one the way a balancer or a dying replica does: refused with
UNAVAILABLE before the server saw it, UNAVAILABLE after the server acted (the reply is lost),
or a stream cut mid-way with CANCELLED or INTERNAL (what a client sees of a reset) after some
responses, the next response dropped."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message


@dataclass(frozen=True)
class Fault:
    code: grpc.StatusCode | None = grpc.StatusCode.UNAVAILABLE  # None: only the delay
    after_server: bool = False  # unary: the server acts, then the reply is replaced by the fault
    after_responses: int = 0  # streams: forward this many responses, drop the next, then fail
    delay: float = 0.0  # unary: seconds before the call is passed on (a slow upstream)


def _short_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _request_class(path: str) -> type[Message]:
    service, method = path.lstrip("/").split("/")
    found = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(method)
    return message_factory.GetMessageClass(found.input_type)


def _forwarded(context: grpc.aio.ServicerContext[Any, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (key, value)
        for key, value in context.invocation_metadata() or ()
        if not key.startswith((":", "grpc-")) and key != "user-agent"
    )


class Balancer:
    """Listens on 127.0.0.1:<port>, forwards to 127.0.0.1:<upstream_port>."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = f"127.0.0.1:{upstream_port}"
        self.port = 0
        self.requests: dict[str, list[Message]] = defaultdict(list)  # unary requests, decoded
        self.deadlines: dict[str, list[float]] = defaultdict(list)  # their seconds left on arrival
        self.streams_opened: dict[str, int] = defaultdict(int)
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def fail_next(self, method: str, *faults: Fault) -> None:
        """The next calls of method (its short name, e.g. GetProduct) fail with these faults."""
        with self._lock:
            self._faults[method].extend(faults)

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            return self._faults[method].pop(0) if self._faults[method] else None

    def start(self) -> Balancer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the balancer did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with grpc.aio.insecure_channel(self.upstream) as channel:
            server = grpc.aio.server()
            server.add_generic_rpc_handlers([_Handler(self, channel)])
            self.port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            self._ready.set()
            await self._stop.wait()
            await server.stop(0)

    async def unary(
        self, channel: grpc.aio.Channel, path: str, request: bytes, context: Any
    ) -> bytes:
        method = _short_name(path)
        with self._lock:
            self.requests[method].append(_request_class(path).FromString(request))
            self.deadlines[method].append(context.time_remaining())
        fault = self._next_fault(method)
        if fault is not None:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.code is not None and not fault.after_server:
            await context.abort(fault.code, "no healthy upstream (test balancer)")
        try:
            reply: bytes = await channel.unary_unary(path)(request, metadata=_forwarded(context))
        except grpc.aio.AioRpcError as error:
            await context.abort(
                error.code(), error.details() or "", tuple(error.trailing_metadata() or ())
            )
            raise
        if fault is not None and fault.code is not None:
            await context.abort(fault.code, "upstream connection lost (test balancer)")
        return reply

    async def stream(
        self,
        channel: grpc.aio.Channel,
        path: str,
        requests: AsyncIterator[bytes],
        context: Any,
    ) -> AsyncIterator[bytes]:
        method = _short_name(path)
        with self._lock:
            self.streams_opened[method] += 1
        fault = self._next_fault(method)
        call: Any = channel.stream_stream(path)(metadata=_forwarded(context))

        async def pump() -> None:
            async for request in requests:
                await call.write(request)
            await call.done_writing()

        pumping = asyncio.create_task(pump())
        forwarded = 0
        try:
            async for response in call:
                if fault and fault.code and forwarded >= fault.after_responses:
                    await context.abort(fault.code, "stream reset (test balancer)")
                forwarded += 1
                yield response
        except grpc.aio.AioRpcError as error:
            await context.abort(
                error.code(), error.details() or "", tuple(error.trailing_metadata() or ())
            )
        finally:
            pumping.cancel()
            call.cancel()


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, balancer: Balancer, channel: grpc.aio.Channel) -> None:
        self._balancer = balancer
        self._channel = channel

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        path: str = details.method  # type: ignore[attr-defined]
        balancer, channel = self._balancer, self._channel
        if path.endswith("/StreamCountItems"):

            async def stream(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
                async for response in balancer.stream(channel, path, requests, context):
                    yield response

            return grpc.stream_stream_rpc_method_handler(stream)

        async def unary(request: bytes, context: Any) -> bytes:
            return await balancer.unary(channel, path, request, context)

        return grpc.unary_unary_rpc_method_handler(unary)
