"""The composition root: settings in, a wired set of services out. Nothing is built at import."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from helgeland_platform import migrations
from helgeland_platform.keystore import KeyStore
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.api.observability import Metrics
from helgeland_pipeline.application import Clock, PipelineApplication, Saved, utc_now
from helgeland_pipeline.auth import DemoIssuer, TokenVerifier, load_key_source
from helgeland_pipeline.database import Database
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.migrations import LOCATION as MIGRATIONS
from helgeland_pipeline.privacy.access_log import AccessLog
from helgeland_pipeline.privacy.access_log_pruning import AccessLogPruner
from helgeland_pipeline.privacy.deliveries import DeliveriesClient
from helgeland_pipeline.readside.evaluation.projector import EvaluationProjection
from helgeland_pipeline.readside.forum.contacts import log_contact_details
from helgeland_pipeline.readside.forum.projector import ForumProjection
from helgeland_pipeline.readside.forum.queries import ForumQueries
from helgeland_pipeline.readside.hospital.projector import HospitalProjection
from helgeland_pipeline.readside.hospital.queries import HospitalQueries
from helgeland_pipeline.readside.municipal.projector import MunicipalProjection
from helgeland_pipeline.readside.municipal.queries import MunicipalQueries
from helgeland_pipeline.readside.runner import Projection, ProjectionRunner, catch_up_together
from helgeland_pipeline.readside.webhooks.projector import WebhookProjection
from helgeland_pipeline.reference import load_national_figures
from helgeland_pipeline.settings import ConfigurationError, Settings

VERSION_TABLE = "alembic_version_pipeline"


def migrate(settings: Settings) -> tuple[str | None, str]:
    """Apply the pipeline's migrations and create the tables of the event store and this
    release's read models; return the revisions before and after."""
    database = Database(settings.database_url, settings.database_schema)
    database.ensure_schema()
    engine = database.sync_engine()
    try:
        before = migrations.upgrade(engine, MIGRATIONS, VERSION_TABLE, settings.database_schema)
    finally:
        engine.dispose()
    # The event store's and this release's read-model tables too: the API, workers and the
    # notifications service, started together after this one-shot step, then all find them.
    build_services(settings).close()
    return before, migrations.head(MIGRATIONS, VERSION_TABLE)


def all_projections(app: PipelineApplication | None = None) -> list[Projection]:
    """Every read model, in the order a rebuild applies them (`app`: the log the forum's
    and the municipal one a doctor's name from)."""
    if app is None:
        forum, municipal = ForumProjection(), MunicipalProjection()
    else:
        forum = ForumProjection(log_contact_details(app))
        municipal = MunicipalProjection(log_contact_details(app))
    return [HospitalProjection(), forum, EvaluationProjection(), WebhookProjection(), municipal]


@dataclass
class Services:
    settings: Settings
    database: Database
    app: PipelineApplication
    engine: Engine
    runners: list[ProjectionRunner] = field(default_factory=list)
    jobs: list[Any] = field(default_factory=list)  # scheduled jobs (`privacy.retention`)
    pruner: AccessLogPruner | None = None

    def catch_up(self) -> None:
        """Bring every read model up to the log's end (raises `ProjectionFailed` on a failure),
        reading and decoding each page of the log once for all of them."""
        catch_up_together(self.runners)

    def runner(self, name: str) -> ProjectionRunner:
        return next(r for r in self.runners if r.projection.name == name)

    def wait_for(
        self, saved: Saved, read_models: Sequence[str] | None = None
    ) -> list[ProjectionRunner]:
        """Read-your-writes: wait until the named read models (default: all) have applied the
        saved events. Returns those that have not, within one time-out for all of them.
        """
        deadline = time.monotonic() + self.settings.read_your_writes_timeout
        names = [r.projection.name for r in self.runners] if read_models is None else read_models
        runners = [self.runner(name) for name in names]
        return [r for r in runners if not r.wait_until(saved.position, deadline)]

    def start_runners(self) -> None:
        for runner in self.runners:
            runner.start(self.settings.projection_poll_seconds)
        # The projection workers' process also runs the scheduled erasure of the never hired
        # and the pruning of the access log.
        from helgeland_pipeline.privacy.retention import RetentionJob  # noqa: PLC0415

        self.jobs.append(
            RetentionJob(
                self,
                self.settings.retention_unhired_days,
                self.settings.retention_interval_seconds,
                unapplied_days=self.settings.retention_unapplied_days,
            )
        )
        self.pruner = AccessLogPruner(
            self.engine,
            self.app.clock,
            timedelta(days=self.settings.access_log_retention_days),
            self.settings.access_log_prune_seconds,
        )
        self.jobs.append(self.pruner)
        for job in self.jobs:
            job.start()

    def close(self) -> None:
        for job in self.jobs:
            job.stop()
        for runner in self.runners:
            runner.stop()
        self.app.close()
        self.engine.dispose()


