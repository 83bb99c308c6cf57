"""Use cases of risk: resolve the person behind an order, gather what they owe everywhere,
decide, store the decision (replayable), verify through the bank, keep the personal limit,
policies per webshop, statistics, and the links the mediators' abuse history uses.

Orders call ``assess_order`` inside their own transaction; the person's row is locked there
(SELECT … FOR UPDATE on PostgreSQL), so two orders of one person at the same moment at two
webshops are decided one after the other and cannot both use the same room.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, NamedTuple

from sqlalchemy import (Integer, bindparam, case, column, delete, exists, func, insert, literal, null, select, true,
                        tuple_, union_all, update, values)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from bnpl.audit import service as audit
from bnpl.db import new_id
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.i18n import said
from bnpl.invoices import queries as invoice_queries
from bnpl.merchants import service as merchants
from bnpl.risk import decision as rules, identifiers, policy as policies, states, texts
from bnpl.risk import verification as verifiers
from bnpl.risk.decision import ACCEPTED, DECLINED, VERIFICATION_REQUIRED, Decision, Inputs, Reason
from bnpl.risk.identifiers import STRONG, Identifier
from bnpl.risk.models import Link, Person, Review, RiskDecision, RiskPolicy, Sighting, Verification
from bnpl.risk.policy import Policy
from bnpl.sql import Chained, Prepared, numbered, values_rows
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Identifiers whose orders are counted across everyone (a device, a phone, a front door).
VELOCITY_KINDS = (identifiers.DEVICE, identifiers.PHONE, identifiers.ADDRESS, identifiers.DELIVERY)
# Identifiers that, shared with a person with fraud on record, make a fresh identity suspect.
FRAUD_LINK_KINDS = (identifiers.PHONE, identifiers.ADDRESS, identifiers.DELIVERY, identifiers.DEVICE)


@dataclass(frozen=True)
class OrderFacts:
    """What orders tell risk about a new order."""

    order_id: str
    consumer_id: str
    currency: str
    amount_cents: int
    shop_limit_cents: int
    consumer: dict                # the API's consumer object (birth_date a date)
    billing_address: dict
    shipping_address: dict | None
    context: dict                 # the API's optional context object
    new_consumer: bool = False    # the consumer record was created by this order: it has no history


@dataclass(frozen=True)
class Assessment:
    decision_id: str
    outcome: str
    reasons: tuple[Reason, ...]
    currency: str
    verification_url: str | None = None

    def for_webshop(self) -> dict:
        """The decision as the order shows it to the webshop (English texts, no other shop's data)."""
        shown = {"id": self.decision_id, "outcome": self.outcome,
                 "reasons": texts.reasons_for(self.reasons, audience=texts.WEBSHOP, currency=self.currency)}
        if self.verification_url:
            shown["verification_url"] = self.verification_url
        return shown


# --- the decision on an order -------------------------------------------------------------

def assess_order(uow: UnitOfWork, *, scope: Scope, order: OrderFacts,
                 unshipped_cents: Callable[[list[str]], int]) -> Assessment:
    """Resolve the person, gather their exposure and signals, decide and store the decision.
    ``unshipped_cents(consumer_ids)`` is what orders has accepted but not invoiced yet."""
    found = identifiers.of_order(consumer_id=order.consumer_id, consumer=order.consumer,
                                 billing_address=order.billing_address, shipping_address=order.shipping_address,
                                 context=order.context)
    resolved = _resolve(uow, scope.livemode, found, new_consumer=order.new_consumer)
    person = resolved.person
    inputs, latest_policy = _gather(uow, scope, order, resolved, found, unshipped_cents)
    policy, version = _applied(uow, latest_policy)
    decision = rules.decide(inputs, policy)
    decision_id = _store(uow, scope, order, person, inputs, policy, version, decision,
                         seen=[i for i in found if i.kind != identifiers.CONSUMER])
    url = (_start_verification(uow, scope, order.order_id, decision_id, person)
           if decision.outcome == VERIFICATION_REQUIRED else None)
    return Assessment(decision_id, decision.outcome, decision.reasons, order.currency, url)


def _gather(uow, scope: Scope, order: OrderFacts, resolved: "Resolved", found: list[Identifier],
            unshipped_cents) -> tuple[Inputs, tuple | None]:
    """The decision's inputs, and the webshop's latest policy (version, changes), read along."""
    now, today = uow.now(), uow.today()
    person, known, existed = resolved.person, resolved.known, resolved.existed
    context, consumer = order.context, order.consumer
    by_kind = {i.kind: i for i in found}
    activity, latest_policy = _activity(uow, scope, order.consumer_id, person,
                                        [i for i in found if i.kind in VELOCITY_KINDS], now)
    return Inputs(
        now=now, today=today, currency=order.currency, amount_cents=order.amount_cents,
        shop_limit_cents=order.shop_limit_cents, is_business=consumer.get("type") == "business",
        birth_date=consumer.get("birth_date"),
        person_since=uow.local_date(person.created_at) if existed else None,
        **_person_state(uow, person),
        **_exposure(uow, scope.livemode, person, order.consumer_id, unshipped_cents, resolved.fresh and order.new_consumer),
        **activity._asdict(),
        device_known=(by_kind[identifiers.DEVICE] in known) if identifiers.DEVICE in by_kind else None,
        delivery_known=_delivery_known(by_kind, known, context),
        new_identifiers=tuple(sorted({i.kind for i in found if i not in known and i.kind != identifiers.CONSUMER})),
        shared_with_fraud=resolved.shared_with_fraud,
        verification_available=not scope.livemode or verifiers.provider(uow.settings).serves_livemode,
        ip_address=context.get("ip_address"), device_id=context.get("device_id"),
        customer_since=context.get("customer_since"), customer_order_count=context.get("customer_order_count"),
        delivery_method=context.get("delivery_method"), high_risk_goods=bool(context.get("high_risk_goods")),
    ), latest_policy


def _person_state(uow, person: Person) -> dict:
    """The limit's fields; a hold that has run out lets the limit grow again."""
    if person.limit_status == rules.HELD and person.held_until and person.held_until <= uow.today():
        person.limit_status, person.held_until = states.LIMIT.next(person.limit_status, "hold_over"), None
    return dict(person_limit_cents=person.limit_cents, limit_status=person.limit_status,
                paid_on_time=person.paid_on_time, paid_late=person.paid_late, verified_until=person.verified_until,
                handovers=person.handovers, frauds=person.frauds)


def _exposure(uow, livemode: bool, person: Person, consumer_id: str, unshipped_cents, nothing_yet: bool = False) -> dict:
    """What the person owes and has ordered unshipped, under every consumer record of theirs.
    ``nothing_yet``: a new person whose only consumer record this order created, who can owe
    nothing and have no other order (no statement needed)."""
    if nothing_yet:
        return dict(open_balance_cents=0, overdue_invoices=0, overdue_days=0, unshipped_cents=0)
    consumer_ids = consumers_of_person(uow, person_id=person.id) | {consumer_id}
    owed = invoice_queries.exposure(uow, consumer_ids=sorted(consumer_ids), livemode=livemode, today=uow.today())
    overdue_days = (uow.today() - owed.oldest_due).days if owed.oldest_due else 0
    return dict(open_balance_cents=owed.open_cents, overdue_invoices=owed.overdue, overdue_days=overdue_days,
                unshipped_cents=unshipped_cents(sorted(consumer_ids)))


def _delivery_known(by_kind: dict, known: set[Identifier], context: dict) -> bool | None:
    """Whether the goods go to a front door we know this person by; None for a pick-up point
    or a shop (which says nothing) and when no device id came with the order."""
    if context.get("delivery_method") in ("pickup_point", "store"):
        return None
    delivery = by_kind.get(identifiers.DELIVERY) or by_kind.get(identifiers.ADDRESS)
    if delivery is None:
        return None
    return any(Identifier(kind, delivery.value) in known for kind in (identifiers.ADDRESS, identifiers.DELIVERY))


class Activity(NamedTuple):
    """Earlier orders around this one, as the decision's inputs name them."""
    person_orders_hour: int
    person_orders_day: int
    recent_webshops: int          # other webshops the person ordered at in RECENT_WEBSHOPS_WINDOW
    identifier_orders_hour: int   # the busiest of this order's device, phone and addresses
    identifier_orders_day: int
    shared_recently: int          # the most other consumers behind one of them in SHARED_WINDOW


RECENT_WEBSHOPS_WINDOW, SHARED_WINDOW = timedelta(days=14), timedelta(days=7)


def _activity(uow, scope: Scope, consumer_id: str, person: Person, found: list[Identifier],
              now: datetime) -> tuple[Activity, tuple | None]:
    """Earlier orders of the person (and everyone merged into them: their decisions keep the
    id they had then) and of anyone with one of these identifiers; and in the same round trip
    the webshop's latest policy (version, changes; None without one of its own)."""
    values = dict(person_id=person.id, merchant_id=scope.merchant_id, hour_ago=now - HOUR, day_ago=now - DAY,
                  webshops_since=now - RECENT_WEBSHOPS_WINDOW)
    if found:
        values.update(consumer_id=consumer_id, livemode=scope.livemode, shared_since=now - SHARED_WINDOW,
                      **_pair_values((i.kind, i.value) for i in found))
    rows = _activity_query(len(found)).rows(uow.session, **values)
    mine = next(row for row in rows if row[0] == identifiers.CONSUMER)  # an aggregate: always one row
    theirs = [row for row in rows if row[0] != identifiers.CONSUMER]
    most = lambda index: max((int(row[index]) for row in theirs), default=0)  # noqa: E731
    policy_version, policy_changes = mine[4:]
    return (Activity(int(mine[1]), int(mine[2]), int(mine[3]), most(1), most(2), most(3)),
            None if policy_version is None else (policy_version, policy_changes))


@functools.cache
def _activity_query(identifier_count: int) -> Prepared:
    """_activity's statement: the person's own decisions with the webshop's latest policy, and
    the sightings of the order's identifiers (``identifier_count`` pairs kind_0, value_0, …) by
    kind."""
    within = lambda column, since: case((column >= bindparam(since), 1), else_=0)  # noqa: E731
    total = lambda expression: func.coalesce(func.sum(expression), 0)  # noqa: E731
    person_id = bindparam("person_id", type_=Integer)
    family = select(Person.id).where((Person.id == person_id) | (Person.merged_into == person_id))
    latest = lambda column: _LATEST.with_only_columns(column).scalar_subquery()  # noqa: E731
    query = select(
        literal(identifiers.CONSUMER).label("kind"), total(within(RiskDecision.created_at, "hour_ago")),
        total(within(RiskDecision.created_at, "day_ago")),
        func.count(func.distinct(case((RiskDecision.merchant_id != bindparam("merchant_id"), RiskDecision.merchant_id)))),
        latest(RiskPolicy.version), latest(RiskPolicy.changes),
    ).where(RiskDecision.person_id.in_(family), RiskDecision.created_at >= bindparam("webshops_since"),
            RiskDecision.supersedes.is_(None))
    if not identifier_count:
        return Prepared(query)
    return Prepared(union_all(query, select(
        Sighting.kind, total(within(Sighting.seen_at, "hour_ago")), total(within(Sighting.seen_at, "day_ago")),
        func.count(func.distinct(case((Sighting.consumer_id != bindparam("consumer_id"), Sighting.consumer_id)))),
        null(), null(),
    ).where(Sighting.livemode == bindparam("livemode"),
            tuple_(Sighting.kind, Sighting.value).in_(_pairs(identifier_count)),
            Sighting.seen_at >= bindparam("shared_since"), Sighting.decision_id.is_not(None)).group_by(Sighting.kind)))


def _store(uow, scope: Scope, order: OrderFacts, person: Person, inputs: Inputs, policy: Policy, version: int,
           decision: Decision, supersedes: str | None = None, seen: list[Identifier] = ()) -> str:
    """The decision's row and the sightings of the identifiers ``seen`` with it, written at once
    (nothing reads them back as objects; on PostgreSQL one statement); the decision's id."""
    decision_id = new_id("rsk")
    row = dict(
        id=decision_id, livemode=scope.livemode, merchant_id=scope.merchant_id, order_id=order.order_id,
        consumer_id=order.consumer_id, person_id=person.id, outcome=decision.outcome,
        reasons=[{"code": r.code, "params": r.params} for r in decision.reasons], inputs=inputs.as_json(),
        policy=policy.as_dict(), policy_version=version, currency=order.currency, amount_cents=order.amount_cents,
        supersedes=supersedes, created_at=inputs.now)
    if not seen:
        _INSERT_DECISION.run(uow.session, **row)
        return decision_id
    _decision_seeing(len(seen)).run(uow.session, **{f"decision_{name}": value for name, value in row.items()},
                                    **numbered(_sightings(scope, order.consumer_id, decision_id, seen, inputs.now)))
    return decision_id


_INSERT_DECISION = Prepared(insert(RiskDecision.__table__))
_SIGHTING_COLUMNS = ("livemode", "kind", "value", "consumer_id", "merchant_id", "decision_id", "seen_at")


@functools.cache
def _decision_seeing(count: int) -> Chained:
    """The decision's INSERT and its count sightings' (one statement on PostgreSQL). The
    decision's parameters are named apart from the sightings' columns (a parameter named like a
    column would be taken for a value of it)."""
    decision = insert(RiskDecision.__table__).values(
        {c.name: bindparam(f"decision_{c.name}", type_=c.type) for c in RiskDecision.__table__.columns})
    return Chained(decision, values_rows(Sighting.__table__, _SIGHTING_COLUMNS, count))


def _sightings(scope: Scope, consumer_id: str, decision_id: str | None, found: Iterable[Identifier],
               now: datetime) -> list[dict]:
    return [dict(livemode=scope.livemode, kind=i.kind, value=i.value, consumer_id=consumer_id,
                 merchant_id=scope.merchant_id, decision_id=decision_id, seen_at=now)
            for i in found if i.kind != identifiers.CONSUMER]


def _sight(uow, scope: Scope, consumer_id: str, decision_id: str | None, found: Iterable[Identifier]) -> None:
    """Sightings as objects: a bank statement's thousand payments go in one flush."""
    uow.session.add_all([Sighting(**row) for row in _sightings(scope, consumer_id, decision_id, found, uow.now())])


# --- replay -------------------------------------------------------------------------------

def replay(uow: UnitOfWork, *, decision_id: str) -> Decision:
    """The decision recomputed from its stored inputs and policy (an audit: it must equal the stored one)."""
    stored = _decision(uow, decision_id)
    return rules.decide(Inputs.from_json(stored.inputs), Policy.from_dict(stored.policy))


def stored_decision(uow: UnitOfWork, *, decision_id: str) -> Decision:
    """A decision as it was stored."""
    stored = _decision(uow, decision_id)
    return Decision(stored.outcome, tuple(Reason(r["code"], r["params"]) for r in stored.reasons))


def _decision(uow, decision_id: str) -> RiskDecision:
    stored = uow.session.get(RiskDecision, decision_id)
    if stored is None:
        raise NotFound(said("No decision %(id)s.", id=decision_id))
    return stored


def explain(uow: UnitOfWork, *, decision_id: str, language: str) -> list[dict]:
    """The reasons of a decision in the consumer's language (nl, en, de)."""
    stored = _decision(uow, decision_id)
    return texts.reasons_for(stored_decision(uow, decision_id=decision_id).reasons,
                             audience=language if language in texts.LANGUAGES else "en", currency=stored.currency)


# --- the person ---------------------------------------------------------------------------

class Resolved(NamedTuple):
    person: Person
    known: set[Identifier]            # the identifiers the person had before this order
    existed: bool                     # False: first seen with this order
    shared_with_fraud: tuple[str, ...]  # kinds shared with another person with fraud on record
    fresh: bool = False               # created for this order, nobody merged in: its only links are this order's


def _resolve(uow, livemode: bool, found: list[Identifier], *, new_consumer: bool = False) -> Resolved:
    """The person these identifiers belong to, locked: found by indexed equality on each
    identifier; several people under strong identifiers are merged into the oldest; nobody
    found is a new person. The same lookup finds other people with fraud on record under a
    phone, device or address of this order (an address as billing or delivery address alike).
    A consumer record this order created has paid nothing before (no history to seed from)."""
    wanted = _lookup(found)
    pairs = sorted(wanted)
    created = None  # the new person and the links written, when the lookup's statement wrote them
    if new_consumer and uow.session.get_bind().dialect.name == "postgresql":
        rows, created = _look_up_or_create(uow, livemode, pairs, found)
    else:
        rows = _links_of(len(pairs)).rows(uow.session, livemode=livemode, **_pair_values(pairs))
    mine = {(i.kind, i.value) for i in found}
    strong = sorted({person_id for kind, value, person_id, strength, _ in rows
                     if strength == STRONG and (kind, value) in mine})
    shared = tuple(sorted({wanted[(kind, value)] for kind, value, person_id, _, frauds in rows
                           if person_id not in strong and frauds > 0 and wanted[(kind, value)] in FRAUD_LINK_KINDS}))
    if strong:
        person = _merge(uow, _lock(uow, strong))
        known = {Identifier(kind, value) for kind, value, person_id, _, _ in rows
                 if person_id in strong and (kind, value) in mine}
        linked = _link(uow, person, [i for i in found if i not in known])
    else:
        if created is None:
            seed = None if new_consumer else _seed_from_history(
                uow, livemode, [i.value for i in found if i.kind == identifiers.CONSUMER])
            created = _new_person(uow, livemode, seed, found)
        person, inserted = created
        known, linked = set(), _merge_owners(uow, person, found, inserted)
    return Resolved(linked, known, bool(strong), shared, fresh=not strong and linked is person)


def _pairs(n: int, prefix: str = "") -> list:
    """Placeholders for n (kind, value) pairs of a row-value IN (kind_0, value_0, …): a
    Prepared statement expands no list, so each number of pairs has its own statement (an
    order brings a handful)."""
    return [tuple_(bindparam(f"{prefix}kind_{i}"), bindparam(f"{prefix}value_{i}")) for i in range(n)]


def _pair_values(pairs: Iterable[tuple[str, str]], prefix: str = "") -> dict:
    values = {}
    for i, (kind, value) in enumerate(pairs):
        values[f"{prefix}kind_{i}"], values[f"{prefix}value_{i}"] = kind, value
    return values


def _links_of_query(n: int, prefix: str = ""):
    """The links of n (kind, value) pairs: kind, value, person_id, strength and the person's frauds."""
    return (select(Link.kind, Link.value, Link.person_id, Link.strength, Person.frauds)
            .join(Person, Person.id == Link.person_id)
            .where(Link.livemode == bindparam("livemode"), tuple_(Link.kind, Link.value).in_(_pairs(n, prefix))))


@functools.cache
def _links_of(n: int) -> Prepared:
    return Prepared(_links_of_query(n))


def _look_up_or_create(uow, livemode: bool, pairs: list[tuple[str, str]], found: list[Identifier]):
    """PostgreSQL, for a consumer record this order created: the links of the pairs looked up
    and, when none of them is strong (nobody to merge with, no paid history to seed from), the
    new person with their links, in one statement. The links found, and the person with the
    pairs linked (None when a strong link was found: the caller locks that person)."""
    person = NewPerson(None, livemode, uow.now(), policies.installation_default(uow.settings).new_person_limit_cents)
    columns = person._asdict()
    del columns["id"]  # the database's
    rows = _links_of_or_new_person(len(pairs), len(found)).rows(
        uow.session, **_pair_values(pairs, "look_"), **{f"person_{name}": value for name, value in columns.items()},
        **_link_values(livemode, uow.now(), found))
    links = [row[1:] for row in rows if row[0] == "found"]
    new = [row for row in rows if row[0] == "new"]
    if not new:
        return links, None
    return links, (person._replace(id=new[0][3]), {(kind, value) for _, kind, value, *_ in new if kind is not None})


@functools.cache
def _links_of_or_new_person(lookups: int, count: int) -> Prepared:
    """_look_up_or_create's statement: rows ("found", kind, value, person_id, strength, frauds)
    and, for a person created, ("new", kind, value, the person's id, None, None) per link
    written (kind and value None if none was)."""
    found = _links_of_query(lookups, "look_").cte("found")
    persons = Person.__table__
    person = (postgresql.insert(persons).from_select(
        [c.name for c in persons.columns if c.name != "id"],
        select(*[bindparam(f"person_{c.name}", type_=c.type) for c in persons.columns if c.name != "id"])
        .where(~exists().where(found.c.strength == bindparam("strong", STRONG))))
        .returning(persons.c.id).cte("new_person"))
    linked = _links_cte(person, count)
    nothing = null()
    return Prepared(union_all(
        select(literal("found"), found.c.kind, found.c.value, found.c.person_id, found.c.strength, found.c.frauds),
        select(literal("new"), linked.c.kind, linked.c.value, person.c.id, nothing, nothing)
        .select_from(person.outerjoin(linked, true()))))


def _lookup(found: list[Identifier]) -> dict[tuple[str, str], str]:
    """(kind, value) pairs to look up, each with the kind of the order's identifier it stands
    for: an address is also looked up under the other address kind."""
    addresses = (identifiers.ADDRESS, identifiers.DELIVERY)
    wanted: dict[tuple[str, str], str] = {}
    for i in found:
        for kind in (addresses if i.kind in addresses else (i.kind,)):
            wanted.setdefault((kind, i.value), i.kind)
    for i in found:  # the order's own kind wins over a cross-kind entry
        wanted[(i.kind, i.value)] = i.kind
    return wanted


class NewPerson(NamedTuple):
    """A person created by this order, as written (Person's columns). Not an object of the
    session: nothing changes a person in the request that creates them (a merge with someone a
    concurrent order linked loads and locks both rows), and the ORM's object cost more than
    the statement."""
    id: int
    livemode: bool
    created_at: datetime
    limit_cents: int
    paid_on_time: int = 0
    paid_late: int = 0
    limit_status: str = rules.GROWING
    merged_into: None = None
    held_until: None = None
    handovers: int = 0
    frauds: int = 0
    verified_until: None = None


def _new_person(uow, livemode: bool, seed: dict | None,
                new: list[Identifier]) -> tuple[NewPerson, set[tuple[str, str]]]:
    """A person's row, inserted at once, with a stranger's limit or what ``seed`` (paid invoices
    from before risk knew them) earned, and their links to the ``new`` identifiers (on
    PostgreSQL in one statement); the person and the (kind, value) pairs linked (not those
    another order linked meanwhile)."""
    person = NewPerson(None, livemode, uow.now(), policies.installation_default(uow.settings).new_person_limit_cents)
    if seed:
        person = person._replace(**seed)
    columns = person._asdict()
    del columns["id"]  # the database's
    if new and uow.session.get_bind().dialect.name == "postgresql":
        rows = _person_with_links(len(new)).rows(
            uow.session, **{f"person_{name}": value for name, value in columns.items()},
            **_link_values(livemode, uow.now(), new))
        return person._replace(id=rows[0][0]), {(kind, value) for _, kind, value in rows if kind is not None}
    person = person._replace(id=_INSERT_PERSON.scalar(uow.session, **columns))
    return person, _insert_links(uow, person, new)


_INSERT_PERSON = Prepared(insert(Person.__table__).returning(Person.__table__.c.id))


@functools.cache
def _person_with_links(count: int) -> Prepared:
    """PostgreSQL: a person's INSERT and their count links' (kind_0, value_0, strength_0, …) as
    CTEs; a row per link written (the person's id, kind, value), one (id, None, None) if none."""
    persons = Person.__table__
    person = (postgresql.insert(persons)
              .values({c.name: bindparam(f"person_{c.name}", type_=c.type) for c in persons.columns if c.name != "id"})
              .returning(persons.c.id).cte("new_person"))
    linked = _links_cte(person, count)
    return Prepared(select(person.c.id, linked.c.kind, linked.c.value).select_from(person.outerjoin(linked, true())))


def _links_cte(person, count: int):
    """The INSERT of a new person's count links (kind_0, value_0, strength_0, …; the person a
    CTE returning their id) as a CTE returning the kind and value of each link written."""
    links = Link.__table__
    given = values(column("kind", links.c.kind.type), column("value", links.c.value.type),
                   column("strength", links.c.strength.type), name="given").data(
        [tuple(bindparam(f"{name}_{n}", type_=links.c[name].type) for name in ("kind", "value", "strength"))
         for n in range(count)])
    return (postgresql.insert(links).from_select(
        ["livemode", "kind", "value", "person_id", "strength", "created_at"],
        select(bindparam("livemode", type_=links.c.livemode.type), given.c.kind, given.c.value, person.c.id,
               given.c.strength, bindparam("created_at", type_=links.c.created_at.type))
        .select_from(person).join(given, true()))
        .on_conflict_do_nothing().returning(links.c.kind, links.c.value).cte("new_links"))


def _seed_from_history(uow, livemode: bool, consumer_ids: list[str]) -> dict | None:
    """A consumer who paid invoices before risk knew them (an installation that had orders
    before this package) starts with the limit those payments earned, not as a stranger: the
    new person's paid_on_time, paid_late and limit_cents (None without such payments)."""
    history = invoice_queries.paid_history(uow, consumer_ids=consumer_ids, livemode=livemode)
    if not (history.without_reminder or history.after_reminder):
        return None
    default = policies.installation_default(uow.settings)
    return dict(paid_on_time=history.without_reminder, paid_late=history.after_reminder,
                limit_cents=min(default.new_person_limit_cents + default.limit_step_cents * history.without_reminder,
                                default.limit_ceiling_cents))


def _lock(uow, person_ids: list[int]) -> list[Person]:
    """The persons' rows, locked in id order (two orders locking the same people never deadlock)."""
    return list(uow.session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.id)
                                    .with_for_update().execution_options(populate_existing=True)))


