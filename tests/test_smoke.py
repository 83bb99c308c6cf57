from tests import factories


def test_create_ship_read(api):
    r = api.post("/orders", json=factories.order(lines=factories.three_lines()))
    assert r.status_code == 201, r.json
    order = r.json
    assert order["status"] == "accepted"
    r = api.post(f"/orders/{order['id']}/shipments", json={})
    assert r.status_code == 201, r.json
    print(r.json)
