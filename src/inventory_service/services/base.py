"""What every service is: plain Python over a unit-of-work factory (SQL in the server, in
memory in the unit tests), one transaction per call."""

from __future__ import annotations

from inventory_service.db.unit_of_work import UnitOfWorkFactory


class Service:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory
