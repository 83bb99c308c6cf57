"""Invoice numbers: one yearly series, gap-free, unique under concurrency, never reused, and
found however a person types them."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bnpl.invoices import service as invoices
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments.flows import ship


def test_numbers_count_up_per_series(uow):
    assert [invoices.next_number(uow, series="s:2026") for _ in range(3)] == [1, 2, 3]
    assert invoices.next_number(uow, series="s:2027") == 1


def test_a_number_taken_by_a_transaction_that_fails_is_given_again(services):
    with unit_of_work(services) as uow:
        assert invoices.next_number(uow, series="s") == 1
    with pytest.raises(RuntimeError):
        with unit_of_work(services) as uow:
            assert invoices.next_number(uow, series="s") == 2
            raise RuntimeError("the shipment could not be stored")
    with unit_of_work(services) as uow:
        assert invoices.next_number(uow, series="s") == 2


def test_live_and_test_mode_have_separate_series(app, services, api):
    from bnpl.merchants import service as merchants
    from tests.conftest import ApiClient

    with unit_of_work(services) as uow:
        merchant = merchants.get_merchant(uow, merchant_id=api.merchant_id)
        live_key = merchants.issue_api_key(uow, merchant=merchant, livemode=True)
    live = ApiClient(app.test_client(), live_key)
    for client, number in ((api, "TEST-2026-000001"), (live, "2026-000001")):
        order = client.post("/orders", json=factories.order()).json
        assert client.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]["number"] == number


@pytest.mark.postgres
def test_eight_threads_issuing_400_invoices_get_1_to_400_without_gaps(api):
    # 400 people, each at their own address: one shopper placing 400 orders is declined by risk.
    order_ids = [api.post("/orders", json=factories.order(
        consumer=factories.consumer(email=f"person{n}@example.nl", name=f"Person {n}", phone=f"06{n:08d}"),
        billing_address=factories.address(house_number=str(100 + n)))).json["id"] for n in range(400)]
    start = threading.Barrier(8)

    def ship_all(ids):
        start.wait()
        return [api.post(f"/orders/{order_id}/shipments", json={}) for order_id in ids]

    with ThreadPoolExecutor(8) as pool:
        answers = [r for batch in pool.map(ship_all, [order_ids[i::8] for i in range(8)]) for r in batch]
    assert {r.status_code for r in answers} == {201}
    numbers = sorted(int(r.json["invoice"]["number"].rsplit("-", 1)[1]) for r in answers)
    assert numbers == list(range(1, 401))


@pytest.mark.postgres
def test_two_simultaneous_shipments_of_one_order_ship_it_once(api):
    order = api.post("/orders", json=factories.order()).json
    start = threading.Barrier(4)

    def ship():
        start.wait()
        return api.post(f"/orders/{order['id']}/shipments", json={})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: ship(), range(4)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409]
    assert len(api.get("/invoices").json["items"]) == 1


def test_an_invoice_number_is_found_as_a_person_types_it(api, services):
    number = ship(api)["number"]
    with unit_of_work(services) as uow:
        assert invoices.find_invoice(uow, number=f" {number.lower()} ").number == number
