"""Use cases for settlements: settle a finished period, read settlements and their entries.

This is buy now, pay later: the provider pays the webshop for what it invoiced in a period
whether or not the consumer has paid yet, and carries the consumer's debt (collection,
dunning, any loss) itself. A settlement is fixed when it is made and never updated; a
credit note issued after an earlier payout comes off the settlement of the period it was
issued in, whatever invoice it belongs to. Periods are Europe/Amsterdam calendar dates.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, not_, select

from bnpl import pagination
from bnpl.db import insert_ignoring_conflicts, new_id
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.invoices import queries as invoice_queries
from bnpl.merchants import service as merchants
from bnpl.settlements.models import Settlement
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# The settlement columns are 32-bit integers; a larger period total needs a wider column.
_MAX_COLUMN = 2**31 - 1

INVOICE, CREDIT_NOTE, FEE = "invoice", "credit_note", "fee"


@dataclass(frozen=True)
class Entry:
    """One line behind a settlement; amount_cents is signed: what it adds to the payout."""

    kind: str  # invoice | credit_note | fee
    number: str  # the invoice or credit note number; empty for the fee
    date: date  # issue date (Europe/Amsterdam); the period's last day for the fee
    amount_cents: int
    invoice_number: str | None = None  # for a credit note: the invoice it reduces


@dataclass(frozen=True)
class Statement:
    """A settlement with the entries behind it, in the order they were issued."""

    settlement: Settlement
    entries: list[Entry]

    @property
    def total_cents(self) -> int:
        return sum(entry.amount_cents for entry in self.entries)


@dataclass(frozen=True)
class MonthSettled:
    period_start: date
    period_end: date
    settled: list[tuple[Settlement, str]]  # each settlement with its merchant's name


def provider_fee(*, invoiced_cents: int, fee_bp: int) -> int:
    """invoiced × fee_bp / 10 000, rounded half up to the cent, in integers only."""
    if invoiced_cents < 0 or fee_bp < 0:
        raise ValueError("the fee is taken on a non-negative amount at a non-negative rate")
    return (invoiced_cents * fee_bp + 5_000) // 10_000


def month_period(*, year: int, month: int) -> tuple[date, date]:
    """The first and last day of a calendar month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def settle_month(uow: UnitOfWork, *, year: int | None = None, month: int | None = None) -> MonthSettled:
    """Settle one calendar month (default: the month before today) for every merchant."""
    if (year is None) != (month is None):
        raise InvalidInput({"month": ["Give both year and month, or neither."]})
    if year is None:
        last_month = uow.today().replace(day=1) - timedelta(days=1)
        year, month = last_month.year, last_month.month
    if not 1 <= month <= 12 or not 1 <= year <= 9998:
        raise InvalidInput({"month": [f"{year}-{month:02d} is not a month."]})
    start, end = month_period(year=year, month=month)
    settlements = settle_period(uow, period_start=start, period_end=end)
    return MonthSettled(start, end, [(s, merchants.get_merchant(uow, merchant_id=s.merchant_id).name)
                                     for s in settlements])


def settle_period(uow: UnitOfWork, *, period_start: date, period_end: date) -> list[Settlement]:
    """Settle every merchant's invoices and credit notes of a finished period, once."""
    _check_period(uow, period_start, period_end)
    existing = {(s.merchant_id, s.livemode) for s in _settled(uow, period_start)}
    created_at = uow.now()
    for (merchant_id, livemode), (currency, invoiced, credited) in sorted(
            _totals(uow, period_start, period_end).items()):
        if (merchant_id, livemode) in existing:
            continue  # settled before: the figures stay as they were paid
        merchant = merchants.get_merchant(uow, merchant_id=merchant_id)  # its IBAN in force now
        fee = provider_fee(invoiced_cents=invoiced, fee_bp=merchant.fee_bp)
        payable = invoiced - credited - fee
        if max(invoiced, credited, abs(payable)) > _MAX_COLUMN:
            raise Conflict(f"The totals of merchant {merchant_id} for {period_start}..{period_end} do not "
                           "fit the settlement columns; nothing was settled.")
        # ON CONFLICT DO NOTHING: two runs at the same moment still make one row.
        insert_ignoring_conflicts(uow.session, Settlement.__table__, {
            "id": new_id("stl"), "merchant_id": merchant_id, "livemode": livemode, "currency": currency,
            "period_start": period_start, "period_end": period_end, "invoiced_cents": invoiced,
            "credited_cents": credited, "fee_cents": fee, "payable_cents": payable,
            "created_at": created_at, "paid_at": None, "payout_iban": merchant.payout_iban,
        }, index_elements=["merchant_id", "livemode", "period_start"])
    settlements = _settled(uow, period_start)
    if any(s.period_end != period_end for s in settlements):  # a concurrent run with other bounds
        raise Conflict(f"Another run settled a period starting {period_start} with other bounds.")
    return settlements


