"""The one place that wires the service: settings -> database -> unit of work -> services ->
ingestion -> servicers -> gRPC server. The server, the CLI and the tests build from here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from inventory_service.api.adjustment_servicer import AdjustmentServicer
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.catalog_servicer import CatalogServicer
from inventory_service.api.count_servicer import CountServicer
from inventory_service.api.page_tokens import ListPages, PageTokens
from inventory_service.api.readiness import ReadinessMonitor
from inventory_service.api.server import (
    SERVICE_NAMES,
    InventoryServer,
    add_servicers,
    bind,
    cycle_plan,
    grpc_server,
    page_token_secret,
    role_table,
    server_tracing,
    token_verifier,
)
from inventory_service.api.site_servicer import SiteServicer
from inventory_service.db.cutoff import DatabaseCutoff
from inventory_service.db.engine import (
    create_db_engine,
    create_session_factory,
    instrument_pool,
    ping,
)
from inventory_service.db.migrate import upgrade
from inventory_service.db.unit_of_work import UnitOfWorkFactory, sql_unit_of_work_factory
from inventory_service.services.adjustments.adjustment_views import PendingApprovals
from inventory_service.services.adjustments.adjustments import AdjustmentService
from inventory_service.services.catalog.batches import BatchService
from inventory_service.services.catalog.levels import StockLevelService
from inventory_service.services.catalog.movements import MovementService
from inventory_service.services.catalog.products import ProductService
from inventory_service.services.catalog.transfers import TransferService
from inventory_service.services.counts.completion import CountCompletion
from inventory_service.services.counts.count_tasks import CountTasks
from inventory_service.services.counts.cycle_plans import CyclePlans
from inventory_service.services.counts.lifecycle import CountService
from inventory_service.services.counts.recounts import RecountService
from inventory_service.services.counts.reports import CountReports
from inventory_service.services.ingestion.committer import EntryCommitter
from inventory_service.services.ingestion.recorder import EntryRecorder
from inventory_service.services.ingestion.streams import EntryStreams, StreamLimits
from inventory_service.services.sites.locations import LocationService
from inventory_service.services.sites.sites import SiteService
from inventory_service.settings import Settings


@dataclass(frozen=True)
class ServiceLayer:
    """Every service, over one unit-of-work factory."""

    products: ProductService
    batches: BatchService
    movements: MovementService
    levels: StockLevelService
    transfers: TransferService
    counts: CountService
    completion: CountCompletion
    reports: CountReports
    adjustments: AdjustmentService
    recorder: EntryRecorder
    recounts: RecountService
    plans: CyclePlans
    sites: SiteService
    locations: LocationService
    tasks: CountTasks


def build_services(uow_factory: UnitOfWorkFactory, settings: Settings) -> ServiceLayer:
    """The service layer over any unit of work: SQL in the server, a fake in unit tests."""
    return ServiceLayer(
        products=ProductService(uow_factory),
        batches=BatchService(uow_factory),
        movements=MovementService(uow_factory),
        levels=StockLevelService(uow_factory),
        transfers=TransferService(uow_factory),
        counts=CountService(uow_factory, settings.cycle_plan),
        completion=CountCompletion(uow_factory),
        reports=CountReports(uow_factory, settings.cycle_plan),
        adjustments=AdjustmentService(uow_factory, thresholds=settings.thresholds),
        recorder=EntryRecorder(uow_factory, settings.thresholds),
        recounts=RecountService(uow_factory),
        plans=CyclePlans(uow_factory, settings.cycle_plan),
        sites=SiteService(uow_factory),
        locations=LocationService(uow_factory),
        tasks=CountTasks(uow_factory),
    )


def open_database(settings: Settings) -> tuple[Engine, UnitOfWorkFactory]:
    """The engine, migrated to the latest schema, and units of work over it."""
    engine = create_db_engine(settings.database_url, pool_size=settings.db_workers)
    upgrade(engine)
    return engine, sql_unit_of_work_factory(create_session_factory(engine))


def pending_approvals_reader(
    settings: Settings,
) -> tuple[Callable[[], PendingApprovals], Callable[[], None]]:
    """What the metrics endpoint asks the database at each scrape (one connection), and how to
    close it. The endpoint's process does not migrate: the server's start-up has."""
    engine = create_db_engine(settings.database_url, pool_size=1)
    uow_factory = sql_unit_of_work_factory(create_session_factory(engine))
    adjustments = AdjustmentService(uow_factory, thresholds=settings.thresholds)
    return adjustments.pending_approvals, engine.dispose


def create_server(settings: Settings, *, reuse_port: bool = False) -> tuple[InventoryServer, int]:
    """Builds (but does not start) the server; returns it with the port it bound.

    Call inside a running event loop. listen may use port 0 to pick a free port; reuse_port:
    worker processes share it (workers.py)."""
    roles = role_table()
    verifier = token_verifier(settings)
    tracing = server_tracing()
    page_tokens = PageTokens(page_token_secret(settings))
    cycle_plan(settings)
    engine, uow_factory = open_database(settings)
    instrument_pool(engine, settings.db_workers)
    services = build_services(uow_factory, settings)
    runner = BlockingRunner(settings.db_workers)
    lists = ListPages(page_tokens, runner)
    committer = EntryCommitter(services.recorder.record, runner)
    streams = EntryStreams(
        committer, StreamLimits(entries_per_second=settings.max_stream_entries_per_second)
    )
    currency = settings.currency

    server = grpc_server(settings, verifier, roles, reuse_port=reuse_port, tracing=tracing)
    health = add_servicers(
        server,
        CatalogServicer(
            services.products,
            services.batches,
            services.movements,
            services.levels,
            services.transfers,
            runner,
            lists,
            currency,
        ),
        CountServicer(
            services.counts,
            services.completion,
            services.reports,
            services.plans,
            committer,
            streams,
            runner,
            lists,
            currency,
            recounts=services.recounts,
            tasks=services.tasks,
        ),
        AdjustmentServicer(services.adjustments, runner, lists, currency),
        SiteServicer(services.sites, services.locations, runner, lists),
    )
    port = bind(server, settings)
    readiness = ReadinessMonitor(
        health,
        functools.partial(ping, engine),
        SERVICE_NAMES,
        interval=settings.db_check_interval_seconds,
    )
    app = InventoryServer(
        server,
        readiness,
        runner,
        cut_off_database=DatabaseCutoff(engine).cut,
        close_database=engine.dispose,
        drain_hooks=[streams.drain],
        tracing=tracing,
    )
    return app, port
