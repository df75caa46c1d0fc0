"""Clients of a cluster behind HAProxy, for the tests that break parts of it: a scanner that
streams count entries through a ScannerSession, and a waiting helper."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_client.connection import Endpoint
from inventory_client.scanner import Backoff, ScannerSession
from inventory_service.domain.identity import Role
from tests.helpers import token


class Scanner(threading.Thread):
    """One ScannerSession through the balancer, scanning the shelf (ADD 1 each) until told to
    stop; then it waits for every ack."""

    def __init__(
        self,
        address: str,
        count_id: str,
        shelf: Sequence[str],
        *,
        device_id: str,
        request_id: str,
    ) -> None:
        super().__init__(name=device_id, daemon=True)
        self.endpoint = Endpoint(address, token(Role.STAFF, f"{device_id}-user"))
        self.count_id = count_id
        self.shelf = list(shelf)
        self.device_id = device_id
        self.request_id = request_id  # x-request-id of its streams, kept on each stored entry
        self.acked: dict[str, str] = {}  # entry_id -> sku, of stored entries
        self.reconnects: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    def acked_now(self) -> dict[str, str]:
        """A copy of the acks so far (the session adds to them from its own thread)."""
        with self._lock:
            return dict(self.acked)

    def run(self) -> None:
        try:
            asyncio.run(self._scan())
        except BaseException as error:
            self.error = error

    async def _scan(self) -> None:
        def on_ack(entry: pb.CountEntry, ack: pb.CountEntryAck) -> None:
            assert ack.WhichOneof("result") == "item", ack
            with self._lock:
                self.acked[entry.entry_id] = entry.product.sku

        async with self.endpoint.channel() as channel:
            session = ScannerSession(
                channel,
                device_id=self.device_id,
                metadata=self.endpoint.metadata(("x-request-id", self.request_id)),
                max_entries_per_message=5,
                backoff=Backoff(initial=0.1, maximum=1.0),
                on_ack=on_ack,
                on_reconnect=lambda attempt, delay, reason: self.reconnects.append(reason),
            )
            async with session:
                n = 0
                while not self.stop.is_set():
                    sku = self.shelf[n % len(self.shelf)]
                    await session.put(
                        pb.CountEntry(
                            inventory_count_id=self.count_id,
                            product=catalog_pb2.ProductSelector(sku=sku),
                            quantity=1,
                            mode=pb.COUNT_MODE_ADD,
                        )
                    )
                    n += 1
                    await asyncio.sleep(0.01)
                async with asyncio.timeout(60):
                    await session.drain()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out ({timeout:g} s) waiting for {what}"
        time.sleep(0.05)


def acks_grow(scanner: Scanner, by: int = 20, timeout: float = 60.0) -> None:
    """Waits until the scanner has `by` more acks than now (failing if it stopped)."""
    start = len(scanner.acked_now())

    def grown() -> bool:
        assert scanner.is_alive(), f"the scanner stopped: {scanner.error!r}"
        return len(scanner.acked_now()) >= start + by

    wait_until(grown, f"{by} acks after {start} ({scanner.reconnects})", timeout)
