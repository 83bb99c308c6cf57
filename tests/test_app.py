"""What every deployment serves besides the merchant API."""


def test_openapi_documents_every_contract_path_with_bearer_auth(app):
    spec = app.test_client().get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/orders", "/api/v1/orders/{order_id}", "/api/v1/orders/{order_id}/cancellations",
                 "/api/v1/orders/{order_id}/shipments", "/api/v1/shipments/{shipment_id}/delivery",
                 "/api/v1/invoices", "/api/v1/invoices/{invoice_id}", "/api/v1/events"]:
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    order_body = spec["components"]["schemas"]["OrderCreate"]
    assert {"merchant_reference", "currency", "consumer", "billing_address", "lines"} <= set(order_body["required"])


def test_docs_page_renders(app):
    r = app.test_client().get("/docs")
    assert r.status_code == 200 and b"openapi.json" in r.data


def test_an_unexpected_error_is_a_problem_without_a_stack_trace(app, api, monkeypatch):
    from bnpl.orders import service

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(service, "get_order", explode)
    r = api.get("/orders/ord_x")
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/problem+json"
    assert "secret internals" not in r.get_data(as_text=True)


def test_a_401_says_how_to_authenticate(app):
    client = app.test_client()
    missing = client.get("/api/v1/orders")
    wrong = client.get("/api/v1/orders", headers={"Authorization": "Bearer bnpl_test_not-a-key"})
    basic = client.get("/api/v1/orders", headers={"Authorization": "Basic Ym5wbF90ZXN0X3g6"})
    for r in (missing, wrong, basic):
        assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="bnpl"'
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="bnpl", error="invalid_token"'
    assert basic.headers["WWW-Authenticate"] == 'Bearer realm="bnpl"'  # only Bearer is spoken here


def test_the_database_pool_checks_a_connection_before_lending_it(services):
    """SQLite: SQLAlchemy's pre-ping. PostgreSQL: a ping when in doubt, on checkout (what it
    finds: tests/test_db.py)."""
    pool = services.engine.pool
    if services.engine.dialect.name == "postgresql":
        assert [listener.__name__ for listener in pool.dispatch.checkout] == ["_lent"]
    else:
        assert pool._pre_ping is True


def test_a_database_error_in_the_log_leaves_out_the_values(services):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with services.engine.connect() as conn:
        try:
            conn.execute(text("SELECT * FROM no_such_table WHERE token = :token"), {"token": "sign-in-secret"})
        except DBAPIError as exc:
            assert "sign-in-secret" not in str(exc)
        else:
            raise AssertionError("the statement should have failed")
