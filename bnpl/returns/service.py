"""Use cases for returns: register (announced or received), receive, flag overdue ones."""
from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bnpl.errors import InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.i18n import N_, said
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.invoices.models import CreditNote
from bnpl.merchants import service as merchants
from bnpl.orders import service as orders
from bnpl.returns import models, states
from bnpl.returns.models import Return, ReturnLine
from bnpl.returns.schemas import ReturnSchema
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_return_schema = ReturnSchema()


class Handled(NamedTuple):
    return_: Return
    credit_notes: list[CreditNote]


def register_return(uow: UnitOfWork, *, scope: Scope, order_id: str, data: dict,
                    invoice_id: str | None = None) -> Handled:
    """Register returned goods: 'announced' pauses the invoices concerned until the goods
    arrive (at most the merchant's return pause); 'received' credits them at once. With
    invoice_id (the consumer reporting from one invoice) the goods come off that invoice only."""
    requested = [(item["reference"], item["quantity"]) for item in data["lines"]]
    invoiced = invoice_queries.invoiced_lines(uow, scope=scope, order_id=order_id)
    if invoice_id:
        invoiced = [line for line in invoiced if line.invoice_id == invoice_id]
        _check_on_invoice(uow, requested, invoiced, order_id)
    order = orders.reserve_return(uow, scope=scope, order_id=order_id, lines=data["lines"])
    now = uow.now()
    pause_days = merchants.get_merchant(uow, merchant_id=scope.merchant_id).return_pause_days
    ret = Return(order_id=order.id, merchant_id=scope.merchant_id, livemode=scope.livemode,
                 status=states.ANNOUNCED, carrier=data.get("carrier"), tracking_code=data.get("tracking_code"),
                 reason=data.get("reason"), announced_at=now, receive_by=now + timedelta(days=pause_days),
                 created_at=now, lines=models.allot(requested, invoiced, _already_returned(uow, order.id)))
    uow.session.add(ret)
    uow.session.flush()
    if data.get("status") == states.RECEIVED:
        return Handled(ret, _receive(uow, scope, ret, invoiced))
    for invoice_id in ret.invoice_ids():
        invoices.pause_invoice(uow, scope=scope, invoice_id=invoice_id, reason="return",
                               reference_id=ret.id, max_days=pause_days)
    events.record(uow, scope=scope, type="return.announced", subject_id=ret.id, data=_return_schema.dump(ret))
    return Handled(ret, [])


def receive_return(uow: UnitOfWork, *, scope: Scope, return_id: str) -> Handled:
    """The goods of an announced return arrived: credit them and resume the invoices."""
    ret = get_return(uow, scope=scope, return_id=return_id, for_update=True)
    invoiced = invoice_queries.invoiced_lines(uow, scope=scope, order_id=ret.order_id)
    return Handled(ret, _receive(uow, scope, ret, invoiced))


def _receive(uow, scope, ret: Return, invoiced) -> list[CreditNote]:
    ret.receive(uow.now())
    invoices.lift_pauses(uow, scope=scope, reference_id=ret.id, by="return received")
    billed = {(b.invoice_id, b.reference): b for b in invoiced}
    notes = []
    for invoice_id in ret.invoice_ids():
        lines = [invoice_ledger.LineToCredit(reference=line.reference,
                                             description=billed[(invoice_id, line.reference)].description,
                                             quantity=line.quantity,
                                             unit_price_cents=billed[(invoice_id, line.reference)].unit_price_cents,
                                             vat_rate_bp=billed[(invoice_id, line.reference)].vat_rate_bp)
                 for line in ret.lines if line.invoice_id == invoice_id]
        notes.append(invoice_ledger.credit_lines(uow, scope=scope, invoice_id=invoice_id, lines=lines,
                                                 reason=N_("Returned goods"), return_id=ret.id))
    events.record(uow, scope=scope, type="return.received", subject_id=ret.id, data=_return_schema.dump(ret))
    return notes


def flag_overdue_returns(uow: UnitOfWork) -> list[Return]:
    """Announced returns whose goods did not arrive in time: the pause ends, dunning may go on.
    Claims rows with SKIP LOCKED so several workers never flag one return twice."""
    overdue = list(uow.session.scalars(
        select(Return).where(Return.status == states.ANNOUNCED, Return.overdue_at.is_(None),
                             Return.receive_by <= uow.now())
        .order_by(Return.receive_by).limit(500).with_for_update(skip_locked=True)))
    for ret in overdue:
        scope = Scope(ret.merchant_id, ret.livemode)
        ret.overdue_at = uow.now()
        invoices.lift_pauses(uow, scope=scope, reference_id=ret.id, by="return overdue")
        events.record(uow, scope=scope, type="return.overdue", subject_id=ret.id, data=_return_schema.dump(ret))
    return overdue


def get_return(uow: UnitOfWork, *, scope: Scope, return_id: str, for_update: bool = False) -> Return:
    query = (select(Return).options(selectinload(Return.lines))
             .where(Return.id == return_id, Return.merchant_id == scope.merchant_id,
                    Return.livemode == scope.livemode))
    ret = uow.session.scalar(query.with_for_update(of=Return) if for_update else query)
    if ret is None:
        raise NotFound(said("No return %(id)s.", id=return_id))
    return ret


def _check_on_invoice(uow, requested: list[tuple[str, int]], invoiced: list, order_id: str) -> None:
    """Every returned quantity is still on the invoice it is reported from."""
    already, errors = _already_returned(uow, order_id), {}
    for position, (reference, quantity) in enumerate(requested):
        free = sum(line.quantity - already.get((line.invoice_id, reference), 0)
                   for line in invoiced if line.reference == reference)
        if quantity > free:
            errors[f"lines.{position}.quantity"] = [said("At most %(free)s of %(reference)s can still be returned "
                                                         "from this invoice.", free=free, reference=repr(reference))]
    if errors:
        raise InvalidInput(errors)


def _already_returned(uow: UnitOfWork, order_id: str) -> dict[tuple[str, str], int]:
    rows = uow.session.execute(
        select(ReturnLine.invoice_id, ReturnLine.reference, func.sum(ReturnLine.quantity))
        .join(Return).where(Return.order_id == order_id)
        .group_by(ReturnLine.invoice_id, ReturnLine.reference)).all()
    return {(invoice_id, reference): int(total) for invoice_id, reference, total in rows}