def _link(uow, person: Person, new: list[Identifier]) -> Person:
    """Link new identifiers to the person (one statement). A strong one that another order
    linked to someone else meanwhile (a concurrent transaction) merges that person in."""
    if not new:
        return person
    return _merge_owners(uow, person, new, _insert_links(uow, person, new))


def _link_values(livemode: bool, now: datetime, new: list[Identifier]) -> dict:
    values = {"livemode": livemode, "created_at": now}
    for n, identifier in enumerate(new):
        values[f"kind_{n}"], values[f"value_{n}"] = identifier.kind, identifier.value
        values[f"strength_{n}"] = identifier.strength
    return values


def _insert_links(uow, person: Person, new: list[Identifier]) -> set[tuple[str, str]]:
    """The person's links to new identifiers; the (kind, value) pairs written (not those there
    already)."""
    if not new:
        return set()
    return set(_new_links(uow.session.get_bind().dialect.name, len(new)).rows(
        uow.session, person_id=person.id, **_link_values(person.livemode, uow.now(), new)))


def _merge_owners(uow, person: Person, new: list[Identifier], inserted: set[tuple[str, str]]) -> Person:
    """The person, merged with whoever holds a strong identifier of ``new`` that was not linked
    to them (another order linked it meanwhile)."""
    for identifier in new:
        if (identifier.kind, identifier.value) not in inserted and identifier.strength == STRONG:
            owner = uow.session.scalar(select(Link.person_id).where(
                Link.livemode == person.livemode, Link.kind == identifier.kind, Link.value == identifier.value))
            if owner is not None and owner != person.id:
                person = _merge(uow, _lock(uow, sorted({owner, person.id})))
    return person


