"""StreamCountItems: one ack per entry in order, per-entry errors, exactly-once effect under
resends, cancellation, several devices, a count closed mid-stream, blind counts, auth."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid

import grpc
import jwt
from sqlalchemy import select

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1.inventory_count_pb2_grpc import InventoryCountServiceStub
from inventory_service.api.tokens import mint_token
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import StoredCountEntry
from inventory_service.domain.identity import Role
from inventory_service.domain.quantities import MAX_QUANTITY
from tests.helpers import (
    ADD,
    LOT,
    MANAGER,
    SET,
    STAFF,
    TEST_SECRET,
    Clients,
    ScannerStream,
    ServerThread,
    create_batch,
    create_product,
    error_info,
    error_of,
    expect_error,
    field_violations,
    gtin,
    lines,
    roundtrip,
    scan,
    start_count,
)


def test_good_and_bad_entries_in_one_stream_each_get_their_ack_in_order(api: Clients) -> None:
    soap = create_product(api, "SOAP-1", cost="2.00", opening=10, barcode=gtin(11))
    pills = create_product(api, "PILLS-1", cost="5.00", tracking=LOT)
    lot = create_batch(api, pills.id, "L-7", opening=4)
    count_id = start_count(api).id

    entries = [
        scan(count_id, sku="SOAP-1", quantity=8, mode=SET),
        scan(count_id, barcode=gtin(999), quantity=1),  # unknown barcode
        scan(count_id, sku="SOAP-1", quantity=-2),  # negative quantity
        scan(count_id, product_id=pills.id, lot="L-7", quantity=3, mode=SET),
        scan(count_id, product_id=pills.id, lot="NO-SUCH-LOT", quantity=1),
        scan(count_id, sku="SOAP-1", quantity=1, entry_id=""),  # no entry id
        scan("no-such-count", sku="SOAP-1", quantity=1),
        scan(count_id, barcode=gtin(11), quantity=2, mode=ADD),
    ]
    acks = roundtrip(api, STAFF, *entries, device_id="scanner-1")

    assert [a.entry_id for a in acks] == [e.entry_id for e in entries]
    # Entries 0 (SET 8) and 7 (ADD 2) share a line and one message: both are acknowledged
    # with the line as the transaction holding them left it.
    assert acks[0].item.counted_quantity == 10
    assert acks[7].item == acks[0].item
    assert error_of(acks[1]) == (grpc.StatusCode.NOT_FOUND, "PRODUCT_NOT_FOUND")
    assert error_of(acks[2])[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert "quantity" in field_violations(acks[2].error)
    assert acks[3].item.batch_id == lot.id
    assert acks[3].item.counted_quantity == 3
    assert acks[3].item.variance == -1
    assert error_of(acks[4]) == (grpc.StatusCode.NOT_FOUND, "BATCH_NOT_FOUND")
    assert "entry_id" in field_violations(acks[5].error)
    assert error_of(acks[6])[0] == grpc.StatusCode.NOT_FOUND
    assert acks[7].item.variance == 0
    assert not any(a.duplicate for a in acks)
    assert lines(api, count_id) == {(soap.id, ""): 10, (pills.id, lot.id): 3}


def test_set_then_add_on_one_line(api: Clients) -> None:
    product = create_product(api, "TEA-1", cost="1.50", opening=20)
    count_id = start_count(api).id
    stream = ScannerStream(api, STAFF)

    stream.send(scan(count_id, sku="TEA-1", quantity=12, mode=SET))
    (first,) = stream.acks(1)
    stream.send(scan(count_id, sku="TEA-1", quantity=3, mode=ADD))
    (second,) = stream.acks(1)
    stream.send(scan(count_id, sku="TEA-1", quantity=5, mode=SET))
    (third,) = stream.acks(1)
    assert stream.finish() == []

    assert (first.item.counted_quantity, second.item.counted_quantity) == (12, 15)
    assert second.item.variance == -5
    assert third.item.counted_quantity == 5
    assert lines(api, count_id) == {(product.id, ""): 5}


def _plan(count_id: str, skus: list[str], rng: random.Random, n: int) -> list[pb.CountEntry]:
    """Mostly ADD entries, with a few SET recounts, over a few products."""
    return [
        scan(
            count_id,
            sku=rng.choice(skus),
            quantity=rng.randint(0, 9),
            mode=SET if rng.random() < 0.15 else ADD,
        )
        for _ in range(n)
    ]


def _for_count(entries: list[pb.CountEntry], count_id: str) -> list[pb.CountEntry]:
    """The same scans, as new entries (their own ids) of another count."""
    copies = []
    for entry in entries:
        copy = pb.CountEntry()
        copy.CopyFrom(entry)
        copy.inventory_count_id = count_id
        copy.entry_id = uuid.uuid4().hex
        copies.append(copy)
    return copies


def test_resending_a_whole_stream_after_a_cut_gives_the_clean_totals(api: Clients) -> None:
    skus = [f"RICE-{i}" for i in range(4)]
    ids = {sku: create_product(api, sku, opening=5).id for sku in skus}
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    plan = _plan("", skus, rng, 120)

    clean_count = start_count(api, name="clean").id
    clean = ScannerStream(api, STAFF)
    for entry in _for_count(plan, clean_count):
        clean.send(entry)
    assert len(clean.finish()) == len(plan)
    expected = lines(api, clean_count)
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=clean_count), metadata=MANAGER
    )
    assert sum(expected.values()) > 0
    assert set(expected) <= {(i, "") for i in ids.values()}

    count_id = start_count(api, name="cut").id
    entries = _for_count(plan, count_id)
    first = ScannerStream(api, STAFF)
    for entry in entries:
        first.send(entry)
    acked = first.acks(rng.randint(1, len(entries) - 1))
    first.cancel()
    cut_after = len(acked)

    second = ScannerStream(api, STAFF)
    for entry in entries:  # the scanner kept everything: all of it goes again
        second.send(entry)
    again = second.finish()

    assert [a.entry_id for a in again] == [e.entry_id for e in entries], f"seed {seed}"
    assert all(a.duplicate for a in again[:cut_after]), f"seed {seed}"
    # A resent entry is answered with what was stored for it.
    assert [a.item for a in again[:cut_after]] == [a.item for a in acked], f"seed {seed}"
    assert lines(api, count_id) == expected, f"seed {seed}, cut after {cut_after}"


def test_client_cancelling_mid_stream_loses_no_acked_entry(api: Clients) -> None:
    product = create_product(api, "PEN-1", opening=0)
    count_id = start_count(api).id
    entries = [scan(count_id, sku="PEN-1", quantity=1, mode=ADD) for _ in range(200)]
    stream = ScannerStream(api, STAFF)
    for entry in entries:
        stream.send(entry)
    acked = stream.acks(37)
    stream.cancel()

    assert all(a.WhichOneof("result") == "item" for a in acked)
    counted = lines(api, count_id)[(product.id, "")]
    assert len(acked) <= counted <= 200
    # The scanner resends everything; each entry counts once.
    resend = ScannerStream(api, STAFF)
    for entry in entries:
        resend.send(entry)
    assert sum(a.duplicate for a in resend.finish()) >= len(acked)
    assert lines(api, count_id)[(product.id, "")] == 200


def test_two_devices_stream_into_one_count(api: Clients, database_url: str) -> None:
    shared = create_product(api, "BOLT-1", opening=50)
    own = create_product(api, "NUT-1", opening=50)
    count_id = start_count(api).id
    plans = {
        "scanner-a": [scan(count_id, sku="BOLT-1", quantity=2) for _ in range(60)],
        "scanner-b": [scan(count_id, sku="BOLT-1", quantity=3) for _ in range(40)]
        + [scan(count_id, sku="NUT-1", quantity=1) for _ in range(10)],
    }
    results: dict[str, list[pb.CountEntryAck]] = {}

    def run(device: str, via_metadata: bool) -> None:
        metadata = [*STAFF, ("x-device-id", device)] if via_metadata else STAFF
        stream = ScannerStream(api, metadata, device_id="" if via_metadata else device)
        for entry in plans[device]:
            stream.send(entry)
        results[device] = stream.finish()

    threads = [
        threading.Thread(target=run, args=("scanner-a", False)),
        threading.Thread(target=run, args=("scanner-b", True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [len(results[d]) for d in plans] == [60, 50]
    assert all(a.WhichOneof("result") == "item" for d in plans for a in results[d])
    assert lines(api, count_id) == {(shared.id, ""): 60 * 2 + 40 * 3, (own.id, ""): 10}
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = dict(
                connection.execute(
                    select(StoredCountEntry.entry_id, StoredCountEntry.device_id)
                ).all()
            )
    finally:
        engine.dispose()
    for device, entries in plans.items():
        assert {stored[e.entry_id] for e in entries} == {device}


def test_count_completed_mid_stream_rejects_later_entries(api: Clients) -> None:
    product = create_product(api, "CUP-1", opening=5)
    count_id = start_count(api).id
    stream = ScannerStream(api, STAFF, device_id="scanner-1")
    early = scan(count_id, sku="CUP-1", quantity=4, mode=SET)
    stream.send(early)
    (stored,) = stream.acks(1)

    api.counts.CompleteInventoryCount(
        pb.CompleteInventoryCountRequest(inventory_count_id=count_id), metadata=MANAGER
    )
    stream.send(scan(count_id, sku="CUP-1", quantity=1), early)
    late, resent = stream.acks(2)
    stream.send(scan(count_id, sku="CUP-1", quantity=2))
    (later,) = stream.acks(1)
    assert stream.finish() == []

    assert error_of(late) == (grpc.StatusCode.FAILED_PRECONDITION, "COUNT_NOT_IN_PROGRESS")
    assert error_of(later)[0] == grpc.StatusCode.FAILED_PRECONDITION
    assert resent.duplicate
    assert resent.item == stored.item
    assert lines(api, count_id) == {(product.id, ""): 4}


def test_count_cancelled_mid_stream_rejects_later_entries(api: Clients) -> None:
    create_product(api, "JAR-1", opening=5)
    count_id = start_count(api).id
    stream = ScannerStream(api, STAFF)
    stream.send(scan(count_id, sku="JAR-1"))
    stream.acks(1)
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count_id), metadata=MANAGER
    )
    stream.send(scan(count_id, sku="JAR-1"))
    (late,) = stream.acks(1)
    stream.finish()
    assert error_of(late) == (grpc.StatusCode.FAILED_PRECONDITION, "COUNT_NOT_IN_PROGRESS")


def test_an_add_that_would_take_a_line_past_the_quantity_bound_is_rejected(api: Clients) -> None:
    product = create_product(api, "SAND-1", opening=0)
    count_id = start_count(api).id
    full = scan(count_id, sku="SAND-1", quantity=MAX_QUANTITY, mode=SET)
    acks = roundtrip(api, STAFF, full, scan(count_id, sku="SAND-1", quantity=1, mode=ADD))
    assert acks[0].item.counted_quantity == MAX_QUANTITY
    assert error_of(acks[1])[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert "quantity" in field_violations(acks[1].error)
    assert lines(api, count_id) == {(product.id, ""): MAX_QUANTITY}


def test_an_entry_id_twice_in_one_message_counts_once(api: Clients) -> None:
    product = create_product(api, "GUM-1", opening=0)
    count_id = start_count(api).id
    entry = scan(count_id, sku="GUM-1", quantity=6, mode=ADD)
    acks = roundtrip(api, STAFF, entry, entry, entry)
    assert [a.duplicate for a in acks] == [False, True, True]
    assert {a.item.counted_quantity for a in acks} == {6}
    assert lines(api, count_id) == {(product.id, ""): 6}


def test_blind_count_acks_hide_figures_from_staff_only(api: Clients) -> None:
    create_product(api, "OIL-1", cost="3.00", opening=9)
    count_id = start_count(api, blind=True).id
    entry = scan(count_id, sku="OIL-1", quantity=4, mode=SET)
    (staff_ack,) = roundtrip(api, STAFF, entry)
    (manager_ack,) = roundtrip(api, MANAGER, scan(count_id, sku="OIL-1", quantity=1))
    (replayed,) = roundtrip(api, STAFF, entry)

    for ack in (staff_ack, replayed):
        item = ack.item
        assert item.counted_quantity == 4
        assert not item.HasField("system_quantity")
        assert not item.HasField("variance")
        assert not item.HasField("variance_value")
        assert not item.HasField("significant_discrepancy")
    assert replayed.duplicate
    assert manager_ack.item.system_quantity == 9
    assert manager_ack.item.variance == -4  # 4 + 1 counted against 9


def _stream_error(api: Clients, metadata: list[tuple[str, str]] | None) -> grpc.RpcError:
    def call() -> None:
        stream = ScannerStream(api, metadata, device_id="scanner-1")
        stream.send()
        stream.finish()

    return expect_error(grpc.StatusCode.UNAUTHENTICATED, call)


def test_stream_needs_a_token_with_a_staff_role(api: Clients) -> None:
    assert error_info(_stream_error(api, None)).reason == "TOKEN_MISSING"
    forged = mint_token("another-secret-of-sufficient-length!!", sub="eve", role=Role.STAFF)
    error = _stream_error(api, [("authorization", f"Bearer {forged}")])
    assert error_info(error).reason == "TOKEN_INVALID"
    visitor = jwt.encode(
        {"sub": "vic", "role": "visitor", "exp": 2_000_000_000}, TEST_SECRET, algorithm="HS256"
    )
    error = _stream_error(api, [("authorization", f"Bearer {visitor}")])
    assert error_info(error).reason == "TOKEN_ROLE_INVALID"
    expired = mint_token(TEST_SECRET, sub="sam", role=Role.STAFF, ttl_seconds=-3600)
    assert error_info(_stream_error(api, [("authorization", f"Bearer {expired}")])).reason == (
        "TOKEN_EXPIRED"
    )


def test_a_device_id_that_is_too_long_ends_the_stream(api: Clients) -> None:
    def call() -> None:
        stream = ScannerStream(api, STAFF, device_id="x" * 65)
        stream.send()
        stream.finish()

    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, call)
    assert error_info(error).reason == "INVALID_ARGUMENT"


def test_response_headers_come_when_the_stream_opens_before_any_entry(
    server: ServerThread,
) -> None:
    """A load balancer counts a stream whose headers never come as a response that never
    came; a scanner that has nothing to send yet must not look like that."""

    async def headers() -> grpc.aio.Metadata:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            call = InventoryCountServiceStub(channel).StreamCountItems(metadata=STAFF)
            try:
                return await asyncio.wait_for(call.initial_metadata(), timeout=10)
            finally:
                call.cancel()

    assert "x-request-id" in dict(asyncio.run(headers()))
