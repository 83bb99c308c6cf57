"""Property: the same bank entries book the same payments however they arrive: in one file,
in any order, or split over several files (an intraday CAMT.054 and the day's CAMT.053, a
re-export, an overlapping period).

Two worlds with identical invoices, each with its own bank account: world A reads all entries
in one file, world B a permutation of them split into files. Then the payments stored are the
same (day, amount, payer, status, which invoice) and every invoice ends with the same figures.
Entries are distinct in what a bank reports about them: two payments identical in every field
arriving in different files are the one case a fingerprint cannot tell apart
(tests/payments/data/README.md)."""
from __future__ import annotations

import itertools
import time
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from bnpl.payments import jobs, service
from bnpl.payments.models import Payment
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments import camt_files as files
from tests.payments.flows import invoice, ship

_files = itertools.count(1)

# (the invoice it pays: 0, 1 or None for one nobody can match; cents; day; payer; money in?)
entries = st.lists(st.tuples(st.sampled_from([0, 1, None]), st.sampled_from([1000, 2500, 3000, 4000]),
                             st.integers(0, 2), st.sampled_from(["Sanne de Vries", "J. Jansen"]), st.booleans()),
                   min_size=1, max_size=7, unique_by=lambda f: (f[0] if f[4] else None, *f[1:]))  # a debit pays no invoice


def entry(fields, invoices):
    """An entry as many banks report it: no NtryRef, no AcctSvcrRef."""
    role, cents, day, payer, money_in = fields
    kw = dict(name=payer, booked_on=date(2026, 11, 23) + timedelta(days=day), reference=None)
    if not money_in:
        return files.debit(cents, **kw)
    if role is None:
        return files.payment(cents, text="onbekende betaling", entry_reference=None, **kw)
    return files.payment(cents, rf=invoices[role]["payment_reference"], entry_reference=None, **kw)


def _invoice(api) -> dict:
    """Each of another person: one shopper's many orders would trip the risk rules."""
    n = next(_files)
    return ship(api, lines=[factories.line(unit_price=5000)],
                consumer=factories.consumer(name=f"Klant {n}", email=f"klant{n}@example.nl"))


def import_(services, world: str, batch: list) -> None:
    """A file of the world's own account (the database keeps what earlier examples booked)."""
    data = files.statement(*batch, iban=f"NL00BANK{world:0>10}", statement_id=f"{world}-{next(_files)}")
    with unit_of_work(services) as uow:
        service.import_statement(uow, data=data)


def payments_of(services, world: str, invoices) -> list[tuple]:
    roles = {inv["id"]: role for role, inv in enumerate(invoices)}
    with services.sessionmaker() as session:
        stored = session.scalars(select(Payment).where(Payment.statement_id.like(f"{world}-%"))).all()
    return sorted(((p.booked_on, p.amount_cents, p.payer_name, p.status, roles.get(p.invoice_id, -1)) for p in stored))


def figures(api, invoices) -> list[tuple]:
    return [(i["status"], i["paid"], i["balance"], i["refund_owed"]) for i in (invoice(api, x["id"]) for x in invoices)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=entries, data=st.data())
def test_any_order_and_any_split_into_files_books_the_same_payments(api, services, fields, data):
    order = data.draw(st.permutations(fields), label="order")
    cuts = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="cut after")
    example = next(_files)
    a, b = f"A{example}", f"B{example}"
    worlds = {world: [_invoice(api) for _ in range(2)] for world in (a, b)}

    import_(services, a, [entry(f, worlds[a]) for f in fields])
    batch = []
    for f, cut in zip(order, cuts):
        batch.append(entry(f, worlds[b]))
        if cut or f is order[-1]:
            import_(services, b, batch)
            batch = []

    assert payments_of(services, b, worlds[b]) == payments_of(services, a, worlds[a])
    assert len(payments_of(services, a, worlds[a])) == len(fields)
    assert figures(api, worlds[b]) == figures(api, worlds[a])