@functools.cache
def _new_links(dialect: str, n: int) -> Prepared:
    """The INSERT of n links of one person, one statement, returning those not there yet."""
    table = Link.__table__
    typed = lambda name, column: bindparam(name, type_=table.c[column].type)  # noqa: E731
    rows = [{"livemode": typed("livemode", "livemode"), "kind": typed(f"kind_{i}", "kind"),
             "value": typed(f"value_{i}", "value"), "person_id": typed("person_id", "person_id"),
             "strength": typed(f"strength_{i}", "strength"), "created_at": typed("created_at", "created_at")}
            for i in range(n)]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return Prepared(insert(table).values(rows).on_conflict_do_nothing().returning(table.c.kind, table.c.value))


def _merge(uow, persons: list[Person]) -> Person:
    """One person out of several (ordered by id): the oldest id stays, the others' links
    point to it and they keep a row marked merged_into. Work is bounded by their links."""
    keep, others = persons[0], persons[1:]
    if not others:
        return keep
    ids = [p.id for p in others]
    mine = aliased(Link)
    uow.session.execute(delete(Link).where(Link.person_id.in_(ids), exists().where(
        mine.person_id == keep.id, mine.kind == Link.kind, mine.value == Link.value, mine.livemode == Link.livemode))
        .execution_options(synchronize_session=False))
    uow.session.execute(update(Link).where(Link.person_id.in_(ids)).values(person_id=keep.id)
                        .execution_options(synchronize_session=False))
    uow.session.execute(update(Person).where((Person.id.in_(ids)) | (Person.merged_into.in_(ids)))
                        .values(merged_into=keep.id).execution_options(synchronize_session=False))
    _combine(keep, persons)
    return keep


