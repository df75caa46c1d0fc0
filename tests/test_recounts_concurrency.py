"""Recounts racing on PostgreSQL (real parallelism, two replicas): who counted a line before its
recount is read under the line's row lock, so however entries and requests interleave, the
history holds every entry once, in an order the line's figures agree with."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADD,
    SET,
    ServerThread,
    add_item,
    clients,
    create_product,
    error_info,
    error_of,
    expect_error,
    roundtrip,
    scan,
    start_count,
)
from tests.recount_support import (
    BOB,
    CAROL,
    DAVE,
    RECOUNTED,
    history,
    line_of,
    request_recount,
    start_recount_count,
)
from tests.test_counts_concurrency import race, two_servers

__all__ = ["two_servers"]  # the fixture: two replicas on one PostgreSQL

ROUNDS = 5


def figures_by_the_rules(entries: Sequence[pb.CountItemEntry]) -> list[int]:
    """The line's figure after each entry, replayed in the history's order: the first recount
    entry replaces, then SET replaces and ADD adds. The entries of one transaction (one store
    time) all show the figure it left."""
    figures: list[int] = []
    counted, recounted = 0, False
    for entry in entries:
        if entry.recount and not recounted:
            counted, recounted = entry.quantity, True
        elif entry.mode == SET:
            counted = entry.quantity
        else:
            counted += entry.quantity
        figures.append(counted)
    for i in reversed(range(len(entries) - 1)):
        if entries[i].store_time == entries[i + 1].store_time:
            figures[i] = figures[i + 1]
    return figures


def test_two_counters_recounting_one_line_at_once_on_two_replicas(
    two_servers: list[ServerThread],
) -> None:
    with clients(two_servers[0].port) as api:
        for n in range(ROUNDS):
            create_product(api, f"RACE-R{n}", cost="1.00", opening=100)
        count = start_recount_count(api)
        for n in range(ROUNDS):
            add_item(api, count.id, 80, sku=f"RACE-R{n}", metadata=BOB)  # flagged

        def recount(i: int) -> int:
            with clients(two_servers[i].port) as own:
                for n in range(ROUNDS):
                    sku = f"RACE-R{n}"
                    if i == 0:  # carol: AddCountItem calls
                        add_item(own, count.id, 90, sku=sku, mode=SET, metadata=CAROL)
                        add_item(own, count.id, 1, sku=sku, mode=ADD, metadata=CAROL)
                    else:  # dave: a scanner stream
                        roundtrip(
                            own,
                            DAVE,
                            scan(count.id, sku=sku, quantity=95, mode=ADD),
                            scan(count.id, sku=sku, quantity=2, mode=ADD),
                        )
            return i

        assert race(2, recount) == [0, 1]
        for n in range(ROUNDS):
            line = line_of(api, count.id, f"RACE-R{n}")
            entries = history(api, count.id, line.id)
            assert len({e.entry_id for e in entries}) == len(entries) == 5
            assert [(e.counted_by, e.recount) for e in entries[:1]] == [("bob", False)]
            assert all(e.recount for e in entries[1:])
            assert line.status == RECOUNTED
            assert [e.counted_quantity for e in entries] == figures_by_the_rules(entries)
            assert line.counted_quantity == entries[-1].counted_quantity
            # carol's SET 90 last wins over dave's scans, or came first and they added to it.
            assert line.counted_quantity in (91, 188)


def test_the_first_counter_racing_another_counter_never_recounts(
    two_servers: list[ServerThread],
) -> None:
    """On a flagged line bob is always refused; on a line a manager flags while bob is still
    counting it, bob's entries land before the request or are refused, never as a recount."""
    with clients(two_servers[0].port) as api:
        create_product(api, "RACE-SAME", cost="1.00", opening=100)
        create_product(api, "RACE-ASK", cost="1.00", opening=10)
        count = start_count(api, "Race")
        add_item(api, count.id, 80, sku="RACE-SAME", metadata=BOB)
        asked = add_item(api, count.id, 10, sku="RACE-ASK", metadata=BOB)
        request_recount(api, count.id, line_of(api, count.id, "RACE-SAME").id)
        refusals: list[str] = []

        def work(i: int) -> int:
            with clients(two_servers[i % 2].port) as own:
                if i == 0:  # bob on both lines, one entry at a time
                    for sku in ["RACE-SAME", "RACE-ASK"] * 5:
                        [ack] = roundtrip(own, BOB, scan(count.id, sku=sku, quantity=1, mode=ADD))
                        if ack.WhichOneof("result") == "error":
                            refusals.append(f"{sku}:{error_of(ack)[1]}")
                elif i == 1:  # carol recounts the flagged line
                    for _ in range(5):
                        add_item(own, count.id, 1, sku="RACE-SAME", mode=ADD, metadata=CAROL)
                else:  # the manager flags the other line meanwhile
                    request_recount(own, count.id, asked.id)
            return i

        assert race(3, work) == [0, 1, 2]
        same = history(api, count.id, line_of(api, count.id, "RACE-SAME").id)
        assert [(e.counted_by, e.recount) for e in same] == [("bob", False)] + [("carol", True)] * 5
        assert refusals.count("RACE-SAME:RECOUNT_BY_SAME_COUNTER") == 5
        assert line_of(api, count.id, "RACE-SAME").counted_quantity == 5

        ask = line_of(api, count.id, "RACE-ASK")
        ask_history = history(api, count.id, ask.id)
        assert all(not e.recount for e in ask_history)  # bob's are all from before the request
        assert len(ask_history) + refusals.count("RACE-ASK:RECOUNT_BY_SAME_COUNTER") == 6
        assert ask.counted_quantity == 10 + len(ask_history) - 1
        late = expect_error(
            grpc.StatusCode.PERMISSION_DENIED,
            add_item,
            api,
            count.id,
            3,
            sku="RACE-ASK",
            metadata=BOB,
        )
        assert error_info(late).reason == "RECOUNT_BY_SAME_COUNTER"