def build_services(
    settings: Settings, clock: Clock = utc_now, *, migrate: bool | None = None
) -> Services:
    """Build the application, the read-model engine and one runner per projection.

    The database's own tables are migrated first in demo mode (or when asked); otherwise a
    database this release has not migrated is refused with the command that fixes it.
    """
    database = Database(settings.database_url, settings.database_schema)
    database.ensure_schema()
    engine = database.sync_engine()
    app = PipelineApplication(
        database.eventsourcing_env(),
        clock=clock,
        sealing_key=settings.webhook_sealing_key_bytes,
        keys=KeyStore(engine),
        webhook_destinations=settings.webhook_destinations(),
        forum_includes_undecided=settings.forum_includes_undecided,
    )
    if migrate if migrate is not None else settings.demo or settings.auto_migrate:
        migrations.upgrade(engine, MIGRATIONS, VERSION_TABLE, settings.database_schema)
    else:
        try:
            migrations.require_current(engine, MIGRATIONS, VERSION_TABLE, "run `helgeland migrate`")
        except migrations.NotMigrated as error:
            engine.dispose()
            app.close()
            raise ConfigurationError(str(error)) from None
    runners = [
        ProjectionRunner(
            app,
            engine,
            projection,
            settings.projection_page_size,
            schema=settings.database_schema,
            retry_max_seconds=settings.projection_retry_max_seconds,
        )
        for projection in all_projections(app)
    ]
    for runner in runners:
        runner.create_tables()
    return Services(settings, database, app, engine, runners)


@dataclass
class ApiServices:
    """What the HTTP layer needs besides the commands: async queries and token checks."""

    core: Services
    async_engine: AsyncEngine
    hospital: HospitalQueries
    forum: ForumQueries
    municipal: MunicipalQueries
    evaluation: EvaluationQueries
    verifier: TokenVerifier
    pseudonym_key: bytes
    metrics: Metrics
    access_log: AccessLog
    deliveries: DeliveriesClient


def build_api_services(settings: Settings, clock: Clock = utc_now) -> ApiServices:
    services = build_services(settings, clock)
    async_engine = services.database.async_engine()
    return ApiServices(
        core=services,
        async_engine=async_engine,
        hospital=HospitalQueries(async_engine),
        forum=ForumQueries(
            async_engine,
            {n: m.name for n, m in services.app.reference.municipalities.items()},
        ),
        municipal=MunicipalQueries(async_engine),
        evaluation=build_evaluation(services, async_engine),
        verifier=build_verifier(settings),
        pseudonym_key=settings.pseudonym_key_bytes(),
        metrics=Metrics(services.runners),
        access_log=AccessLog(async_engine),
        deliveries=deliveries_client(settings),
    )


def deliveries_client(settings: Settings) -> DeliveriesClient:
    token = settings.notifications_token
    return DeliveriesClient(settings.notifications_url, token.get_secret_value() if token else None)


def build_evaluation(services: Services, engine: AsyncEngine) -> EvaluationQueries:
    return EvaluationQueries(
        engine,
        services.app.reference,
        load_national_figures(),
        min_cell=services.settings.evaluation_min_cell,
    )


def demo_issuer(settings: Settings) -> DemoIssuer:
    return DemoIssuer(settings.demo_jwks_file, settings.auth_issuer, settings.auth_audience)


def build_verifier(settings: Settings) -> TokenVerifier:
    """Outside demo mode the issuer's keys must be configured; demo mode trusts its own."""
    jwks_file = settings.auth_jwks_file
    if jwks_file is None and settings.auth_jwks_url is None:
        if not settings.demo:
            msg = "outside demo mode, set HELGELAND_AUTH_JWKS_FILE or HELGELAND_AUTH_JWKS_URL"
            raise ConfigurationError(msg)
        demo_issuer(settings).ensure_keys()
        jwks_file = settings.demo_jwks_file
    try:
        keys = load_key_source(
            jwks_file,
            settings.auth_jwks_url,
            settings.auth_jwks_refresh_seconds,
            settings.auth_jwks_min_refetch_seconds,
        )
    except (OSError, ValueError, httpx.HTTPError) as error:
        where = jwks_file or settings.auth_jwks_url
        msg = f"cannot load the token issuer's keys from {where}: {error}"
        raise ConfigurationError(msg) from None
    return TokenVerifier(
        keys, settings.auth_issuer, settings.auth_audience, settings.auth_algorithms
    )
