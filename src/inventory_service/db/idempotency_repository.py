"""Request ids seen before (AIP-155), with the resource each first produced."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory_service.db.models import IdempotencyKey


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, operation: str, request_id: str) -> tuple[str, str | None] | None:
        """(resource id, fingerprint of what the request asked; None before 0006), or None."""
        key = self.session.get(IdempotencyKey, (operation, request_id))
        return (key.resource_id, key.fingerprint) if key else None

    def add(
        self, operation: str, request_id: str, resource_id: str, actor: str, fingerprint: str
    ) -> None:
        self.session.add(
            IdempotencyKey(
                operation=operation,
                request_id=request_id,
                resource_id=resource_id,
                actor=actor,
                fingerprint=fingerprint,
            )
        )