# (the invoice its RF reference names: 0, 1, or None for none: then its payer is the first
# invoice's consumer, a proposal when the amount is what that invoice still owes; the amount:
# cents, or what of an invoice's total; day)
amounts = st.sampled_from([1000, "half", "all but 1000", "all"])
chunked_entries = st.lists(st.tuples(st.sampled_from([0, 1, None]), amounts, st.integers(0, 1)), min_size=2, max_size=7)


def chunked_entry(fields, invoices):
    role, amount, day = fields
    total = invoices[0]["total"]
    cents = {"half": total // 2, "all but 1000": total - 1000, "all": total}.get(amount, amount)
    kw = dict(booked_on=date(2026, 11, 23) + timedelta(days=day), reference=None, entry_reference=None)
    if role is None:
        return files.payment(cents, text="betaling", name=invoices[0]["billed_to"]["name"], **kw)
    return files.payment(cents, rf=invoices[role]["payment_reference"], **kw)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=chunked_entries, chunk=st.integers(1, 3))
def test_a_chunk_decided_while_the_one_before_is_written_books_as_if_it_came_after(
        api, services, monkeypatch, fields, chunk):
    """jobs.import_statement_file decides a chunk while the one before is still being written
    (on PostgreSQL): a chunk that pays an invoice again, or proposes one for what a payment
    before left owing, must book as it does when booked after that one was committed."""
    class SlowToWrite(service.Booking):
        def write(self):
            time.sleep(0.02)  # the next chunk is decided meanwhile
            super().write()

    monkeypatch.setattr(jobs, "CHUNK", chunk)
    monkeypatch.setattr(service, "Booking", SlowToWrite)
    example = next(_files)
    a, b = f"A{example}", f"B{example}"
    worlds = {world: [_invoice(api) for _ in range(2)] for world in (a, b)}

    def statement(world):
        return files.statement(*[chunked_entry(f, worlds[world]) for f in fields], iban=f"NL00BANK{world:0>10}",
                               statement_id=f"{world}-{next(_files)}")
    monkeypatch.setattr(jobs, "_overlapping", lambda services: False)
    one_after_another = jobs.import_statement_file(services, statement(a))
    monkeypatch.setattr(jobs, "_overlapping", lambda services: True)
    overlapping = jobs.import_statement_file(services, statement(b))

    def payments(world):  # the first invoice's consumer is another person in each world
        name = worlds[world][0]["billed_to"]["name"]
        return sorted((day, cents, "its consumer" if payer == name else payer, status, role)
                      for day, cents, payer, status, role in payments_of(services, world, worlds[world]))
    assert +overlapping.counts == +one_after_another.counts
    assert payments(b) == payments(a)
    assert figures(api, worlds[b]) == figures(api, worlds[a])


def _booking(services, *entries):
    with unit_of_work(services) as uow:
        [read] = service.read_statements(uow, data=files.statement(*entries, statement_id=f"D-{next(_files)}"))
        return service.Booking(uow, statement=read, transactions=read.transactions)


def test_a_chunk_is_read_again_only_when_an_invoice_its_matches_rest_on_was_paid_before_it(api, services):
    """What the chunk before wrote while this one was decided: paying an invoice of the same
    amount under another name changes no proposal of this one; paying the very invoice a
    payer's name and amount point to does."""
    sanne, daan = (_invoice_of(api, name) for name in ("Sanne de Vries", "Daan Jansen"))
    assert sanne["total"] == daan["total"]
    earlier = _booking(services, files.payment(sanne["total"], rf=sanne["payment_reference"]))

    from_daan = _booking(services, files.payment(daan["total"], text="betaling", name="Daan Jansen"))
    from_sanne = _booking(services, files.payment(sanne["total"], text="betaling", name="Sanne de Vries"))

    assert not from_daan.depends_on(earlier)
    assert from_sanne.depends_on(earlier)


def _invoice_of(api, name: str) -> dict:
    return ship(api, lines=[factories.line(unit_price=4200)],
                consumer=factories.consumer(name=name, email=f"{name.split()[0].lower()}{next(_files)}@example.nl"))
