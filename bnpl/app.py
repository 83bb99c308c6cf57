"""create_app(settings) builds everything; nothing happens at import."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, jsonify, request
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bnpl import errors
from bnpl.clock import Clock, SystemClock
from bnpl.config import Settings
from bnpl.db import make_engine, make_sessionmaker


@dataclass
class Services:
    """What a process shares: settings, the database and the clock."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    clock: Clock


def build_services(settings: Settings | None = None, clock: Clock | None = None) -> Services:
    wire()
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    return Services(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine),
                    clock=clock or SystemClock())


def wire() -> None:
    """Plug the features into the core they must not be imported by (idempotent): how each
    feature draws its documents."""
    from bnpl.documents import service as documents
    from bnpl.dunning import letters
    from bnpl.invoices import drawings

    for kind, draw in {**drawings.DRAWINGS, **letters.DRAWINGS}.items():
        documents.register(kind, draw)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               services: Services | None = None) -> Flask:
    from bnpl.disputes.api import blp as disputes_api
    from bnpl.dunning.api import blp as dunning_api
    from bnpl.events.api import blp as events_api
    from bnpl.invoices.api import blp as invoices_api
    from bnpl.merchants.api import blp as merchants_api
    from bnpl.notifications.api import blp as notifications_api
    from bnpl.orders.api import blp as orders_api
    from bnpl.payments.api import blp as checkouts_api, pages as payment_pages
    from bnpl.portal import views as portal_views
    from bnpl.returns.api import blp as returns_api
    from bnpl.settlements.api import blp as settlements_api
    from bnpl.staff import views as staff_views
    from bnpl.web.api import OPENAPI_CONFIG, Api
    from bnpl.web.context import close_uow

    wire()
    services = services or build_services(settings, clock)
    app = Flask(__name__, instance_path=str(services.settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=services.settings.secret_key,
        MAX_CONTENT_LENGTH=services.settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        **OPENAPI_CONFIG,
    )
    app.json.sort_keys = False
    app.extensions["bnpl"] = services
    if services.settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = services.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.teardown_appcontext(close_uow)
    errors.register(app)

    api = Api(app)
    for blueprint in (orders_api, returns_api, invoices_api, events_api, merchants_api, notifications_api,
                      settlements_api):
        api.register_blueprint(blueprint)
    api.register_blueprint(checkouts_api)
    api.register_blueprint(dunning_api)
    api.register_blueprint(disputes_api)
    app.register_blueprint(payment_pages)  # provider callbacks, the local bank's page
    staff_views.configure(app)  # session cookie flags and CSRF for the back office
    app.register_blueprint(staff_views.bp)
    portal_views.configure(app)  # gettext in templates, page errors under /portal
    app.register_blueprint(portal_views.bp)

    @app.before_request
    def _refuse_nul():
        # No identifier or filter contains NUL; PostgreSQL would fail on it deep inside a query.
        if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
            return errors.problem(400, "Bad request", "The address contains a NUL character.")

    @app.get("/healthz")
    def healthz():
        try:
            with services.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return jsonify(status="unavailable", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    return app
