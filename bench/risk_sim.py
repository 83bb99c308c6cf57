#!/usr/bin/env python
"""Risk simulation: a generated population of consumers shops at a set of webshops for a number of
simulated days; their orders go through the real bnpl.orders.service.create_order (the policy
under test), and the acceptance rules of before issue 15 (`legacy_decide`) decide the same order
stream from the state this script tracks. Both policies are compared on false declines of good
people, losses per EUR 100 approved, approval rate, and the server time per decision.

    python bench/risk_sim.py [--people N] [--shops N] [--days N] [--seed N] [--sample F] [--links N]
                             [--timing-runs R] [--timing-orders N] [--no-dunning] [--legacy-only]
                             [--database-url URL] [--quick]

What it does (bench/README.md has the generator's assumptions and its parameters):

1. Generates the population and its whole order stream from --seed, before anything is decided:
   who orders what, where, when, from which device, IP and addresses, and what the person will
   do with the invoice (pay on time, late by n days, never) and with a bank verification. The
   stream does not depend on the decisions, so both policies see the same orders. A panel of
   the people (--sample, rare archetypes oversampled and weighted back) has its orders go
   through the real services; everyone's orders are decided by the legacy rules.
2. Empties the bench database (DROP SCHEMA public CASCADE; created when missing), runs the
   migrations, and when the risk package keeps identity links (risk_links) bulk-loads those of
   background people with COPY until the table holds --links rows.
3. Plays the days on a FixedClock with test-mode webshops: each morning a bank statement books
   the payments due that day (bnpl.payments.service.book_transactions: RF reference, payer
   IBAN), the dunning run (bnpl.dunning.jobs.run_dunning) steps the overdue invoices, then each
   panel order in time order is created in its own unit of work (create_order timed, its commit
   apart, bnpl.risk.service.assess_order inside it too), a verification is completed through the
   local simulator or abandoned as planned, and in the evening approved orders are shipped
   (bnpl.orders.service.ship_order issues the invoice). legacy_decide decides every order too,
   fed with this e-mail address's overdue invoices in its own ledger (the invoices it would have
   issued, paid as planned); while create_order still applies those rules, both must agree.
4. Timing runs: --timing-runs times, --timing-orders fresh orders of known people (drawn like
   the stream) are created and rolled back; p50/p99 per run and their medians.
5. Prints per policy and per archetype, the targets next to the figures, and writes
   bench/results/risk_sim.json.

Losses are counted by each approved order's planned fate (an invoice the person never pays is
lost in full, however far the clock got), so orders approved on the last days count too.

A standalone script, not a test. It never touches a database other than the one named by
--database-url (default `bench_risk` on 127.0.0.1:5432) and refuses `test`, `postgres` and the
other benches' databases, because it wipes the schema of the one it uses.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import measure  # noqa: E402
from measure import BenchError, Meter, database_name, say  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "risk_sim.json"
def orders_dump(url: str) -> Path:
    """One line per panel order of the last run on this database, to study or replay it."""
    return ROOT / "bench" / "results" / f"risk_sim_orders_{database_name(url)}.jsonl"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_risk"
# --quick (what .ci/run runs after every landing) has a database of its own: a smoke run must
# never wipe a full run that is under way.
QUICK_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_risk_quick"
RUN_LOCK = 15_015  # advisory lock held for a whole run: a second run on the same database refuses
PROTECTED_DATABASES = {"test", "mine", "postgres", "bench", "bench_camt", "bench_dunning",
                       "template0", "template1"}
TZ = ZoneInfo("Europe/Amsterdam")
START = date(2026, 9, 1)  # the first simulated day (a Tuesday)
# Test-mode webshops: the local bank-verification simulator identifies nobody, so it serves test
# mode only; everything the simulation uses behaves alike in both modes.
LIVEMODE = False

TARGET_FALSE_DECLINES = 0.02    # of good people's orders
TARGET_LOSS_RATIO = 0.25        # losses per EUR 100 approved, against the legacy rules'
TARGET_P99_MS = 30.0


# --- the population's parameters (bench/README.md explains each) ---------------------------

@dataclass(frozen=True)
class Archetype:
    name: str
    share: float              # of the people
    good: bool                # their orders count for false declines
    orders_per_90d: float     # Poisson mean of ordinary orders over 90 days
    late_share: float         # of their invoices paid after the due date
    late_days: tuple          # (min, max) days late
    never_share: float        # of their invoices never paid
    verifies: float           # chance they complete a bank verification when asked


ARCHETYPES = {
    a.name: a for a in [
        Archetype("good", 0.840, True, 1.2, 0.015, (1, 10), 0.003, 0.92),
        Archetype("late", 0.100, True, 1.2, 0.45, (3, 40), 0.03, 0.85),
        Archetype("traveller", 0.050, True, 1.5, 0.02, (1, 10), 0.003, 0.92),
        Archetype("overindebted", 0.010, False, 1.0, 0.6, (5, 45), 0.0, 0.80),
        Archetype("fraud_ring", 0.002, False, 0.0, 0.0, (0, 0), 1.0, 0.05),
        Archetype("account_takeover", 0.003, False, 0.0, 0.0, (0, 0), 1.0, 0.03),
    ]
}
FRAUD = {"fraud_ring", "account_takeover"}

# Behaviour within an archetype.
SECOND_EMAIL_SHARE = 0.12       # good people who use a second address at some shops
NEW_DEVICE_SHARE = 0.08         # an ordinary order from a device not seen before (new phone)
MOBILE_IP_SHARE = 0.25          # an ordinary order from a mobile IP rather than the home one
PHONE_SENT_SHARE = 0.8          # webshops that send the phone number
BIRTH_DATE_SENT_SHARE = 0.6     # ... and the birth date
DEVICE_SENT_SHARE = 0.7         # ... and a device id (the IP is always sent)
ACCOUNT_SHOPS = 0.5             # share of the webshops with customer accounts (they send its age and order count)
TENURE_DAYS = 1500              # an honest person's account at such a shop is up to this old on day 1
PICKUP_SHARE = 0.1              # delivered to a pick-up point instead of home
TRAVEL_ORDER_SHARE = 0.4        # a traveller's orders placed while away (new IP, hotel address)
SPREE_ORDERS = (3, 7)           # over-indebted: orders in the spree, at distinct shops
SPREE_DAYS = 12                 # ... placed within this many days
SPREE_AMOUNT = (5000, 30000)    # ... each between these (cents)
SPREE_PAID = (0, 2)             # ... of which the first 0-2 get paid (late), the rest never
RING_IDENTITIES = (3, 6)        # a ring: e-mail addresses of one fraudster
RING_PHONES = (1, 3)            # ... phones shared among them
RING_SHARED_DEVICE = 0.5        # ... share of rings ordering from one shared device
RING_WARMUP = 0.3               # ... share of rings that first pay a small order per identity
RING_ORDERS_PER_IDENTITY = (1, 2)
RING_AMOUNT = (15000, 80000)
ATO_ORDERS = (1, 3)             # takeover: orders on the stolen e-mail within a day
ATO_AMOUNT = (20000, 100000)
ATO_PHONE_KEPT = 0.3            # ... the victim's phone still sent (the shop's stored profile)

CATEGORIES = [  # (name, median basket cents, spread (lognormal sigma), VAT basis points, high-risk goods)
    ("fashion", 7500, 0.6, 2100, False), ("electronics", 24000, 0.8, 2100, True),
    ("home", 9000, 0.7, 2100, False), ("books", 3500, 0.5, 900, False),
    ("sports", 8000, 0.6, 2100, False), ("beauty", 4500, 0.5, 2100, False),
    ("toys", 5000, 0.6, 2100, False), ("garden", 11000, 0.7, 2100, False),
    ("gift_cards", 10000, 0.5, 2100, True), ("shoes", 9500, 0.5, 2100, False),
]
LOW_LIMIT_SHOPS = {3: 100_000, 7: 50_000, 12: 150_000}  # shop index -> order limit (cents); others the default
# The panel: of each archetype this share of people (times the sample rate, at most all) has its
# orders go through create_order; the rare ones are oversampled and weighted back.
OVERSAMPLE = {"overindebted": 4, "fraud_ring": 8, "account_takeover": 8}


def sampling_rate(archetype: str, sample: float) -> float:
    return min(1.0, sample * OVERSAMPLE.get(archetype, 1))


# --- the generated world --------------------------------------------------------------------

@dataclass
class Person:
    pid: int
    archetype: str
    name: str
    emails: list
    phones: list
    birth_date: date
    address: dict
    devices: list
    home_ip: str
    iban: str | None
    weight: float = 1.0       # people of the population this one stands for (1 / its sampling rate)
    panel: bool = True        # its orders go through create_order


@dataclass
class PlannedOrder:
    seq: int
    at: datetime               # UTC
    day: int
    person: Person
    shop: int
    email: str
    name: str
    phone: str | None
    birth_date: date | None
    billing: dict
    shipping: dict | None
    device: str | None
    ip: str
    delivery: str              # home | pickup_point
    high_risk: bool
    lines: list
    total: int
    pay_offset: int | None     # days after the due date it is paid (negative: early); None: never
    verifies: bool             # completes a bank verification when asked
    kind: str                  # ordinary | travel | spree | ring_warmup | ring | takeover
    account: tuple | None = None   # (customer_since, customer_order_count) where the shop has accounts

    @property
    def archetype(self) -> str:
        return self.person.archetype

    @property
    def good(self) -> bool:
        return ARCHETYPES[self.archetype].good and self.kind != "takeover"

    @property
    def fraud(self) -> bool:
        return self.archetype in FRAUD

    @property
    def weight(self) -> float:
        return self.person.weight

    @property
    def panel(self) -> bool:
        return self.person.panel


FIRST = ["Sanne", "Daan", "Emma", "Lucas", "Julia", "Sem", "Tess", "Noah", "Zoë", "Levi", "Mila", "Finn",
         "Sara", "Milan", "Eva", "Bram", "Lotte", "Jesse", "Fleur", "Thijs", "Anna", "Ruben", "Nina", "Stijn"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos",
        "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "Kok"]
STREETS = ["Oudegracht", "Kalverstraat", "Lange Poten", "Witte de Withstraat", "Stratumseind", "Herestraat",
           "Breestraat", "Grote Markt", "Vismarkt", "Steenstraat", "Marktstraat", "Kerkstraat", "Dorpsstraat"]
CITIES = ["Utrecht", "Amsterdam", "Den Haag", "Rotterdam", "Eindhoven", "Groningen", "Leiden", "Haarlem",
          "Nijmegen", "Zwolle", "Arnhem", "Tilburg", "Breda", "Delft", "Maastricht"]
POSTCODE_LETTERS = "ABCEGHJKLMNPRTVWXZ"  # never SA, SD, SS: stdnum refuses those pairs


class Generator:
    """The population and its order stream, a pure function of the seed and the sizes."""

    def __init__(self, *, seed: int, people: int, shops: int, days: int, sample: float = 1.0):
        self.rng = random.Random(seed)
        self.panel_rng = random.Random(seed + 1)  # the panel does not change the population
        self.sample = sample
        self.people_count, self.shops, self.days = people, shops, days
        self.shop_weights = [1 / (i + 1) ** 0.7 for i in range(shops)]  # a few big shops, a long tail
        self.seq = 0
        self.serial = 0

    # identities
    def _serial(self) -> int:
        self.serial += 1
        return self.serial

    def address(self) -> dict:
        r = self.rng
        return {"street": r.choice(STREETS), "house_number": str(r.randint(1, 250)),
                "postal_code": f"{r.randint(1000, 9999)} {r.choice(POSTCODE_LETTERS)}{r.choice(POSTCODE_LETTERS)}",
                "city": r.choice(CITIES), "country": "NL"}

    def hotel(self) -> dict:
        r = self.rng
        return {"street": "Hotel " + r.choice(["Stationsplein", "Strandweg", "Markt", "Boulevard"]),
                "house_number": str(r.randint(1, 60)),
                "postal_code": f"{r.randint(1000, 9999)} {r.choice(POSTCODE_LETTERS)}{r.choice(POSTCODE_LETTERS)}",
                "city": r.choice(CITIES), "country": "NL"}

    def pickup_point(self) -> dict:
        r = self.rng
        return {"street": "Pakketpunt " + r.choice(["Albert Heijn", "Primera", "Bruna", "Jumbo"]),
                "house_number": str(r.randint(1, 20)), "postal_code": f"{r.randint(1000, 9999)} AA",
                "city": r.choice(CITIES), "country": "NL"}

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def email(self, name: str) -> str:
        local = name.lower().replace(" ", ".").replace("ë", "e")
        return f"{local}.{self._serial()}@{self.rng.choice(['example.nl', 'example.com', 'mail.example'])}"

    def phone(self) -> str:
        return f"+316{self.rng.randint(10_000_000, 99_999_999)}"

    def device(self) -> str:
        return f"dev-{self.rng.getrandbits(64):016x}"

    def ip(self) -> str:
        r = self.rng
        return f"{r.choice([77, 84, 86, 145, 213])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def iban(self) -> str:
        """A valid Dutch IBAN (ISO 13616 check digits), distinct per person."""
        bban = f"INGB{self._serial():010d}"
        digits = "".join(str(int(ch, 36)) for ch in bban + "NL00")
        return f"NL{98 - int(digits) % 97:02d}{bban}"

    def birth_date(self) -> date:
        return date(1950, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 56))  # 20 to 76 years old

    def person(self, pid: int, archetype: str) -> Person:
        name = self.name()
        emails = [self.email(name)]
        if archetype in ("good", "late", "traveller") and self.rng.random() < SECOND_EMAIL_SHARE:
            emails.append(self.email(name))
        return Person(pid, archetype, name, emails, [self.phone()], self.birth_date(), self.address(),
                      [self.device() for _ in range(self.rng.choice([1, 1, 2]))], self.ip(),
                      self.iban())  # a ring pays its warm-up orders from one account

    # baskets
    def basket(self, shop: int, amount: int | None = None) -> tuple[list, int]:
        cat = CATEGORIES[shop % len(CATEGORIES)]
        if amount is None:
            amount = int(cat[1] * math.exp(self.rng.gauss(0, cat[2])))
        amount = max(295, min(amount, 900_000))
        parts = 1 if amount < 4000 else self.rng.choice([1, 2, 3])
        lines, left = [], amount
        for i in range(parts):
            price = left if i == parts - 1 else max(100, int(left * self.rng.uniform(0.2, 0.6)))
            left -= price
            lines.append({"reference": f"SKU-{shop}-{i + 1}", "description": f"{cat[0]} article {i + 1}",
                          "quantity": 1, "unit_price": price, "vat_rate": cat[3] / 100 if cat[3] % 100 else cat[3] // 100})
        return lines, amount

    def shop(self, exclude: set = frozenset()) -> int:
        while True:
            shop = self.rng.choices(range(self.shops), weights=self.shop_weights)[0]
            if shop not in exclude or len(exclude) >= self.shops:
                return shop

    def moment(self, day: int) -> datetime:
        minutes = self.rng.randint(7 * 60, 23 * 60 - 1)
        local = datetime.combine(START + timedelta(days=day), dtime(minutes // 60, minutes % 60, self.rng.randint(0, 59)), TZ)
        return local.astimezone(timezone.utc)

    def fate(self, archetype: str) -> int | None:
        a, r = ARCHETYPES[archetype], self.rng
        roll = r.random()
        if roll < a.never_share:
            return None
        if roll < a.never_share + a.late_share:
            return r.randint(*a.late_days)
        return -r.randint(0, 12)  # paid within the term, mostly after a few days

    # orders
    def order(self, person: Person, day: int, shop: int, *, kind: str, amount: int | None = None,
              email: str | None = None, name: str | None = None, phone: str | None = "own",
              billing: dict | None = None, shipping: dict | None = None, device: str | None = "own",
              ip: str | None = None, pay_offset: int | None | str = "fate") -> PlannedOrder:
        r = self.rng
        self.seq += 1
        lines, total = self.basket(shop, amount)
        delivery = "home"
        if shipping is None and r.random() < PICKUP_SHARE:
            shipping, delivery = self.pickup_point(), "pickup_point"
        if device == "own":
            device = self.device() if r.random() < NEW_DEVICE_SHARE else r.choice(person.devices)
        if phone == "own":
            phone = person.phones[0]
        return PlannedOrder(
            seq=self.seq, at=self.moment(day), day=day, person=person, shop=shop,
            email=email or r.choice(person.emails), name=name or person.name,
            phone=phone if r.random() < PHONE_SENT_SHARE else None,
            birth_date=person.birth_date if r.random() < BIRTH_DATE_SENT_SHARE else None,
            billing=billing or person.address, shipping=shipping,
            device=device if r.random() < DEVICE_SENT_SHARE else None,
            ip=ip or (self.ip() if r.random() < MOBILE_IP_SHARE else person.home_ip),
            delivery=delivery, high_risk=CATEGORIES[shop % len(CATEGORIES)][4], lines=lines, total=total,
            pay_offset=self.fate(person.archetype) if pay_offset == "fate" else pay_offset,
            verifies=r.random() < ARCHETYPES[person.archetype].verifies, kind=kind)

    def poisson(self, mean: float) -> int:
        # Knuth: fine for the small means of a person's orders
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def ordinary(self, person: Person) -> list[PlannedOrder]:
        a = ARCHETYPES[person.archetype]
        count = self.poisson(a.orders_per_90d * self.days / 90)
        return [self.order(person, self.rng.randrange(self.days), self.shop(), kind="ordinary") for _ in range(count)]

    def traveller(self, person: Person) -> list[PlannedOrder]:
        orders = self.ordinary(person)
        trip = self.rng.randrange(self.days)
        hotel, away_ip = self.hotel(), self.ip()
        for _ in range(max(1, self.poisson(TRAVEL_ORDER_SHARE * len(orders) + 0.5))):
            day = min(self.days - 1, trip + self.rng.randint(0, 6))
            orders.append(self.order(person, day, self.shop(), kind="travel", shipping=hotel,
                                     device=self.rng.choice(person.devices), ip=away_ip))
        return orders

    def overindebted(self, person: Person) -> list[PlannedOrder]:
        orders = [o for o in self.ordinary(person)]
        for o in orders:  # before the spree they still pay, if late
            o.pay_offset = self.rng.choice([-3, 0, 5, 12])
        start = self.rng.randrange(self.days)
        shops: set = set()
        paid = self.rng.randint(*SPREE_PAID)
        for i in range(self.rng.randint(*SPREE_ORDERS)):
            shop = self.shop(shops)
            shops.add(shop)
            day = min(self.days - 1, start + self.rng.randrange(SPREE_DAYS))
            offset = self.rng.randint(5, 45) if i < paid else None
            orders.append(self.order(person, day, shop, kind="spree", amount=self.rng.randint(*SPREE_AMOUNT),
                                     pay_offset=offset))
        return orders

    def fraud_ring(self, person: Person) -> list[PlannedOrder]:
        r = self.rng
        identities = [(self.name(),) for _ in range(r.randint(*RING_IDENTITIES))]
        identities = [(n, self.email(n)) for (n,) in identities]
        person.emails = [e for _, e in identities]
        person.phones = [self.phone() for _ in range(r.randint(*RING_PHONES))]
        shared_device = person.devices[0] if r.random() < RING_SHARED_DEVICE else None
        drop = person.address  # the shared address: billing for all, or billing varies and shipping is shared
        vary_billing = r.random() < 0.5
        bust = r.randrange(self.days)
        warmup = r.random() < RING_WARMUP
        orders = []
        for name, email in identities:
            billing = self.address() if vary_billing else drop
            shipping = drop if vary_billing else None
            device = shared_device or self.device()
            if warmup:
                orders.append(self.order(person, max(0, bust - r.randint(15, 40)), self.shop(), kind="ring_warmup",
                                         amount=r.randint(1500, 6000), email=email, name=name,
                                         phone=r.choice(person.phones), billing=billing, shipping=shipping,
                                         device=device, pay_offset=-r.randint(0, 5)))
            shops: set = set()
            for _ in range(r.randint(*RING_ORDERS_PER_IDENTITY)):
                shop = self.shop(shops)
                shops.add(shop)
                orders.append(self.order(person, min(self.days - 1, bust + r.randint(0, 2)), shop, kind="ring",
                                         amount=r.randint(*RING_AMOUNT), email=email, name=name,
                                         phone=r.choice(person.phones), billing=billing, shipping=shipping,
                                         device=device, pay_offset=None))
        return orders

    def takeover(self, attacker: Person, victim: Person, victim_days: list[int]) -> list[PlannedOrder]:
        r = self.rng
        first_seen = min(victim_days) if victim_days else 0
        day = r.randint(min(self.days - 1, first_seen + 1), self.days - 1)
        drop, device, ip = self.address(), self.device(), self.ip()
        attacker.name, attacker.emails, attacker.address = victim.name, [victim.emails[0]], victim.address
        attacker.phones, attacker.birth_date = victim.phones, victim.birth_date
        orders, shops = [], set()
        for _ in range(r.randint(*ATO_ORDERS)):
            shop = self.shop(shops)
            shops.add(shop)
            orders.append(self.order(attacker, day, shop, kind="takeover", amount=r.randint(*ATO_AMOUNT),
                                     email=victim.emails[0], name=victim.name,
                                     phone=victim.phones[0] if r.random() < ATO_PHONE_KEPT else None,
                                     billing=victim.address, shipping=drop, device=device, ip=ip, pay_offset=None))
        return orders

    def generate(self) -> tuple[list[Person], list[PlannedOrder]]:
        counts = {name: int(round(a.share * self.people_count)) for name, a in ARCHETYPES.items()}
        counts["good"] += self.people_count - sum(counts.values())
        people, orders, pid = [], [], 0
        by_kind: dict[str, list[Person]] = defaultdict(list)
        for name in ARCHETYPES:
            rate = sampling_rate(name, self.sample)
            for _ in range(counts[name]):
                pid += 1
                person = self.person(pid, name)
                person.panel, person.weight = self.panel_rng.random() < rate, 1 / rate
                people.append(person)
                by_kind[name].append(person)
        days_of: dict[int, list[int]] = defaultdict(list)
        for person in people:
            made = {"good": self.ordinary, "late": self.ordinary, "traveller": self.traveller,
                    "overindebted": self.overindebted, "fraud_ring": self.fraud_ring}.get(person.archetype)
            if made:
                for o in made(person):
                    orders.append(o)
                    days_of[person.pid].append(o.day)
        # A takeover and its victim are both in the panel or both out of it: the legacy ledger
        # of the victim's e-mail address then matches what the database holds.
        known = {side: [p for p in by_kind["good"] if days_of.get(p.pid) and p.panel == side] or by_kind["good"]
                 for side in (True, False)}
        for attacker in by_kind["account_takeover"]:
            victim = self.rng.choice(known[attacker.panel])
            orders += self.takeover(attacker, victim, days_of.get(victim.pid, []))
        orders.sort(key=lambda o: (o.at, o.seq))
        self.accounts(orders)
        return people, orders

    def accounts(self, orders: list[PlannedOrder]) -> None:
        """At the shops with customer accounts, the account behind an e-mail address: an honest
        person's existed before day 1 with a few orders; a fraudster's is opened with the order.
        A takeover uses the victim's account where there is one."""
        seen: dict[tuple[str, int], list] = {}
        account_shops = int(round(ACCOUNT_SHOPS * self.shops))
        for o in orders:
            if o.shop >= account_shops:
                continue
            key = (o.email, o.shop)
            if key not in seen:
                if o.fraud:
                    seen[key] = [START + timedelta(days=o.day), 0]
                else:
                    back = self.rng.randint(0, TENURE_DAYS)
                    seen[key] = [START - timedelta(days=back), self.rng.randint(0, min(6, back // 60))]
            o.account = tuple(seen[key])
            seen[key][1] += 1


# --- today's rules, kept as they were ---------------------------------------------------------

def legacy_decide(*, total_cents: int, limit_cents: int, has_overdue: bool, birth_date: date | None,
                  today: date, minimum_age: int, is_business: bool) -> str:
    """bnpl/orders/models.py: decide as it stood before issue 15: accepted when the total is within
    the webshop's limit, this e-mail address (at any webshop of the installation) has no open
    invoice past its due date, and a person who gives a birth date is at least minimum_age."""
    if total_cents > limit_cents or has_overdue:
        return "declined"
    if not is_business and birth_date is not None:
        years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
        if years < minimum_age:
            return "declined"
    return "accepted"


class LegacyPolicy:
    """The legacy rules with what they would have seen: per e-mail address the invoices they
    would have issued, (due date, day paid or None), paid as each order's plan says."""

    def __init__(self, shops: list[tuple[int, int, int]], minimum_age: int):
        self.shops = shops  # per shop: (order limit cents, transit days, invoice term days)
        self.minimum_age = minimum_age
        self.invoices: dict[str, list[tuple[date, date | None]]] = defaultdict(list)

    def has_overdue(self, email: str, today: date) -> bool:
        return any(due < today and (paid is None or paid > today) for due, paid in self.invoices[email.lower()])

    def decide(self, o: PlannedOrder, today: date) -> str:
        limit, transit, term = self.shops[o.shop]
        outcome = legacy_decide(total_cents=o.total, limit_cents=limit, has_overdue=self.has_overdue(o.email, today),
                                birth_date=o.birth_date, today=today, minimum_age=self.minimum_age,
                                is_business=False)
        if outcome == "accepted":  # shipped the same evening: due after transit and term
            due = today + timedelta(days=transit + term)
            paid = None if o.pay_offset is None else max(today + timedelta(days=1), due + timedelta(days=o.pay_offset))
            self.invoices[o.email.lower()].append((due, paid))
        return outcome


def default_shop_terms(shops: int) -> list[tuple[int, int, int]]:
    from bnpl.config import Settings
    cfg = settings_for(DEFAULT_URL)
    return [(LOW_LIMIT_SHOPS.get(i, cfg.order_limit_cents), cfg.transit_days, cfg.invoice_term_days)
            for i in range(shops)]


def legacy_only(orders: list[PlannedOrder]) -> dict[int, str]:
    """The legacy rules over the whole stream without a database (--legacy-only: calibration)."""
    from bnpl.config import Settings
    policy = LegacyPolicy(default_shop_terms(max(o.shop for o in orders) + 1), settings_for(DEFAULT_URL).minimum_age)
    return {o.seq: policy.decide(o, START + timedelta(days=o.day)) for o in orders}


# --- the run against the real services --------------------------------------------------------

@dataclass
class Outcome:
    new: str = ""           # accepted | declined | verification_required (as create_order answered)
    verified: bool = False  # verification_required, completed by the consumer
    legacy: str = ""
    order_id: str = ""
    codes: tuple = ()       # the reason codes of create_order's decision
    create_ms: float = 0.0
    commit_ms: float = 0.0
    risk_ms: float | None = None

    @property
    def new_approved(self) -> bool:
        return self.new == "accepted" or (self.new == "verification_required" and self.verified)


class RiskTimer:
    """Times the risk package's decision inside create_order, where it has one to time:
    bnpl.risk.service.assess_order, wrapped (orders calls it through the module)."""

    def __init__(self):
        self.last: float | None = None

    def install(self) -> bool:
        try:
            from bnpl.risk import service as risk
        except ImportError:
            return False
        original = getattr(risk, "assess_order", None)
        if original is None or getattr(original, "_timed", False):
            return original is not None

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.last = (time.perf_counter() - t0) * 1000

        timed._timed = True
        risk.assess_order = timed
        return True

    def take(self) -> float | None:
        last, self.last = self.last, None
        return last


RISK_TIMER = RiskTimer()


def settings_for(url: str):
    from bnpl.config import Settings
    return Settings.from_env({"BNPL_DATABASE_URL": url, "BNPL_SECRET_KEY": "bench-risk-sim",
                              "BNPL_INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-risk-")})


def has_risk() -> bool:
    try:
        import bnpl.risk  # noqa: F401
    except ImportError:
        return False
    return True


class Simulation:
    def __init__(self, services, *, people: list[Person], orders: list[PlannedOrder], shops: int, days: int,
                 dunning: bool):
        from bnpl.orders.schemas import OrderCreateSchema
        self.services, self.clock = services, services.clock
        self.people, self.orders, self.days, self.dunning = people, orders, days, dunning
        self.schema = OrderCreateSchema()
        self.context_fields = {"context"} & set(self.schema.fields)
        self.shops = self._create_shops(shops)
        self.legacy = LegacyPolicy([shop[1:] for shop in self.shops], services.settings.minimum_age)
        self.outcomes: dict[int, Outcome] = {}  # by PlannedOrder.seq; .new only for the panel
        self.to_ship: list[tuple[PlannedOrder, str]] = []
        self.payments_due: dict[date, list[tuple[PlannedOrder, str, str]]] = defaultdict(list)  # day -> (order, invoice id, RF)
        self.dunning_s = 0.0
        self.dunning_steps = 0
        self.mismatches: list[int] = []
        self.checks_legacy = not has_risk()  # today's create_order is the legacy rules: they must agree

    def _create_shops(self, count: int) -> list:
        from bnpl.merchants import service as merchants
        from bnpl.tenancy import Scope
        from bnpl.uow import unit_of_work
        shops = []
        self.clock.set(datetime.combine(START - timedelta(days=1), dtime(9), TZ))
        with unit_of_work(self.services) as uow:
            for i in range(count):
                limit = LOW_LIMIT_SHOPS.get(i, uow.settings.order_limit_cents)
                created = merchants.create_merchant(uow, name=f"Shop {i + 1:02d} ({CATEGORIES[i % len(CATEGORIES)][0]})",
                                                    livemode=LIVEMODE, order_limit_cents=limit,
                                                    email=f"shop{i + 1:02d}@bench.example")
                shops.append((Scope(created.merchant.id, LIVEMODE), created.merchant.order_limit_cents,
                              created.merchant.transit_days, created.merchant.invoice_term_days))
        return shops

    def body(self, o: PlannedOrder) -> dict:
        consumer = {"email": o.email, "name": o.name, "type": "person"}
        if o.phone:
            consumer["phone"] = o.phone
        if o.birth_date:
            consumer["birth_date"] = o.birth_date.isoformat()
        body = {"merchant_reference": f"SIM-{o.seq:08d}", "currency": "EUR", "consumer": consumer,
                "billing_address": o.billing, "lines": o.lines}
        if o.shipping:
            body["shipping_address"] = o.shipping
        if self.context_fields:
            body["context"] = {k: v for k, v in {"ip_address": o.ip, "device_id": o.device,
                                                 "delivery_method": o.delivery,
                                                 "high_risk_goods": o.high_risk}.items() if v is not None}
            if o.account:
                body["context"]["customer_since"] = o.account[0].isoformat()
                body["context"]["customer_order_count"] = o.account[1]
        return body

    # one day
    def play(self) -> None:
        by_day: dict[int, list[PlannedOrder]] = defaultdict(list)
        for o in self.orders:
            by_day[o.day].append(o)
        for day in range(self.days):
            today = START + timedelta(days=day)
            self.clock.set(datetime.combine(today, dtime(6), TZ))
            self.book_payments(today)
            if self.dunning:
                self.run_dunning(today)
            for o in by_day.get(day, []):
                self.decide(o, today)
            self.clock.set(datetime.combine(today, dtime(23, 30), TZ))
            self.ship_all(today)
            if day % 10 == 9 or day == self.days - 1:
                panel = [out for out in self.outcomes.values() if out.new]
                say(f"  day {day + 1}/{self.days}: {len(panel):,} orders through create_order, "
                    f"{sum(1 for out in panel if out.new_approved):,} approved")

    def decide(self, o: PlannedOrder, today: date) -> None:
        from bnpl.orders import service as orders
        from bnpl.uow import unit_of_work
        scope = self.shops[o.shop][0]
        outcome = Outcome(legacy=self.legacy.decide(o, today))
        self.outcomes[o.seq] = outcome
        if not o.panel:
            return
        self.clock.set(max(o.at, self.clock.now()))  # a verification before may have moved it on
        data = self.schema.load(self.body(o))
        with unit_of_work(self.services) as uow:
            t0 = time.perf_counter()
            order = orders.create_order(uow, scope=scope, data=data)
            t1 = time.perf_counter()
            uow.commit()
            t2 = time.perf_counter()
            outcome.new = order.decision["outcome"] if order.decision else order.status
            outcome.order_id = order.id
            outcome.codes = tuple(r["code"] for r in (order.decision or {}).get("reasons", ()))
            order_id, verification_url = order.id, (order.decision or {}).get("verification_url")
        outcome.create_ms, outcome.commit_ms = (t1 - t0) * 1000, (t2 - t1) * 1000
        outcome.risk_ms = RISK_TIMER.take()
        if outcome.new == "verification_required":
            outcome.verified = self.verify(o, verification_url)
        if outcome.new_approved:
            self.to_ship.append((o, order_id))
        if self.checks_legacy and outcome.new != outcome.legacy:
            self.mismatches.append(o.seq)

    def verify(self, o: PlannedOrder, url: str | None) -> bool:
        """The consumer follows the verification URL to the local bank simulator and confirms
        (as planned for them), or walks away: then nothing comes back and the order waits."""
        from bnpl.orders import service as orders
        from bnpl.uow import unit_of_work
        if not o.verifies or not url:
            return False
        self.clock.advance(minutes=3)
        with unit_of_work(self.services) as uow:
            order = orders.decide_verification_locally(uow, reference=url.rstrip("/").rsplit("/", 1)[-1], confirm=True)
            return order is not None and order.status == "accepted"

    def ship_all(self, today: date) -> None:
        from bnpl.orders import service as orders
        from bnpl.uow import unit_of_work
        for o, order_id in self.to_ship:
            scope = self.shops[o.shop][0]
            with unit_of_work(self.services) as uow:
                shipped = orders.ship_order(uow, scope=scope, order_id=order_id, data={"carrier": "PostNL"})
                invoice = shipped.invoice
                if o.pay_offset is not None:
                    pay_day = max(today + timedelta(days=1), invoice.due_date + timedelta(days=o.pay_offset))
                    self.payments_due[pay_day].append((o, invoice.id, invoice.payment_reference))
        self.to_ship = []

    def book_payments(self, today: date) -> None:
        """One bank statement a day: every invoice planned to be paid today, for what it owes now
        (with any dunning fees), by its RF reference from the person's own IBAN."""
        from bnpl.invoices import queries as invoice_queries
        from bnpl.payments import camt, service as payments
        from bnpl.uow import unit_of_work
        due = self.payments_due.pop(today, [])
        with unit_of_work(self.services) as uow:
            owed = invoice_queries.owed_now(uow, invoice_ids=[invoice_id for _, invoice_id, _ in due])
            transactions = [
                camt.Transaction(reference=f"SIM-{today.isoformat()}-{i}", amount_cents=owed[invoice_id].owed_cents,
                                 currency="EUR", booked_on=today, payer_name=o.person.name,
                                 payer_iban=o.person.iban, structured_reference=rf, text="", is_return=False)
                for i, (o, invoice_id, rf) in enumerate(due)
                if owed[invoice_id].status == "open" and owed[invoice_id].owed_cents > 0]
            statement = camt.Statement(id=f"SIM-{today.isoformat()}", account_iban=None, currency="EUR",
                                       transactions=transactions)
            payments.book_transactions(uow, statement=statement, transactions=transactions)
            payments.record_import(uow, statement=statement)

    def run_dunning(self, today: date) -> None:
        from bnpl.dunning.jobs import run_dunning
        t0 = time.perf_counter()
        summary = run_dunning(self.services, as_of=today)
        self.dunning_s += time.perf_counter() - t0
        self.dunning_steps += sum(summary.taken.values())


# --- figures ----------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def policy_figures(orders: list[PlannedOrder], approved, *, weighted: bool = True) -> dict:
    """approved(order) -> bool. Shares of good orders declined, approval, losses per EUR 100;
    each order weighted by its person's weight (the panel stands for the population)."""
    w = (lambda o: o.weight) if weighted else (lambda o: 1.0)
    good = [o for o in orders if o.good]
    ok = [o for o in orders if approved(o)]
    volume = sum(o.total * w(o) for o in ok)
    lost = [o for o in ok if o.pay_offset is None]
    fraud_lost = sum(o.total * w(o) for o in lost if o.fraud)
    credit_lost = sum(o.total * w(o) for o in lost if not o.fraud)
    all_w = sum(w(o) for o in orders)
    late_days = max((o.day for o in orders), default=0) * 2 // 3  # the last third: people are known by then
    good_late = [o for o in good if o.day >= late_days]
    return {
        "orders": len(orders), "approved": len(ok),
        "approval_rate": sum(w(o) for o in ok) / all_w if orders else 0.0,
        "good_orders": len(good), "good_declined": sum(1 for o in good if not approved(o)),
        "false_decline_rate": sum(1 for o in good if not approved(o)) / len(good) if good else 0.0,
        "false_decline_rate_last_third": (sum(1 for o in good_late if not approved(o)) / len(good_late)
                                          if good_late else 0.0),
        "approved_eur": volume / 100, "lost_fraud_eur": fraud_lost / 100, "lost_credit_eur": credit_lost / 100,
        "loss_per_100": 100 * (fraud_lost + credit_lost) / volume if volume else 0.0,
        "fraud_loss_per_100": 100 * fraud_lost / volume if volume else 0.0,
        "credit_loss_per_100": 100 * credit_lost / volume if volume else 0.0,
    }


def by_archetype(orders: list[PlannedOrder], outcomes: dict[int, Outcome]) -> dict:
    rows = {}
    for name in ARCHETYPES:
        mine = [o for o in orders if o.archetype == name and o.panel]
        rows[name] = {
            "orders": len(mine),
            "new_approved": sum(1 for o in mine if outcomes[o.seq].new_approved),
            "new_verification": sum(1 for o in mine if outcomes[o.seq].new == "verification_required"),
            "new_verified": sum(1 for o in mine if outcomes[o.seq].new == "verification_required"
                                and outcomes[o.seq].new_approved),
            "legacy_approved": sum(1 for o in mine if outcomes[o.seq].legacy == "accepted"),
            # EUR never paid of the approved orders, weighted back to the population
            "new_lost_eur": sum(o.total * o.weight for o in mine
                                if o.pay_offset is None and outcomes[o.seq].new_approved) / 100,
            "legacy_lost_eur": sum(o.total * o.weight for o in mine
                                   if o.pay_offset is None and outcomes[o.seq].legacy == "accepted") / 100,
        }
    return rows


def stopped_reasons(orders: list[PlannedOrder], outcomes: dict[int, Outcome]) -> dict:
    """Why the panel's good orders were not approved, and why the lost orders were: reason code ->
    orders (an order counts once under each of its codes)."""
    good, lost = Counter(), Counter()
    for o in orders:
        out = outcomes.get(o.seq)
        if not o.panel or out is None or not out.new:
            continue
        if o.good and not out.new_approved:
            good.update(set(out.codes) | ({"verification_abandoned"} if out.new == "verification_required" else set()))
        if o.pay_offset is None and out.new_approved:
            lost.update({f"{o.archetype}:{code}" for code in out.codes})
    return {"good_stopped": dict(good.most_common()), "lost_approved_with": dict(lost.most_common(25))}


def dump_orders(orders: list[PlannedOrder], outcomes: dict[int, Outcome], url: str) -> None:
    with orders_dump(url).open("w") as f:
        for o in orders:
            out = outcomes.get(o.seq)
            if not o.panel or out is None or not out.new:
                continue
            f.write(json.dumps({"seq": o.seq, "day": o.day, "archetype": o.archetype, "kind": o.kind,
                                "good": o.good, "fraud": o.fraud, "weight": o.weight, "total": o.total,
                                "pay_offset": o.pay_offset, "verifies": o.verifies, "order_id": out.order_id,
                                "new": out.new, "verified": out.verified, "codes": list(out.codes)}) + "\n")


def timing_figures(outcomes: dict[int, Outcome]) -> dict:
    decided = [o for o in outcomes.values() if o.new]
    create = [o.create_ms for o in decided]
    total = [o.create_ms + o.commit_ms for o in decided]
    risk = [o.risk_ms for o in decided if o.risk_ms is not None]
    return {"create_p50_ms": percentile(create, 0.5), "create_p99_ms": percentile(create, 0.99),
            "with_commit_p50_ms": percentile(total, 0.5), "with_commit_p99_ms": percentile(total, 0.99),
            "risk_p50_ms": percentile(risk, 0.5) if risk else None,
            "risk_p99_ms": percentile(risk, 0.99) if risk else None}


def timing_runs(sim: Simulation, gen: Generator, *, runs: int, count: int) -> list[dict]:
    """Fresh orders of people who shopped before, on the day after the simulation, each created
    and rolled back: the decision's time with the database as the simulation left it. Next to
    it, in the same transaction, what the legacy rules cost the server: their one query (this
    e-mail address's overdue invoices) and the three rules."""
    seen = {o.person.pid: o.person for o in sim.orders if o.good and o.panel}
    people = list(seen.values())
    results = []
    for run in range(runs):
        times: dict[str, list[float]] = {"create": [], "risk": [], "legacy": []}
        for i in range(count):
            o = gen.order(gen.rng.choice(people), sim.days - 1, gen.shop(), kind="ordinary")
            o.at = datetime.combine(START + timedelta(days=sim.days), dtime(12), TZ).astimezone(timezone.utc) \
                + timedelta(seconds=i)
            _time_one(sim, o, times)
        row = {"run": run + 1, "orders": count}
        for name, values in times.items():
            row[f"{name}_p50_ms"] = percentile(values, 0.5) if values else None
            row[f"{name}_p99_ms"] = percentile(values, 0.99) if values else None
        results.append(row)
        say(f"  timing run {run + 1} ({count} orders): create_order p50 {row['create_p50_ms']:.2f} ms, "
            f"p99 {row['create_p99_ms']:.2f} ms"
            + (f"; the risk decision p50 {row['risk_p50_ms']:.2f}, p99 {row['risk_p99_ms']:.2f}"
               if row["risk_p50_ms"] is not None else "")
            + f"; the legacy decision p50 {row['legacy_p50_ms']:.2f}, p99 {row['legacy_p99_ms']:.2f}")
    return results


def _time_one(sim: Simulation, o: PlannedOrder, times: dict[str, list[float]]) -> None:
    from bnpl.invoices import queries as invoice_queries
    from bnpl.orders import service as orders
    from bnpl.uow import UnitOfWork
    sim.clock.set(o.at)
    data = sim.schema.load(sim.body(o))
    session = sim.services.sessionmaker()
    try:
        uow = UnitOfWork(session=session, clock=sim.clock, settings=sim.services.settings)
        scope = sim.shops[o.shop][0]
        t0 = time.perf_counter()
        order = orders.create_order(uow, scope=scope, data=data)
        times["create"].append((time.perf_counter() - t0) * 1000)
        if (took := RISK_TIMER.take()) is not None:
            times["risk"].append(took)
        t0 = time.perf_counter()
        today = uow.today()
        legacy_decide(total_cents=order.total_cents, limit_cents=sim.shops[o.shop][1],
                      has_overdue=invoice_queries.consumer_has_overdue(uow, consumer_id=order.consumer_id,
                                                                       livemode=scope.livemode, today=today),
                      birth_date=o.birth_date, today=today, minimum_age=sim.services.settings.minimum_age,
                      is_business=False)
        times["legacy"].append((time.perf_counter() - t0) * 1000)
    finally:
        session.rollback()
        session.close()


def links_count(url: str) -> int | None:
    """Rows of the risk package's identity links (risk_links), None while there is no such table."""
    import psycopg
    with psycopg.connect(measure.libpq_url(url)) as conn:
        if conn.execute("SELECT to_regclass('risk_links')").fetchone()[0] is None:
            return None
        return conn.execute("SELECT count(*) FROM risk_links").fetchone()[0]


def _row_values(table, known: dict) -> tuple[list[str], list]:
    """Column names and values for a COPY into `table`: the known ones, else the column's own
    scalar default, else NULL where allowed; a required column we know nothing of stops the bench."""
    names, values = [], []
    for column in table.columns:
        if column.name in known:
            value = known[column.name]
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            value = column.default.arg
        elif column.nullable or column.server_default is not None or column.autoincrement is True:
            continue
        else:
            raise BenchError(f"prefill: no value for {table.name}.{column.name}; teach bench/risk_sim.py about it")
        names.append(column.name)
        values.append(value)
    return names, values


def prefill_links(url: str, target: int, seed: int) -> float:
    """Identity links of background people, bulk-loaded with COPY until risk_links holds
    `target` rows: per person their consumer record, e-mail, phone, billing address, device
    and (60 %) IBAN, one person row each with a paid history, and one sighting per link in the
    last 180 days. Their values never collide with the simulated people's (own ranges), except
    addresses, drawn from the same space as everyone's. Seconds taken (0 without the table)."""
    import psycopg
    try:
        from bnpl.risk import identifiers
        from bnpl.risk.models import Link, Person as RiskPerson, Sighting
    except ImportError:
        return 0.0
    have = links_count(url) or 0
    if have >= target:
        return 0.0
    t0 = time.perf_counter()
    rng = random.Random(seed + 2)
    gen = Generator(seed=seed + 3, people=0, shops=1, days=1)
    strength = identifiers.STRENGTH
    per_person = 5.6
    people = int(math.ceil((target - have) / per_person)) + 1
    now = datetime.combine(START, dtime(5), TZ).astimezone(timezone.utc)
    with psycopg.connect(measure.libpq_url(url)) as conn:
        base = conn.execute("SELECT coalesce(max(id), 0) FROM risk_persons").fetchone()[0]
        names, _ = _row_values(RiskPerson.__table__, _background_person(base + 1, rng, now))
        with conn.cursor().copy(f"COPY risk_persons ({', '.join(names)}) FROM STDIN") as copy:
            for n in range(people):
                copy.write_row(_row_values(RiskPerson.__table__, _background_person(base + 1 + n, rng, now))[1])
        conn.execute("SELECT setval(pg_get_serial_sequence('risk_persons', 'id'), (SELECT max(id) FROM risk_persons))")
        links, sightings = [], []
        link_cols = sight_cols = None
        with conn.cursor().copy("COPY risk_links (livemode, kind, value, person_id, strength, created_at) FROM STDIN") as copy:
            for n in range(people):
                pid, address = base + 1 + n, gen.address()
                kinds = [("consumer", f"con_bg{pid:026d}"), ("email", f"bg{pid}@background.example"),
                         ("phone", f"+3197{pid:08d}"),
                         ("address", identifiers.address_key(address)), ("device", f"bgdev-{pid:012x}")]
                if rng.random() < 0.6:
                    kinds.append(("iban", f"NL00BGBK{pid:010d}"))
                for kind, value in kinds:
                    created = now - timedelta(days=rng.randint(1, 720))
                    copy.write_row((LIVEMODE, kind, value, pid, strength.get(kind, "medium"), created))
                    sightings.append((LIVEMODE, kind, value, f"con_bg{pid:026d}",
                                      now - timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 1440))))
        with conn.cursor().copy("COPY risk_sightings (livemode, kind, value, consumer_id, seen_at) FROM STDIN") as copy:
            for row in sightings:
                copy.write_row(row)
        conn.commit()
    with psycopg.connect(measure.libpq_url(url), autocommit=True) as conn:
        conn.execute("ANALYZE risk_persons")
        conn.execute("ANALYZE risk_links")
        conn.execute("ANALYZE risk_sightings")
    return time.perf_counter() - t0


