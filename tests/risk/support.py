"""Orders as the tests of risk place them: through the API, as a person with their own
e-mail, phone and front door unless told otherwise."""
from __future__ import annotations

from tests import factories


def person(n: int, *, phone: str | None = None, email: str | None = None, **consumer) -> dict:
    """Order fields of person n: their own e-mail address, phone and front door."""
    return {"consumer": factories.consumer(email=email or f"person{n}@example.nl", name=f"Person {n}",
                                           phone=phone or f"06{n:08d}", **consumer),
            "billing_address": factories.address(house_number=str(100 + n), postal_code="1234 AB")}


def order(api, amount: int = 5_000, *, context: dict | None = None, **fields) -> dict:
    """Place one order for this amount (one line) and return the answer's JSON."""
    body = factories.order(lines=[factories.line(unit_price=amount)], **fields)
    if context is not None:
        body["context"] = context
    response = api.post("/orders", json=body)
    assert response.status_code == 201, response.json
    return response.json


def ship(api, order_id: str) -> dict:
    response = api.post(f"/orders/{order_id}/shipments", json={})
    assert response.status_code == 201, response.json
    return response.json["invoice"]


def codes(order_json: dict) -> list[str]:
    return [reason["code"] for reason in order_json["decision"]["reasons"]]


def asks_for_high_risk_goods(api) -> None:
    """This webshop has fresh identities buying high-risk goods identify first (stricter than
    the installation's default, which does not)."""
    answer = api.put("/risk-policy", json={"verify_fresh_high_risk_goods": True})
    assert answer.status_code == 200, answer.json


def press_confirm(api, placed: dict) -> None:
    """The consumer confirms on the local bank's page the order's decision sent them to."""
    from urllib.parse import urlparse

    answer = api.client.post(urlparse(placed["decision"]["verification_url"]).path, data={"decision": "confirm"})
    assert answer.status_code == 200