def _combine(keep: Person, persons: list[Person]) -> None:
    """The merged limit: the lowest of those with a payment history (a person created a
    moment ago must not pull down a good payer's limit), the worst state, every count."""
    with_history = [p for p in persons if p.paid_on_time] or persons
    keep.limit_cents = min(p.limit_cents for p in with_history)
    keep.limit_status = max((p.limit_status for p in persons), key=states.LIMIT_STATES.index)
    keep.held_until = max((p.held_until for p in persons if p.held_until), default=None)
    for counter in ("paid_on_time", "paid_late", "handovers", "frauds"):
        setattr(keep, counter, sum(getattr(p, counter) for p in persons))
    # Verified only if every merged identity was: a new phone must not borrow someone's check.
    stamps = [p.verified_until for p in persons]
    keep.verified_until = None if None in stamps else min(stamps)
    keep.created_at = min(p.created_at for p in persons)
    if keep.limit_status == rules.CLOSED:
        keep.limit_cents = 0


def person_of(uow: UnitOfWork, *, consumer_id: str, livemode: bool, for_update: bool = False) -> Person | None:
    """The person a consumer record belongs to (None before their first order)."""
    query = (select(Person).join(Link, Link.person_id == Person.id)
             .where(Link.livemode == livemode, Link.kind == identifiers.CONSUMER, Link.value == consumer_id))
    if for_update:
        query = query.with_for_update(of=Person).execution_options(populate_existing=True)
    return uow.session.scalar(query)


