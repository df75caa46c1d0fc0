"""Safe retries (AIP-155): a request_id seen before returns the resource it first produced, when
the request asks what it asked then (domain/idempotency.py; otherwise REQUEST_ID_REUSED).

The key is written in the same transaction as the change, and its primary key makes the
database reject a concurrent duplicate, which then reads the winner's result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.errors import DomainError, InvalidArgument
from inventory_service.domain.idempotency import fingerprint, request_id_reused
from inventory_service.domain.identity import Caller

T = TypeVar("T")
MAX_REQUEST_ID_LENGTH = 128


def validate_request_id(request_id: str) -> None:
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise InvalidArgument.one("request_id", f"at most {MAX_REQUEST_ID_LENGTH} characters")


def run_once(
    uow_factory: UnitOfWorkFactory,
    operation: str,
    request_id: str,
    caller: Caller,
    perform: Callable[[UnitOfWork], str],
    load: Callable[[UnitOfWork, str], T],
    *,
    content: object,
) -> T:
    """Runs perform (which returns the id of what it made) at most once per (operation,
    request_id), reads load(id), commits, and returns what load read. Without a request_id it
    simply runs once. content: what the request asks (its request_id left out); the same
    request_id with other content is refused (REQUEST_ID_REUSED) and changes nothing."""
    validate_request_id(request_id)
    asked = fingerprint(operation, content)
    if request_id:
        with uow_factory(read_only=True) as uow:
            existing = uow.idempotency.get(operation, request_id)
            if existing is not None:
                return load(uow, _answered(existing, asked, request_id))
    try:
        with uow_factory() as uow:
            resource_id = perform(uow)
            if request_id:
                uow.idempotency.add(operation, request_id, resource_id, caller.user_id, asked)
            # Read in the transaction that made it (what it made, and no second transaction
            # with its connection checkout, ping and BEGIN), returned once committed.
            result = load(uow, resource_id)
            uow.commit()
            return result
    except DomainError:
        # A concurrent twin may have won (DUPLICATE_REQUEST, or e.g. SKU_TAKEN): answer as it did.
        if request_id:
            with uow_factory(read_only=True) as uow:
                existing = uow.idempotency.get(operation, request_id)
                if existing is not None:
                    return load(uow, _answered(existing, asked, request_id))
        raise


def _answered(existing: tuple[str, str | None], asked: str, request_id: str) -> str:
    """The resource a request_id made, if the request asks what it asked then (keys from before
    fingerprints were kept are answered as they were)."""
    resource_id, kept = existing
    if kept is not None and kept != asked:
        raise request_id_reused(request_id)
    return resource_id
