"""A request's body is read with a schema built once, when the app is: webargs builds a new
instance of a schema class on every request, and building one copies every declared field,
nested schemas' too (a fifth of a millisecond for an order, on every call)."""
from __future__ import annotations

import marshmallow

from tests import factories


def test_creating_an_order_builds_no_schema(api, monkeypatch):
    assert api.post("/orders", json=factories.order()).status_code == 201  # nested schemas made on first use
    built = []
    original = marshmallow.Schema.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(marshmallow.Schema, "__init__", counting)
    created = api.post("/orders", json=factories.order())
    assert created.status_code == 201, created.json
    assert built == []


def test_the_reference_still_names_the_request_schemas(app):
    spec = app.test_client().get("/openapi.json").json
    body = spec["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/OrderCreate"}