def consumers_of_person(uow: UnitOfWork, *, person_id: int) -> set[str]:
    """Every consumer record (e-mail address) known to be this person."""
    return set(uow.session.scalars(select(Link.value).where(Link.person_id == person_id,
                                                           Link.kind == identifiers.CONSUMER).limit(1000)))


# --- the mediators' abuse history ---------------------------------------------------------

def identifiers_of(uow: UnitOfWork, *, consumer_id: str) -> set[tuple[str, str]]:
    """The identifiers (kind, normalized value) a consumer used: e-mail, phone, billing
    address, IBAN, device."""
    return {tuple(row) for row in uow.session.execute(
        select(Sighting.kind, Sighting.value).where(Sighting.consumer_id == consumer_id,
                                                    Sighting.kind.in_(identifiers.HISTORY_KINDS)).distinct().limit(500))}


def consumers_seen_with(uow: UnitOfWork, *, email: str | None = None, phone: str | None = None,
                        country: str = "NL", limit: int = 50) -> set[str]:
    """The consumers who ordered with this e-mail address or phone number (as written any way
    the identifiers normalize alike), in either mode: for finding someone who phoned."""
    kind, value = ((identifiers.EMAIL, identifiers.normalize_email(email)) if email is not None else
                   (identifiers.PHONE, identifiers.normalize_phone(phone, country)))
    if not value:
        return set()
    return set(uow.session.scalars(select(Sighting.consumer_id).where(
        Sighting.livemode.in_((True, False)), Sighting.kind == kind, Sighting.value == value).distinct().limit(limit)))


def linked_consumers(uow: UnitOfWork, *, consumer_id: str, livemode: bool) -> dict[str, set[str]]:
    """Consumer records sharing an identifier with this one (itself included), each with the
    kinds they share: the same person under other names or e-mail addresses."""
    mine = identifiers_of(uow, consumer_id=consumer_id)
    if not mine:
        return {}
    linked: dict[str, set[str]] = {}
    for other, kind in uow.session.execute(
            select(Sighting.consumer_id, Sighting.kind).where(
                Sighting.livemode == livemode, tuple_(Sighting.kind, Sighting.value).in_(sorted(mine)))
            .distinct().limit(5000)):
        linked.setdefault(other, set()).add(kind)
    return linked


# --- identifiers from payments --------------------------------------------------------------

def note_iban(uow: UnitOfWork, *, consumer_id: str, livemode: bool, iban: str, merchant_id: str | None = None) -> None:
    """An account the consumer paid from or signed a mandate for: a strong identifier."""
    value = identifiers.normalize_iban(iban)
    person = person_of(uow, consumer_id=consumer_id, livemode=livemode, for_update=True)
    if value is None or person is None:
        return
    found = Identifier(identifiers.IBAN, value)
    already = uow.session.scalar(select(Link.person_id).where(
        Link.livemode == livemode, Link.kind == found.kind, Link.value == found.value))
    if already != person.id:
        _link(uow, person, [found])
    if not uow.session.scalar(select(exists().where(Sighting.consumer_id == consumer_id, Sighting.kind == found.kind,
                                                    Sighting.value == found.value))):
        _sight(uow, Scope(merchant_id or "", livemode), consumer_id, None, [found])


class PaidFrom(NamedTuple):
    consumer_id: str
    livemode: bool
    iban: str
    merchant_id: str | None = None


def note_ibans(uow: UnitOfWork, *, paid: Iterable[PaidFrom]) -> None:
    """note_iban for a bank statement's payments: persons, links and sightings read at once,
    and only accounts new to a person linked (an account another person holds merges them,
    as note_iban does) and sighted."""
    notes = {(p.consumer_id, p.livemode, value): p for p in paid if (value := identifiers.normalize_iban(p.iban))}
    for livemode in {livemode for _, livemode, _ in notes}:
        mine = {(consumer_id, value): p for (consumer_id, mode, value), p in notes.items() if mode == livemode}
        persons = persons_of(uow, consumer_ids={c for c, _ in mine}, livemode=livemode)
        values = sorted({value for _, value in mine})
        owners = dict(uow.session.execute(select(Link.value, Link.person_id).where(
            Link.livemode == livemode, Link.kind == identifiers.IBAN, Link.value.in_(values))).all())
        sighted = set(uow.session.execute(select(Sighting.consumer_id, Sighting.value).where(
            Sighting.kind == identifiers.IBAN, Sighting.value.in_(values),
            Sighting.consumer_id.in_(sorted({c for c, _ in mine})))).all())
        for (consumer_id, value), p in mine.items():
            person, found = persons.get(consumer_id), Identifier(identifiers.IBAN, value)
            if person is None:
                continue
            if owners.get(value) != person.id:
                owners[value] = _link(uow, person, [found]).id
            if (consumer_id, value) not in sighted:
                _sight(uow, Scope(p.merchant_id or "", livemode), consumer_id, None, [found])


# --- the personal limit, kept by events ---------------------------------------------------

def on_events(uow: UnitOfWork, recorded) -> None:
    """Events that move a personal limit: an invoice paid (on time or late), a hand-over,
    a decision that a claim of not having ordered was false (fraud). Subscribed in bnpl.app.wire."""
    paid = _PaidInvoices(uow, [event for _, event in recorded if event.type == "payment.received"])
    for _, event in recorded:
        if event.type == "payment.received":
            paid.count(event)
        elif handler := _HANDLERS.get(event.type):
            handler(uow, event.scope, event.data)