def list_settlements(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int):
    """The merchant's settlements, newest first."""
    query = select(Settlement).where(Settlement.merchant_id == scope.merchant_id,
                                     Settlement.livemode == scope.livemode)
    return pagination.page(uow.session, query, created_col=Settlement.created_at, id_col=Settlement.id,
                           cursor=cursor, limit=limit)


def get_settlement(uow: UnitOfWork, *, scope: Scope, settlement_id: str) -> Settlement:
    """One of the merchant's settlements; another merchant's is not found, like a missing one."""
    settlement = uow.session.scalar(select(Settlement).where(
        Settlement.id == settlement_id, Settlement.merchant_id == scope.merchant_id,
        Settlement.livemode == scope.livemode))
    if settlement is None:
        raise NotFound(f"No settlement {settlement_id}.")
    return settlement


def settlement_entries(uow: UnitOfWork, *, scope: Scope, settlement_id: str) -> Statement:
    """The invoices, credit notes and fee behind a settlement; they sum to its payable amount."""
    settlement = get_settlement(uow, scope=scope, settlement_id=settlement_id)
    start, end = _utc_range(uow, settlement.period_start, settlement.period_end)
    issued, notes = invoice_queries.issued_documents(uow, scope=Scope(settlement.merchant_id, settlement.livemode),
                                                     since=start, until=end)
    entries = [Entry(INVOICE, d.number, uow.local_date(d.issued_at), d.total_cents) for d in issued]
    entries += [Entry(CREDIT_NOTE, d.number, uow.local_date(d.issued_at), -d.total_cents, d.invoice_number)
                for d in notes]
    entries.append(Entry(FEE, "", settlement.period_end, -settlement.fee_cents))
    return Statement(settlement, entries)


# --- helpers ------------------------------------------------------------------------------

def _check_period(uow: UnitOfWork, start: date, end: date) -> None:
    if start > end:
        raise InvalidInput({"period_end": [f"The period ends ({end}) before it starts ({start})."]})
    if end >= uow.today():
        raise Conflict(f"The period {start}..{end} has not ended yet; it can be settled from "
                       f"{end + timedelta(days=1)}.")
    # Every invoice and credit note is settled once: periods never overlap, except the same one again.
    overlapping = uow.session.scalar(select(Settlement).where(
        Settlement.period_start <= end, Settlement.period_end >= start,
        not_(and_(Settlement.period_start == start, Settlement.period_end == end))).limit(1))
    if overlapping is not None:
        raise Conflict(f"The period {start}..{end} overlaps the settled period "
                       f"{overlapping.period_start}..{overlapping.period_end}; nothing was settled.")


def _settled(uow: UnitOfWork, period_start: date) -> list[Settlement]:
    return list(uow.session.scalars(select(Settlement).where(Settlement.period_start == period_start)
                                    .order_by(Settlement.merchant_id, Settlement.livemode)
                                    .execution_options(populate_existing=True)))


def _utc_range(uow: UnitOfWork, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at the start of the period and after its last day."""
    tz = ZoneInfo(uow.settings.timezone)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)

    return midnight(start), midnight(end + timedelta(days=1))


def _totals(uow: UnitOfWork, start: date, end: date) -> dict[tuple[str, bool], tuple[str, int, int]]:
    """(currency, invoiced, credited) per merchant and mode that issued anything in the period."""
    lo, hi = _utc_range(uow, start, end)
    invoiced, credited = invoice_queries.issued_totals(uow, since=lo, until=hi)
    totals: dict[tuple[str, bool], tuple[str, int, int]] = {}
    for rows, position in ((invoiced, 1), (credited, 2)):
        for row in rows:
            key = (row.merchant_id, row.livemode)
            known = totals.get(key, (row.currency, 0, 0))
            if known[0] != row.currency:
                # One settlement per merchant, mode and period (the table's key): one currency.
                raise Conflict(f"Merchant {row.merchant_id} issued documents in {known[0]} and {row.currency} in "
                               f"{start}..{end}; a settlement has one currency. Nothing was settled.")
            figures = list(known)
            figures[position] += row.cents
            totals[key] = tuple(figures)
    return totals