def _background_person(pid: int, rng: random.Random, now: datetime) -> dict:
    on_time = rng.randint(0, 20)
    return {"id": pid, "livemode": LIVEMODE, "created_at": now - timedelta(days=rng.randint(30, 720)),
            "limit_cents": min(250_000, 30_000 + 10_000 * on_time), "paid_on_time": on_time,
            "paid_late": rng.choice([0, 0, 0, 1, 2]), "handovers": 0, "frauds": 0}


# --- report -----------------------------------------------------------------------------------

def report(result: dict) -> None:
    new, old = result["new"], result["legacy"]
    say()
    say(f"{'':34} {'create_order':>14} {'legacy rules':>14}   target")
    say(f"{'orders':34} {new['orders']:>14,} {old['orders']:>14,}")
    say(f"{'approval rate':34} {new['approval_rate']:>13.1%} {old['approval_rate']:>14.1%}")
    fd_ok = "ok" if new["false_decline_rate"] <= TARGET_FALSE_DECLINES else "MISSED"
    say(f"{'good orders declined':34} {new['false_decline_rate']:>13.2%} {old['false_decline_rate']:>14.2%}"
        f"   <= {TARGET_FALSE_DECLINES:.0%}  {fd_ok}")
    say(f"{'  in the last third of the days':34} {new['false_decline_rate_last_third']:>13.2%} "
        f"{old['false_decline_rate_last_third']:>14.2%}")
    ratio = new["loss_per_100"] / old["loss_per_100"] if old["loss_per_100"] else float("nan")
    loss_ok = "ok" if ratio <= TARGET_LOSS_RATIO else "MISSED"
    say(f"{'EUR lost per EUR 100 approved':34} {new['loss_per_100']:>14.2f} {old['loss_per_100']:>14.2f}"
        f"   ratio {ratio:.2f} <= {TARGET_LOSS_RATIO}  {loss_ok}")
    say(f"{'  of which fraud':34} {new['fraud_loss_per_100']:>14.2f} {old['fraud_loss_per_100']:>14.2f}")
    say(f"{'  of which non-payment':34} {new['credit_loss_per_100']:>14.2f} {old['credit_loss_per_100']:>14.2f}")
    say(f"{'EUR approved':34} {new['approved_eur']:>14,.0f} {old['approved_eur']:>14,.0f}")
    say(f"{'EUR lost (fraud + non-payment)':34} {new['lost_fraud_eur'] + new['lost_credit_eur']:>14,.0f} "
        f"{old['lost_fraud_eur'] + old['lost_credit_eur']:>14,.0f}")
    pop = result["legacy_population"]
    say(f"(the panel's orders, weighted back to the population; the legacy rules over all {pop['orders']:,} orders "
        f"of the population: approval {pop['approval_rate']:.1%}, good declined {pop['false_decline_rate']:.2%}, "
        f"lost per EUR 100 {pop['loss_per_100']:.2f})")
    answered = result["outcomes"]
    say("create_order answered " + ", ".join(f"{k} {v:,}" for k, v in sorted(answered.items()))
        + (f"; verifications completed and then accepted {result['verified']:,}" if answered.get("verification_required") else ""))
    say()
    say(f"per archetype (panel, unweighted) {'orders':>9} {'create_order':>13} {'asked to verify':>16} "
        f"{'then approved':>14} {'legacy rules':>13}   EUR lost (weighted): create_order, legacy")
    for name, row in result["archetypes"].items():
        say(f"  {name:31} {row['orders']:>9,} {row['new_approved']:>13,} {row['new_verification']:>16,} "
            f"{row['new_verified']:>14,} {row['legacy_approved']:>13,}   "
            f"{row['new_lost_eur']:>10,.0f} {row['legacy_lost_eur']:>10,.0f}")
    stopped = result.get("stopped", {})
    if stopped.get("good_stopped"):
        say("good orders not approved, by reason (panel): "
            + ", ".join(f"{k} {v:,}" for k, v in stopped["good_stopped"].items()))
    if stopped.get("lost_approved_with"):
        say("never-paid orders approved, by archetype and reason (panel): "
            + ", ".join(f"{k} {v:,}" for k, v in stopped["lost_approved_with"].items()))
    say()
    report_timing(result)
    if result.get("legacy_agreement") is not None:
        say(f"legacy_decide agrees with create_order on {result['legacy_agreement']:.2%} of the orders "
            "(create_order still applies the legacy rules)")
    m = result["meter"]
    say(f"wall {m['wall_s']:.0f} s, bench CPU {m['cpu_s']:.0f} s, PostgreSQL CPU {m['pg_cpu_s']:.0f} s, "
        f"other load {m['other_cores']:.2f} cores")


