"""create_app(settings) builds everything; nothing happens at import.

This is where the features are put together: which models exist (MODEL_MODULES), who hears
the events (wire), who checks an API key. Features and core never import this module.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import Flask, request
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from bnpl import errors
from bnpl.clock import Clock, SystemClock
from bnpl.config import Settings
from bnpl.db import Base, make_engine, make_sessionmaker

# Each feature owns its tables; migrations and tests need all of them registered.
MODEL_MODULES = (
    "bnpl.merchants.models", "bnpl.consumers.models", "bnpl.orders.models",
    "bnpl.invoices.models", "bnpl.documents.models", "bnpl.returns.models", "bnpl.events.models", "bnpl.web.models",
    "bnpl.notifications.models", "bnpl.payments.models", "bnpl.settlements.models", "bnpl.dunning.models",
    "bnpl.disputes.models", "bnpl.staff.models", "bnpl.portal.models", "bnpl.risk.models", "bnpl.audit.models",
    "bnpl.monitoring.models", "bnpl.support.models",
)


def load_models() -> MetaData:
    """Every feature's tables on Base.metadata (for alembic, and to empty a test database)."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


def wire() -> None:
    """Connect the features for this process, where neither may import the other: the
    subscribers of events (called in this order) and how each feature draws its documents.
    Every path that builds services runs it (build_services, create_app, the tests' fixture);
    running it again changes nothing."""
    from bnpl.documents import service as documents
    from bnpl.dunning import letters
    from bnpl.events import service as events
    from bnpl.invoices import drawings
    from bnpl.notifications import service as notifications
    from bnpl.risk import service as risk

    events.subscribe(notifications.on_events)  # webhooks and e-mails, written with the change
    events.subscribe(risk.on_events)  # the personal limit: paid invoices, hand-overs, fraud decisions
    for kind, draw in {**drawings.DRAWINGS, **letters.DRAWINGS}.items():
        documents.register(kind, draw)
    _wire_privacy()


def _wire_privacy() -> None:
    """Who holds a consumer's data, for export and erasure (bnpl/privacy): in this order, so
    each finds what the ones before identified (consumer ids, then orders, invoices, IBANs)."""
    from bnpl.consumers import privacy as consumers
    from bnpl.disputes import privacy as disputes
    from bnpl.events import privacy as events
    from bnpl.invoices import privacy as invoices
    from bnpl.notifications import privacy as notifications
    from bnpl.orders import privacy as orders
    from bnpl.payments import privacy as payments
    from bnpl.portal import privacy as portal
    from bnpl.privacy import service
    from bnpl.risk import privacy as risk
    from bnpl.support import privacy as support
    from bnpl.web import privacy as web

    for holder in (consumers, orders, invoices, payments, disputes, support, risk, notifications, events, web,
                   portal):
        service.register(holder)


@dataclass
class Services:
    """What a process shares: settings, the database and the clock."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    clock: Clock


def build_services(settings: Settings | None = None, clock: Clock | None = None) -> Services:
    wire()
    load_models()  # every table known: a flush that touches one table resolves its foreign keys
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    return Services(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine),
                    clock=clock or SystemClock())


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               services: Services | None = None) -> Flask:
    from bnpl.disputes.api import blp as disputes_api
    from bnpl.support.api import blp as support_api
    from bnpl.dunning.api import blp as dunning_api
    from bnpl.events.api import blp as events_api
    from bnpl.invoices.api import blp as invoices_api
    from bnpl.merchants import service as merchants
    from bnpl.merchants.api import blp as merchants_api
    from bnpl.monitoring import views as monitoring_views
    from bnpl.notifications.api import blp as notifications_api
    from bnpl.orders.api import blp as orders_api, verification_pages
    from bnpl.payments.api import blp as checkouts_api, pages as payment_pages
    from bnpl.portal import views as portal_views
    from bnpl.returns.api import blp as returns_api
    from bnpl.risk.api import blp as risk_api
    from bnpl.settlements.api import blp as settlements_api
    from bnpl.staff import views as staff_views
    from bnpl.web.api import OPENAPI_CONFIG, Api
    from bnpl.web import language
    from bnpl.web.docs import bp as docs_pages
    from bnpl.web.context import close_uow, register_authenticator
    from bnpl.web.sessions import CookieSessions

    wire()  # also when handed services built elsewhere
    services = services or build_services(settings, clock)
    app = Flask(__name__, instance_path=str(services.settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=services.settings.secret_key,
        MAX_CONTENT_LENGTH=services.settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        **OPENAPI_CONFIG,
    )
    app.json.sort_keys = False
    app.session_interface = CookieSessions()
    app.extensions["bnpl"] = services
    if services.settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = services.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.teardown_appcontext(close_uow)
    register_authenticator(app, merchants.authenticate)
    errors.register(app)

    api = Api(app)
    for blueprint in (orders_api, returns_api, invoices_api, events_api, merchants_api, notifications_api,
                      settlements_api):
        api.register_blueprint(blueprint)
    api.register_blueprint(checkouts_api)
    api.register_blueprint(dunning_api)
    api.register_blueprint(disputes_api)
    api.register_blueprint(support_api)
    api.register_blueprint(risk_api)
    app.register_blueprint(verification_pages)  # bank identification callbacks, the local bank's page
    app.register_blueprint(payment_pages)  # provider callbacks, the local bank's page
    language.install(app)  # gettext in templates, in the language of the request
    staff_views.configure(app)  # session cookie flags and CSRF for the back office
    app.register_blueprint(staff_views.bp)
    portal_views.configure(app)  # page errors under /portal
    app.register_blueprint(portal_views.bp)
    app.register_blueprint(docs_pages)  # /docs: the API reference, from files installed with the package
    monitoring_views.configure(app)  # /healthz, /readyz, /metrics and the request counts

    @app.before_request
    def _refuse_nul():
        # No identifier or filter contains NUL; PostgreSQL would fail on it deep inside a query.
        if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
            return errors.problem(400, "Bad request", "The address contains a NUL character.")

    return app
