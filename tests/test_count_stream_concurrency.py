"""Exactly once across streams (PostgreSQL, real parallelism): the same entries sent on two
streams at once, as a scanner does when it reconnects while its old stream is still open."""

from __future__ import annotations

import threading

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADD,
    STAFF,
    ScannerStream,
    ServerThread,
    clients,
    create_product,
    lines,
    scan,
    start_count,
)


def test_the_same_add_entries_on_two_streams_at_once_apply_once(
    postgres_server: ServerThread,
) -> None:
    with clients(postgres_server.port) as api:
        products = [create_product(api, f"BEAN-{i}", opening=0) for i in range(3)]
        count_id = start_count(api).id
        entries = [
            scan(count_id, product_id=products[i % 3].id, quantity=i % 5 + 1, mode=ADD)
            for i in range(300)
        ]
        results: list[list[pb.CountEntryAck]] = []
        start = threading.Barrier(2)

        def run(order: list[pb.CountEntry]) -> None:
            stream = ScannerStream(api, STAFF)
            start.wait()
            for entry in order:
                stream.send(entry)
            results.append(stream.finish())

        threads = [
            threading.Thread(target=run, args=(entries,)),
            threading.Thread(target=run, args=(entries[::-1],)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        assert [len(r) for r in results] == [300, 300]
        assert all(a.WhichOneof("result") == "item" for r in results for a in r)
        # Each entry was stored by exactly one of the streams, and answered as such on the other.
        fresh = [a.entry_id for r in results for a in r if not a.duplicate]
        assert sorted(fresh) == sorted(e.entry_id for e in entries)
        expected = {
            (p.id, ""): sum(e.quantity for e in entries if e.product.id == p.id) for p in products
        }
        assert lines(api, count_id) == expected