class _PaidInvoices:
    """The invoices a batch of payments paid in full (a bank statement's thousand), with the
    invoices' consumers and their persons read at once rather than per payment."""

    def __init__(self, uow, events):
        self.uow = uow
        paid = [e for e in events if e.data.get("status") == "paid" and e.data.get("invoice_id")]
        self.due = invoice_queries.consumers_and_due_dates(uow, invoice_ids=[e.data["invoice_id"] for e in paid]) \
            if paid else {}
        self.persons: dict[tuple[bool, str], Person] = {}
        for livemode in {e.scope.livemode for e in paid}:
            consumers = {self.due[e.data["invoice_id"]][0] for e in paid
                         if e.scope.livemode == livemode and e.data["invoice_id"] in self.due}
            self.persons.update(((livemode, consumer_id), person) for consumer_id, person
                                in persons_of(uow, consumer_ids=consumers, livemode=livemode).items())

    def count(self, event) -> None:
        if event.data.get("status") != "paid" or event.data.get("invoice_id") not in self.due:
            return
        consumer_id, due_date = self.due[event.data["invoice_id"]]
        person = self.persons.get((event.scope.livemode, consumer_id))
        if person is not None:
            paid_on = date.fromisoformat(event.data["paid_on"])
            _count_paid(self.uow, person, on_time=paid_on <= due_date, paid_on=paid_on)


def persons_of(uow: UnitOfWork, *, consumer_ids: Iterable[str], livemode: bool) -> dict[str, Person]:
    """person_of for many consumer records, locked (in id order: two imports cannot deadlock)."""
    found: dict[str, Person] = {}
    ids = sorted(set(consumer_ids))
    for start in range(0, len(ids), 1000):
        rows = uow.session.execute(
            select(Link.value, Person).join(Person, Link.person_id == Person.id)
            .where(Link.livemode == livemode, Link.kind == identifiers.CONSUMER, Link.value.in_(ids[start:start + 1000]))
            .order_by(Person.id).with_for_update(of=Person).execution_options(populate_existing=True))
        found.update((value, person) for value, person in rows)
    return found


def invoice_paid(uow: UnitOfWork, *, consumer_id: str, livemode: bool, on_time: bool, paid_on: date) -> None:
    """An invoice paid in full: on time raises the limit a step (up to the ceiling), late holds it."""
    person = person_of(uow, consumer_id=consumer_id, livemode=livemode, for_update=True)
    if person is not None:
        _count_paid(uow, person, on_time=on_time, paid_on=paid_on)


def _count_paid(uow, person: Person, *, on_time: bool, paid_on: date) -> None:
    default = policies.installation_default(uow.settings)
    if on_time:
        person.paid_on_time += 1
        if person.limit_status == rules.GROWING:
            person.limit_cents = min(max(person.limit_cents, default.new_person_limit_cents) + default.limit_step_cents,
                                     default.limit_ceiling_cents)
        person.limit_status = states.LIMIT.next(person.limit_status, "paid_on_time")
    else:
        person.paid_late += 1
        person.limit_status = states.LIMIT.next(person.limit_status, "paid_late")
        if person.limit_status == rules.HELD:
            person.held_until = paid_on + timedelta(days=default.late_hold_days)


def _dunning_step(uow, scope: Scope, data: dict) -> None:
    if data.get("name") != "handover":
        return
    consumer_id, _ = invoice_queries.consumer_and_due_date(uow, invoice_id=data["invoice_id"])
    close_limit(uow, consumer_id=consumer_id, livemode=scope.livemode, because="handed_over")


def _dispute_decided(uow, scope: Scope, data: dict) -> None:
    # A claim of "I did not order this" that the mediator rejected: the person did order, and
    # tried to keep the goods without paying (first-party fraud).
    outcome = (data.get("decision") or {}).get("outcome")
    if data.get("reason") != "unauthorised" or outcome != "merchant":
        return
    consumer_id, _ = invoice_queries.consumer_and_due_date(uow, invoice_id=data["invoice_id"])
    close_limit(uow, consumer_id=consumer_id, livemode=scope.livemode, because="fraud")


def close_limit(uow: UnitOfWork, *, consumer_id: str, livemode: bool, because: str) -> None:
    """A hand-over ("handed_over") or a fraud decision ("fraud") closes the person's limit."""
    person = person_of(uow, consumer_id=consumer_id, livemode=livemode, for_update=True)
    if person is None:
        return
    person.limit_status = states.LIMIT.next(person.limit_status, because)
    person.limit_cents = 0
    if because == "fraud":
        person.frauds += 1
    else:
        person.handovers += 1


_HANDLERS = {"dunning.level_reached": _dunning_step, "dispute.decided": _dispute_decided}


# --- what a consumer may have open -----------------------------------------------------------

@dataclass(frozen=True)
class Room:
    limit_cents: int
    open_cents: int          # invoices still owed, all webshops
    room_cents: int
    status: str              # growing | held | closed
    paid_on_time: int
    verified_until: datetime | None
    held_until: date | None


def room_for(uow: UnitOfWork, *, consumer_id: str, livemode: bool = True) -> Room:
    """What the consumer may still have open at once, at all webshops (the portal's
    "Uw bestedingsruimte"), under the installation's policy."""
    person = person_of(uow, consumer_id=consumer_id, livemode=livemode)
    policy = policies.installation_default(uow.settings)
    if person is None:
        return Room(policy.new_person_limit_cents, 0, policy.new_person_limit_cents, rules.GROWING, 0, None, None)
    state = dict(person_limit_cents=person.limit_cents, limit_status=person.limit_status,
                 paid_on_time=person.paid_on_time, verified_until=person.verified_until)
    owed = invoice_queries.exposure(uow, consumer_ids=sorted(consumers_of_person(uow, person_id=person.id)),
                                    livemode=livemode, today=uow.today())
    inputs = Inputs(now=uow.now(), today=uow.today(), currency="EUR", amount_cents=0, shop_limit_cents=0,
                    open_balance_cents=owed.open_cents, **state)
    return Room(rules.limit_of(inputs, policy), owed.open_cents, rules.room_of(inputs, policy), person.limit_status,
                person.paid_on_time, person.verified_until, person.held_until)


def explain_room(uow: UnitOfWork, *, consumer_id: str, livemode: bool = True, language: str = "nl") -> list[str]:
    """Why the room is what it is, in plain sentences (nl, en, de) for the consumer."""
    from bnpl.i18n import format_money

    room = room_for(uow, consumer_id=consumer_id, livemode=livemode)
    lang = language if language in texts.LANGUAGES else "en"
    money = lambda cents: format_money(cents, "EUR", lang)  # noqa: E731
    return [texts.ROOM_TEXTS[key][lang].format(limit=money(room.limit_cents), open=money(room.open_cents),
                                               room=money(room.room_cents), paid=room.paid_on_time)
            for key in _room_sentences(room)]


def _room_sentences(room: Room) -> list[str]:
    if room.status == rules.CLOSED:
        return ["closed"]
    found = ["limit", "open"]
    found.append("held" if room.status == rules.HELD else ("grows" if room.paid_on_time else "new"))
    return found


# --- verification ---------------------------------------------------------------------------

def _start_verification(uow, scope: Scope, order_id: str, decision_id: str, person: Person) -> str:
    provider = verifiers.provider(uow.settings)
    reference, url = provider.start(livemode=scope.livemode)
    uow.session.add(Verification(id=new_id("ver"), livemode=scope.livemode, merchant_id=scope.merchant_id,
                                 order_id=order_id, decision_id=decision_id, person_id=person.id, provider=provider.name,
                                 reference=reference, url=url, status=states.PENDING, created_at=uow.now()))
    return url


@dataclass(frozen=True)
class VerificationResult:
    verification_id: str
    scope: Scope
    order_id: str
    status: str  # verified | failed
    changed: bool  # False for a callback repeated after the outcome was known


