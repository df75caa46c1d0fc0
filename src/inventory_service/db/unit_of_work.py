"""Unit of work: one transaction, rolled back on exit unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inventory_service.db.adjustment_repository import AdjustmentRepository
from inventory_service.db.catalog_repository import (
    BatchRepository,
    LedgerRepository,
    ProductRepository,
    StockLevelRepository,
)
from inventory_service.db.constraints import translate_integrity_error
from inventory_service.db.count_entry_repository import CountEntryRepository
from inventory_service.db.count_report_repository import CountReportRepository
from inventory_service.db.count_repository import CountRepository
from inventory_service.db.count_task_repository import CountTaskRepository
from inventory_service.db.cycle_plan_repository import CyclePlanRepository
from inventory_service.db.engine import SQLITE_BEGIN
from inventory_service.db.faults import database_fault
from inventory_service.db.idempotency_repository import IdempotencyRepository
from inventory_service.db.recount_repository import RecountRepository
from inventory_service.db.site_repository import LocationRepository, SiteRepository
from inventory_service.db.transfer_repository import TransferRepository


class UnitOfWork:
    """Repositories over one session. Use as `with uow_factory() as uow: ...; uow.commit()`.

    A constraint violation, or an error of the database's state (it does not answer, or the
    transaction conflicted), that escapes the block leaves it as the domain error it means
    (db/constraints.py, db/faults.py): the service layer never sees a driver's exception."""

    products: ProductRepository
    batches: BatchRepository
    stock_levels: StockLevelRepository
    ledger: LedgerRepository
    idempotency: IdempotencyRepository
    counts: CountRepository
    count_reports: CountReportRepository
    count_entries: CountEntryRepository
    adjustments: AdjustmentRepository
    recounts: RecountRepository
    cycle_plans: CyclePlanRepository
    sites: SiteRepository
    locations: LocationRepository
    transfers: TransferRepository
    count_tasks: CountTaskRepository

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        if not self._read_only and self.session.get_bind().dialect.name == "sqlite":
            try:
                self.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            except SQLAlchemyError as error:
                self.session.close()
                _raise_fault(error)
                raise
        self.products = ProductRepository(self.session)
        self.batches = BatchRepository(self.session)
        self.stock_levels = StockLevelRepository(self.session)
        self.ledger = LedgerRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.counts = CountRepository(self.session)
        self.count_reports = CountReportRepository(self.session)
        self.count_entries = CountEntryRepository(self.session)
        self.adjustments = AdjustmentRepository(self.session)
        self.recounts = RecountRepository(self.session)
        self.cycle_plans = CyclePlanRepository(self.session)
        self.sites = SiteRepository(self.session)
        self.locations = LocationRepository(self.session)
        self.transfers = TransferRepository(self.session)
        self.count_tasks = CountTaskRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the loaded objects
        # without expiring them (rollback() would), so results stay readable after exit.
        self.session.close()
        if isinstance(exc, IntegrityError):
            translated = translate_integrity_error(exc)
            if translated is not exc:
                raise translated from exc
        if exc is not None:
            _raise_fault(exc)

    def flush(self) -> None:
        """Sends pending writes now, so constraint violations surface as domain errors here."""
        try:
            self.session.flush()
        except IntegrityError as error:
            raise translate_integrity_error(error) from error

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as error:
            raise translate_integrity_error(error) from error


def _raise_fault(error: BaseException) -> None:
    fault = database_fault(error)
    if fault is not None:
        raise fault from error


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


def sql_unit_of_work_factory(session_factory: sessionmaker[Session]) -> UnitOfWorkFactory:
    def factory(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(session_factory, read_only=read_only)

    return factory