def report_timing(result: dict) -> None:
    t, runs = result["timing"], result["timing_runs"]
    say(f"server time per decision, {result['links']:,} identity links" if result["links"] is not None
        else "server time per decision, no identity links table yet")
    say(f"  create_order in the simulation: p50 {t['create_p50_ms']:.2f} ms, p99 {t['create_p99_ms']:.2f} ms "
        f"(with commit p50 {t['with_commit_p50_ms']:.2f}, p99 {t['with_commit_p99_ms']:.2f})")
    if t["risk_p50_ms"] is not None:
        say(f"  the risk decision in the simulation: p50 {t['risk_p50_ms']:.2f} ms, p99 {t['risk_p99_ms']:.2f} ms")
    if not runs:
        return
    med = {key: statistics.median(r[key] for r in runs) if runs[0][key] is not None else None
           for key in runs[0] if key.endswith("_ms")}

    def verdict(ms: float) -> str:
        return f"target p99 <= {TARGET_P99_MS:.0f} ms  " + ("ok" if ms <= TARGET_P99_MS else "MISSED")

    say(f"  create_order, timing runs (median of {len(runs)}): p50 {med['create_p50_ms']:.2f} ms, "
        f"p99 {med['create_p99_ms']:.2f} ms   {verdict(med['create_p99_ms'])}")
    if med["risk_p50_ms"] is not None:
        say(f"  the risk decision, timing runs (median of {len(runs)}): p50 {med['risk_p50_ms']:.2f} ms, "
            f"p99 {med['risk_p99_ms']:.2f} ms   {verdict(med['risk_p99_ms'])}")
    say(f"  the legacy decision (its overdue query and the three rules), same orders: "
        f"p50 {med['legacy_p50_ms']:.2f} ms, p99 {med['legacy_p99_ms']:.2f} ms"
        + (f"; risk / legacy: p50 x{med['risk_p50_ms'] / med['legacy_p50_ms']:.1f}, "
           f"p99 x{med['risk_p99_ms'] / med['legacy_p99_ms']:.1f}" if med["risk_p50_ms"] is not None else ""))