def verification_callback(uow: UnitOfWork, *, provider: str, headers, body: bytes) -> VerificationResult:
    """A provider's signed report that the consumer identified (or did not)."""
    callback = verifiers.provider(uow.settings, provider).verify_callback(headers, body)
    return _conclude(uow, callback.reference, confirmed=callback.status == verifiers.CONFIRMED)


def local_verification(uow: UnitOfWork, *, reference: str) -> Verification:
    """The local simulator's page: the verification behind a reference."""
    found = uow.session.scalar(select(Verification).where(Verification.reference == reference,
                                                          Verification.provider == "local"))
    if found is None:
        raise NotFound(said("No such identification."))
    return found


def decide_locally(uow: UnitOfWork, *, reference: str, confirm: bool) -> VerificationResult:
    """The local simulator's answer, sent through its own signed callback like a real bank's."""
    local_verification(uow, reference=reference)
    provider = verifiers.provider(uow.settings, "local")
    headers, body = provider.signed_callback(reference, verifiers.CONFIRMED if confirm else verifiers.FAILED)
    return verification_callback(uow, provider="local", headers=headers, body=body)


def _conclude(uow, reference: str, *, confirmed: bool) -> VerificationResult:
    found = uow.session.scalar(select(Verification).where(Verification.reference == reference).with_for_update())
    if found is None:
        raise NotFound(said("No such identification."))
    scope = Scope(found.merchant_id, found.livemode)
    if found.status != states.PENDING:
        return VerificationResult(found.id, scope, found.order_id, found.status, changed=False)
    found.status = states.VERIFICATION.next(found.status, "confirm" if confirmed else "fail")
    found.completed_at = uow.now()
    if confirmed:
        person = _lock(uow, [_live_person_id(uow, found.person_id)])[0]
        days = policy_for(uow, merchant_id=found.merchant_id)[0].verified_for_days
        person.verified_until = max(filter(None, [person.verified_until, uow.now() + timedelta(days=days)]))
    return VerificationResult(found.id, scope, found.order_id, found.status, changed=True)


def _live_person_id(uow, person_id: int) -> int:
    return uow.session.scalar(select(Person.merged_into).where(Person.id == person_id)) or person_id


def reassess_after_verification(uow: UnitOfWork, *, result: VerificationResult, consumer_id: str,
                                unshipped_cents: Callable[[list[str]], int]) -> Assessment:
    """The order's decision once the bank answered: the first decision's inputs with the
    person's limit, exposure and verification as they are now (the room may have been used
    meanwhile); a failed identification declines. Stored as a new decision that supersedes it."""
    verification = uow.session.get(Verification, result.verification_id)
    first = _decision(uow, verification.decision_id)
    person = _lock(uow, [_live_person_id(uow, first.person_id)])[0]
    inputs = dataclasses.replace(
        Inputs.from_json(first.inputs), now=uow.now(), today=uow.today(), **_person_state(uow, person),
        **_exposure(uow, result.scope.livemode, person, consumer_id, unshipped_cents))
    inputs = dataclasses.replace(inputs, verified_now=result.status == states.VERIFIED,
                                 verification_failed=result.status != states.VERIFIED)
    policy, version = policy_for(uow, merchant_id=first.merchant_id)
    decision = rules.decide(inputs, policy)
    facts = OrderFacts(first.order_id, first.consumer_id, first.currency, first.amount_cents, inputs.shop_limit_cents,
                       {}, {}, None, {})
    decision_id = _store(uow, result.scope, facts, person, inputs, policy, version, decision, supersedes=first.id)
    return Assessment(decision_id, decision.outcome, decision.reasons, first.currency)


# --- human review (CCD2) ----------------------------------------------------------------------

MIN_REASONS_LENGTH = 20  # "No." is not a reason a consumer can follow


def request_review(uow: UnitOfWork, *, decision_id: str, consumer_id: str, message: str) -> Review:
    """The consumer asks a person to look at a decision on their own order again (one request
    per decision; someone else's decision is not found)."""
    decision = uow.session.get(RiskDecision, decision_id)
    if decision is None or decision.consumer_id != consumer_id:
        raise NotFound(said("No decision %(id)s.", id=decision_id))
    if decision.outcome == ACCEPTED:
        raise Conflict(said("This decision accepted the order; there is nothing to review."))
    if uow.session.scalar(select(Review.id).where(Review.decision_id == decision_id)):
        raise Conflict(said("A review of this decision was already asked for."))
    if not (message or "").strip():
        raise InvalidInput({"message": [said("Say what we should look at again.")]})
    review = Review(id=new_id("rvw"), decision_id=decision_id, consumer_id=consumer_id, message=message.strip()[:2000],
                    status=states.REQUESTED, requested_at=uow.now())
    uow.session.add(review)
    uow.session.flush()
    return review


def decide_review(uow: UnitOfWork, *, review_id: str, staff_id: str, change: bool, reasons: str,
                  limit_cents: int | None = None) -> Review:
    """A staff member (the risk role) answers with written reasons: the decision stands, or it
    is changed: a closed limit opens again, at limit_cents if given (never above the ceiling)."""
    review = uow.session.scalar(select(Review).where(Review.id == review_id).with_for_update())
    if review is None:
        raise NotFound(said("No review %(id)s.", id=review_id))
    if len((reasons or "").strip()) < MIN_REASONS_LENGTH:
        raise InvalidInput({"reasons": [said("Write at least %(least)s characters the consumer can follow.",
                                             least=MIN_REASONS_LENGTH)]})
    review.status = states.REVIEW.next(review.status, "change" if change else "uphold")
    review.decided_by, review.decided_at, review.reasons = staff_id, uow.now(), reasons.strip()
    if change:
        decision = _decision(uow, review.decision_id)
        person = _lock(uow, [_live_person_id(uow, decision.person_id)])[0]
        ceiling = policies.installation_default(uow.settings).limit_ceiling_cents
        if person.limit_status == rules.CLOSED:
            # The reviewer's written reasons are the record now; the marks that closed it go.
            person.limit_status = states.LIMIT.next(person.limit_status, "reopened")
            person.limit_cents = policies.installation_default(uow.settings).new_person_limit_cents
            person.frauds = person.handovers = 0
        if limit_cents is not None:
            person.limit_cents = max(0, min(limit_cents, ceiling))
        review.limit_cents = person.limit_cents
    return review


def reviews(uow: UnitOfWork, *, status: str | None = states.REQUESTED, limit: int = 200) -> list[Review]:
    """The review queue, oldest request first (all statuses with status=None)."""
    query = select(Review).order_by(Review.requested_at, Review.id).limit(limit)
    if status:
        query = query.where(Review.status == status)
    return list(uow.session.scalars(query))


# --- policy ---------------------------------------------------------------------------------

def policy_for(uow: UnitOfWork, *, merchant_id: str | None) -> tuple[Policy, int]:
    """The policy that applies to a webshop, and its version (0: the installation's default)."""
    base = policies.installation_default(uow.settings)
    if merchant_id is None:
        return base, 0
    return _applied(uow, _LATEST_POLICY.first(uow.session, merchant_id=merchant_id))


def _applied(uow, latest: tuple | None) -> tuple[Policy, int]:
    """The policy a webshop's latest version (version, changes) makes of the installation's."""
    base = policies.installation_default(uow.settings)
    if latest is None:
        return base, 0
    version, changes = latest
    return policies.stricter_of(base, changes), version


_LATEST = (select(RiskPolicy.version, RiskPolicy.changes).where(RiskPolicy.merchant_id == bindparam("merchant_id"))
           .order_by(RiskPolicy.version.desc()).limit(1))
_LATEST_POLICY = Prepared(_LATEST)


def merchant_policy(uow: UnitOfWork, *, merchant_id: str) -> dict:
    """The policy in effect for a webshop, its version, and the installation's default."""
    policy, version = policy_for(uow, merchant_id=merchant_id)
    return {"version": version, "policy": policy.as_dict(),
            "installation": policies.installation_default(uow.settings).as_dict()}


def set_policy(uow: UnitOfWork, *, merchant_id: str, changes: dict) -> tuple[Policy, int]:
    """A new version of the webshop's policy: the named fields, each at least as strict as the
    installation's (422 naming each looser field). Fields not named follow the installation."""
    base = policies.installation_default(uow.settings)
    unknown = sorted(set(changes) - set(policies.STRICTER))
    if unknown:
        raise InvalidInput({name: [said("Not a policy field.")] for name in unknown})
    looser = policies.looser_fields(base, policies.apply(base, changes))
    if looser:
        raise InvalidInput({name: [why] for name, why in looser.items()})
    latest = uow.session.scalar(select(func.max(RiskPolicy.version)).where(RiskPolicy.merchant_id == merchant_id)) or 0
    uow.session.add(RiskPolicy(merchant_id=merchant_id, version=latest + 1, changes=dict(changes), created_at=uow.now()))
    uow.session.flush()
    audit.record(uow, actor=merchants.acting_key(uow), action="risk_policy.changed", merchant_id=merchant_id,
                 version=latest + 1, changes=dict(changes))
    return policies.apply(base, changes), latest + 1


# --- statistics -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskStatistics:
    merchant_id: str
    since: date
    until: date
    decisions: int
    outcomes: dict[str, int]
    reasons: dict[str, int]  # decline and verification reason codes, how often

    @property
    def approval_rate(self) -> str:
        """Accepted per 100 decisions, two decimals (a string: exact, not a float)."""
        if not self.decisions:
            return "0.00"
        hundredths = (self.outcomes.get(ACCEPTED, 0) * 10_000 + self.decisions // 2) // self.decisions
        return f"{hundredths // 100}.{hundredths % 100:02d}"


def statistics(uow: UnitOfWork, *, scope: Scope, since: date, until: date) -> RiskStatistics:
    """A webshop's decisions in a period (its own orders only): outcomes, approval rate and
    how often each reason declined or asked for verification. An order waiting for the bank
    counts once, with the outcome the bank's answer gave it."""
    later = aliased(RiskDecision)
    final = (RiskDecision.merchant_id == scope.merchant_id, RiskDecision.livemode == scope.livemode,
             RiskDecision.created_at >= _day_start(uow, since), RiskDecision.created_at < _day_start(uow, until + timedelta(days=1)),
             ~exists().where(later.supersedes == RiskDecision.id))
    outcomes = {outcome: int(n) for outcome, n in uow.session.execute(
        select(RiskDecision.outcome, func.count()).where(*final).group_by(RiskDecision.outcome))}
    reasons: dict[str, int] = {}
    for stored in uow.session.scalars(select(RiskDecision.reasons).where(*final, RiskDecision.outcome != ACCEPTED)):
        for reason in stored:
            reasons[reason["code"]] = reasons.get(reason["code"], 0) + 1
    return RiskStatistics(scope.merchant_id, since, until, sum(outcomes.values()), outcomes, dict(sorted(reasons.items())))


def _day_start(uow, day: date) -> datetime:
    from datetime import time, timezone
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(0), ZoneInfo(uow.settings.timezone)).astimezone(timezone.utc)


# --- what the portal and the back office read (risk2) ----------------------------------------

def get_decision(uow: UnitOfWork, *, decision_id: str) -> RiskDecision:
    """One stored decision, as the back office's review page shows it."""
    return _decision(uow, decision_id)


def final_decisions(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool, outcome: str = DECLINED,
                    limit: int = 100) -> list[RiskDecision]:
    """These consumers' decisions with this outcome that are their order's last word (a decision a
    bank verification concluded is replaced by the conclusion), newest first."""
    if not consumer_ids:
        return []
    later = aliased(RiskDecision)
    return list(uow.session.scalars(
        select(RiskDecision).where(RiskDecision.consumer_id.in_(consumer_ids), RiskDecision.livemode == livemode,
                                   RiskDecision.outcome == outcome, ~exists().where(later.supersedes == RiskDecision.id))
        .order_by(RiskDecision.created_at.desc(), RiskDecision.id.desc()).limit(limit)))


@dataclass(frozen=True)
class WebshopPolicy:
    merchant_id: str
    version: int
    changes: dict        # the fields the webshop set (each stricter than the installation's)
    policy: Policy       # what applies to its orders now
    since: datetime


def webshop_policies(uow: UnitOfWork) -> list[WebshopPolicy]:
    """Every webshop with a policy of its own: its latest version, what it changed and what applies."""
    latest = (select(RiskPolicy.merchant_id, func.max(RiskPolicy.version).label("version"))
              .group_by(RiskPolicy.merchant_id).subquery())
    rows = uow.session.scalars(select(RiskPolicy).join(latest, (RiskPolicy.merchant_id == latest.c.merchant_id)
                                                        & (RiskPolicy.version == latest.c.version))
                               .order_by(RiskPolicy.merchant_id))
    base = policies.installation_default(uow.settings)
    return [WebshopPolicy(row.merchant_id, row.version, dict(row.changes), policies.stricter_of(base, row.changes),
                          row.created_at) for row in rows]


def statistics_per_webshop(uow: UnitOfWork, *, since: date, until: date) -> list[tuple[Scope, RiskStatistics]]:
    """``statistics`` for every webshop (each mode apart, live first) that had decisions in the period."""
    if since > until:
        raise InvalidInput({"since": [said("The period starts after it ends.")]})
    scopes = uow.session.execute(
        select(RiskDecision.merchant_id, RiskDecision.livemode).distinct()
        .where(RiskDecision.created_at >= _day_start(uow, since),
               RiskDecision.created_at < _day_start(uow, until + timedelta(days=1)))
        .order_by(RiskDecision.livemode.desc(), RiskDecision.merchant_id)).all()
    return [(Scope(merchant_id, livemode), statistics(uow, scope=Scope(merchant_id, livemode), since=since, until=until))
            for merchant_id, livemode in scopes]


def reviews_of(uow: UnitOfWork, *, decision_ids: list[str]) -> dict[str, Review]:
    """The review asked for of each of these decisions (at most one each), by decision id."""
    if not decision_ids:
        return {}
    return {review.decision_id: review
            for review in uow.session.scalars(select(Review).where(Review.decision_id.in_(decision_ids)))}


def get_review(uow: UnitOfWork, *, review_id: str) -> Review:
    review = uow.session.get(Review, review_id)
    if review is None:
        raise NotFound(said("No review %(id)s.", id=review_id))
    return review


def accepted_on_review(uow: UnitOfWork, *, decision_id: str) -> dict:
    """The decision as the order shows it to the webshop once a review changed a decline."""
    stored = _decision(uow, decision_id)
    return Assessment(stored.id, ACCEPTED, (Reason("accepted_on_review", {}),), stored.currency).for_webshop()