# --- main -------------------------------------------------------------------------------------

def hold_run_lock(url: str):
    """A connection holding the run's advisory lock on its database (created when missing),
    kept open until the process ends; BenchError when another run holds it."""
    import psycopg
    name = database_name(url)
    try:
        conn = psycopg.connect(measure.libpq_url(url), autocommit=True)
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise BenchError(f"cannot connect to {name}: {exc}") from None
        admin = psycopg.conninfo.make_conninfo(measure.libpq_url(url), dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as created:
            created.execute(f'CREATE DATABASE "{name}"')
        conn = psycopg.connect(measure.libpq_url(url), autocommit=True)
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,)).fetchone()[0]:
        conn.close()
        raise BenchError(f"another risk_sim run is using the {name!r} database; wait for it or use --database-url")
    return conn


def run(args) -> dict:
    from bnpl.app import build_services
    from bnpl.clock import FixedClock

    name = database_name(args.database_url)
    if name in PROTECTED_DATABASES:
        raise BenchError(f"refusing to wipe the {name!r} database; use a dedicated one, e.g. .../bench_risk")
    say(f"risk_sim: {args.people:,} people, {args.shops} webshops, {args.days} days, seed {args.seed}, "
        f"database {name}" + (" (quick)" if args.quick else ""))
    if not args.legacy_only:
        args.lock = hold_run_lock(args.database_url)
        prepared = measure.prepare_database(args.database_url, PROTECTED_DATABASES)
        say(f"database emptied and migrated in {prepared:.1f} s")
    t0 = time.perf_counter()
    gen = Generator(seed=args.seed, people=args.people, shops=args.shops, days=args.days, sample=args.sample)
    people, orders = gen.generate()
    panel = [o for o in orders if o.panel]
    say(f"generated {len(people):,} people and {len(orders):,} orders in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in Counter(o.archetype for o in orders).items()))
    say(f"the panel: {sum(p.panel for p in people):,} people, {len(panel):,} orders through create_order: "
        + ", ".join(f"{k} {v:,}" for k, v in Counter(o.archetype for o in panel).items()))
    if args.legacy_only:
        decided = legacy_only(orders)
        for label, subset, weighted in (("population", orders, False), ("panel", panel, True)):
            f = policy_figures(subset, lambda o: decided[o.seq] == "accepted", weighted=weighted)
            say(f"legacy rules, {label}: {f['orders']:,} orders, approval {f['approval_rate']:.1%}, good declined "
                f"{f['false_decline_rate']:.2%}, EUR {f['approved_eur']:,.0f} approved, lost per EUR 100 "
                f"{f['loss_per_100']:.2f} (fraud {f['fraud_loss_per_100']:.2f}, non-payment {f['credit_loss_per_100']:.2f})")
        return {}
    fill_s = prefill_links(args.database_url, args.links, args.seed)
    links = links_count(args.database_url)
    if links is not None:
        say(f"identity links: {links:,} rows ({fill_s:.0f} s to prefill)")
    services = build_services(settings_for(args.database_url), FixedClock(datetime.combine(START, dtime(6), TZ)))
    if RISK_TIMER.install():
        say("timing bnpl.risk.service.assess_order inside create_order")
    sim = Simulation(services, people=people, orders=orders, shops=args.shops, days=args.days,
                     dunning=not args.no_dunning)
    with Meter(name) as meter:
        sim.play()
    say(f"played {args.days} days in {meter.wall:.0f} s; dunning {sim.dunning_s:.1f} s, {sim.dunning_steps:,} steps")
    if sim.checks_legacy and sim.mismatches:
        raise BenchError(f"legacy_decide disagrees with today's create_order on {len(sim.mismatches)} orders "
                         f"(first: {sim.mismatches[:5]}): the copy is not faithful")
    runs = timing_runs(sim, gen, runs=args.timing_runs, count=args.timing_orders)
    outcomes = sim.outcomes
    result = {
        "params": {k: v for k, v in vars(args).items()},
        "archetypes_params": {name: asdict(a) for name, a in ARCHETYPES.items()},
        "new": policy_figures(panel, lambda o: outcomes[o.seq].new_approved),
        "legacy": policy_figures(panel, lambda o: outcomes[o.seq].legacy == "accepted"),
        "legacy_population": policy_figures(orders, lambda o: outcomes[o.seq].legacy == "accepted", weighted=False),
        "archetypes": by_archetype(orders, outcomes),
        "stopped": stopped_reasons(orders, outcomes),
        "outcomes": dict(Counter(out.new for out in outcomes.values() if out.new)),
        "verified": sum(1 for out in outcomes.values() if out.verified),
        "timing": timing_figures(outcomes), "timing_runs": runs, "links": links,
        "legacy_agreement": (1 - len(sim.mismatches) / len(panel)) if sim.checks_legacy and panel else None,
        "meter": meter.as_dict(), "dunning_s": sim.dunning_s,
    }
    report(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    dump_orders(orders, outcomes, args.database_url)
    say(f"written to {RESULTS.relative_to(ROOT)}")
    return result


# --- replaying the last run under other numbers ------------------------------------------------

def replay_policies(url: str, variants: list[str]) -> None:
    """The last run's panel orders decided again, each from the inputs its first decision
    stored, under the default policy and under each variant (FIELD=VALUE[,FIELD=VALUE]). No
    feedback: exposure and history stay as they were, so a looser variant looks a little better
    and a stricter one a little worse than a full run would; seconds instead of minutes, to
    choose which numbers deserve a full run. A verification is completed as planned."""
    import sqlalchemy as sa
    from bnpl.risk.decision import ACCEPTED, VERIFICATION_REQUIRED, Inputs, decide
    from bnpl.risk.policy import Policy

    dump = orders_dump(url)
    if not dump.exists():
        raise BenchError(f"no run to replay: {dump.relative_to(ROOT)} is written by a run")
    panel = [json.loads(line) for line in dump.read_text().splitlines()]
    with sa.create_engine(url).connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT order_id, inputs FROM risk_decisions WHERE supersedes IS NULL")).all())
    if any(o["order_id"] not in stored for o in panel):
        raise BenchError("the database no longer holds the run that wrote the dump; run again first")

    def approved(o: dict, policy: Policy) -> bool:
        inputs = Inputs.from_json(stored[o["order_id"]])
        outcome = decide(inputs, policy).outcome
        if outcome == VERIFICATION_REQUIRED and o["verifies"]:
            inputs = replace(inputs, verified_until=inputs.now + timedelta(days=365), verified_now=True)
            outcome = decide(inputs, policy).outcome
        return outcome == ACCEPTED

    def line(label: str, policy: Policy) -> None:
        ok = [o for o in panel if approved(o, policy)]
        good = [o for o in panel if o["good"]]
        volume = sum(o["total"] * o["weight"] for o in ok)
        lost = sum(o["total"] * o["weight"] for o in ok if o["pay_offset"] is None)
        declined = sum(1 for o in good if not approved(o, policy)) / len(good)
        say(f"  {label:60} good declined {declined:6.2%}   lost per EUR 100 {100 * lost / volume:5.2f}")

    say(f"replaying {len(panel):,} panel orders of the last run (no feedback):")
    line("the default policy", Policy())
    for variant in variants:
        changes = {k.strip(): json.loads(v) for k, v in (pair.split("=", 1) for pair in variant.split(","))}
        line(variant, replace(Policy(), **changes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--links", type=int, default=1_000_000, help="identity links in the table before timing")
    parser.add_argument("--sample", type=float, default=0.06,
                        help="share of the people whose orders go through create_order (rare archetypes "
                             "oversampled, see OVERSAMPLE); the others are decided by the legacy rules only")
    parser.add_argument("--timing-runs", type=int, default=3)
    parser.add_argument("--timing-orders", type=int, default=500)
    parser.add_argument("--no-dunning", action="store_true", help="skip the daily dunning run")
    parser.add_argument("--legacy-only", action="store_true",
                        help="generate and decide with the legacy rules only, no database (to calibrate the generator)")
    parser.add_argument("--database-url", help="default: bench_risk, with --quick bench_risk_quick "
                                               "(or BNPL_BENCH_RISK_DATABASE_URL)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 people, 4 webshops, 20 days")
    parser.add_argument("--replay", nargs="*", metavar="FIELD=VALUE[,FIELD=VALUE]",
                        help="no run: decide the last run's orders again under the default policy and these "
                             "variants, e.g. --replay verified_limit_cents=200000 overdue_grace_days=7")
    args = parser.parse_args(argv)
    args.database_url = (args.database_url or os.environ.get("BNPL_BENCH_RISK_DATABASE_URL")
                         or (QUICK_URL if args.quick else DEFAULT_URL))
    if args.quick:
        args.people, args.shops, args.days = 300, 4, 20
        args.links, args.timing_runs, args.timing_orders, args.sample = 20_000, 2, 50, 1.0
    try:
        if args.replay is not None:
            replay_policies(args.database_url, args.replay)
        else:
            run(args)
            if args.quick:  # so that the replay cannot rot either
                replay_policies(args.database_url, ["overdue_grace_days=0"])
    except BenchError as exc:
        say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
