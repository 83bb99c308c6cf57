"""Settings from ``BNPL_*`` environment variables, with safe defaults.

Every business number (terms, limits, rates) is configuration, not code. The defaults
are the Dutch policy; a deployment changes them through the environment.
"""
from __future__ import annotations

import os
import secrets
from decimal import Decimal
from dataclasses import dataclass, field, replace
from pathlib import Path



# VAT rates a line may carry, per destination country, in basis points (21 % = 2100).
DEFAULT_VAT_RATES = {
    "NL": (0, 900, 2100),
    "BE": (0, 600, 1200, 2100),
    "DE": (0, 700, 1900),
    "AT": (0, 1000, 1300, 2000),
    "FR": (0, 210, 550, 1000, 2000),
    "LU": (0, 300, 800, 1400, 1700),
}


def _vat_rates(raw: str | None) -> dict[str, tuple[int, ...]]:
    """``NL:0,9,21;BE:0,6,12,21`` -> basis points per country."""
    if not raw:
        return DEFAULT_VAT_RATES
    table = {}
    for part in raw.split(";"):
        country, _, rates = part.partition(":")
        table[country.strip().upper()] = tuple(int(Decimal(r.strip()) * 100) for r in rates.split(","))
    return table


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    # Where webshops read the API reference (mails to them link there); BNPL_BASE_URL/docs by default.
    api_docs_url: str | None = None
    timezone: str = "Europe/Amsterdam"
    smtp_url: str | None = None
    instance_path: Path = Path("instance")
    # The currencies this provider settles in; any other ISO 4217 code is refused.
    currencies: tuple[str, ...] = ("EUR",)
    # Defaults for new merchants; each merchant can change its own.
    invoice_term_days: int = 14
    transit_days: int = 2
    order_limit_cents: int = 250_000
    return_pause_days: int = 28
    # Ceilings of this installation: no merchant setting (nor an admin approving one) goes beyond.
    max_order_limit_cents: int = 500_000
    invoice_term_range: tuple[int, int] = (7, 60)
    transit_days_range: tuple[int, int] = (0, 14)
    # An approved new payout IBAN is used by settlements only this many days after approval.
    payout_iban_cooling_off_days: int = 3
    minimum_age: int = 18
    vat_rates: dict = field(default_factory=lambda: DEFAULT_VAT_RATES)
    max_body_bytes: int = 1024 * 1024
    web_workers: int = 2
    sql_echo: bool = False
    provider: "Provider" = field(default_factory=lambda: Provider())
    mail_from: str = "bnpl demo <no-reply@bnpl.example>"
    # How long a worker's claim on outbox messages lasts; a killed worker's claim runs out.
    outbox_lease_seconds: int = 120
    outbox_interval_seconds: int = 5  # how often the scheduler delivers the outbox
    webhook_timeout_seconds: int = 5  # a receiver answers at once and works later
    # Test-mode webhooks to this machine, for running bnpl beside a shop on one laptop.
    webhooks_allow_loopback: bool = False
    # Test-mode e-mail: "file" writes .eml files only (no test invoice reaches a real person,
    # even with SMTP configured); "send" delivers them like live ones (a staging setup).
    test_mode_mail: str = "file"
    payment_provider: str = "local"  # who starts checkouts: bnpl/payments/provider.py PROVIDERS
    # Dunning reconciles first: with no bank statement newer than this many working days,
    # a run warns, and with stale_statements "refuse" it sends nothing (a reminder must never
    # cross a payment that already arrived).
    statement_max_age_working_days: int = 2
    stale_statements: str = "refuse"  # refuse | warn
    # A folder the scheduler imports bank statements from (processed/ and failed/ beneath it).
    statement_inbox: Path | None = None
    disputes: "DisputeRules" = field(default_factory=lambda: DisputeRules())
    consumer_extension_days: int = 14  # the consumer's one free extension; 0: none offered
    # Before the due date: a friendly notice this many days ahead (0: none), and with a mandate
    # the SEPA pre-notification this many working days before the collection.
    due_notice_days: int = 3
    collection_notice_working_days: int = 5
    # Proxies in front (a TLS terminator): how many X-Forwarded-For hops to believe, so rate
    # limits count people, not the proxy.
    trusted_proxies: int = 0
    # The back office's language until a member picks one (nl or en; a pick is kept per browser).
    staff_language: str = "nl"
    # /metrics answers this bearer token; unset, only requests from this machine (not proxied).
    metrics_token: str | None = None
    # Invoices and their payments are kept this long after the year they were issued (art. 52 AWR).
    fiscal_retention_years: int = 7
    retain_idempotency_days: int = 30  # stored first responses for Idempotency-Key replays
    retain_delivered_bodies_days: int = 30  # a delivered message's body; its record stays
    log_format: str = "text"  # text | json (one object a line, with the request id)
    support: "Support" = field(default_factory=lambda: Support())
    risk: "RiskRules" = field(default_factory=lambda: RiskRules())

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("BNPL_INSTANCE_PATH") or Path.cwd() / "instance")
        return cls(
            database_url=env.get("BNPL_DATABASE_URL") or f"sqlite:///{instance / 'bnpl.sqlite3'}",
            secret_key=env.get("BNPL_SECRET_KEY") or _dev_secret(instance),
            base_url=(env.get("BNPL_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            api_docs_url=(env.get("BNPL_API_DOCS_URL") or "").strip() or None,
            timezone=env.get("BNPL_TIMEZONE") or "Europe/Amsterdam",
            smtp_url=env.get("BNPL_SMTP_URL") or None,
            instance_path=instance,
            currencies=tuple(c.strip().upper() for c in (env.get("BNPL_CURRENCIES") or "EUR").split(",") if c.strip()),
            invoice_term_days=_int(env, "BNPL_INVOICE_TERM_DAYS", 14),
            transit_days=_int(env, "BNPL_TRANSIT_DAYS", 2),
            order_limit_cents=_int(env, "BNPL_ORDER_LIMIT_CENTS", 250_000),
            return_pause_days=_int(env, "BNPL_RETURN_PAUSE_DAYS", 28),
            max_order_limit_cents=_int(env, "BNPL_MAX_ORDER_LIMIT_CENTS", 500_000),
            invoice_term_range=(_int(env, "BNPL_MIN_INVOICE_TERM_DAYS", 7), _int(env, "BNPL_MAX_INVOICE_TERM_DAYS", 60)),
            transit_days_range=(_int(env, "BNPL_MIN_TRANSIT_DAYS", 0), _int(env, "BNPL_MAX_TRANSIT_DAYS", 14)),
            payout_iban_cooling_off_days=_int(env, "BNPL_PAYOUT_IBAN_COOLING_OFF_DAYS", 3),
            minimum_age=_int(env, "BNPL_MINIMUM_AGE", 18),
            vat_rates=_vat_rates(env.get("BNPL_VAT_RATES")),
            web_workers=_int(env, "BNPL_WEB_WORKERS", 2),
            sql_echo=env.get("BNPL_SQL_ECHO") == "1",
            provider=Provider.from_env(env),
            mail_from=env.get("BNPL_MAIL_FROM") or "bnpl demo <no-reply@bnpl.example>",
            outbox_lease_seconds=_int(env, "BNPL_OUTBOX_LEASE_SECONDS", 120),
            outbox_interval_seconds=_int(env, "BNPL_OUTBOX_INTERVAL_SECONDS", 5),
            webhook_timeout_seconds=_int(env, "BNPL_WEBHOOK_TIMEOUT_SECONDS", 5),
            webhooks_allow_loopback=env.get("BNPL_WEBHOOKS_ALLOW_LOOPBACK") == "1",
            test_mode_mail=_choice(env, "BNPL_TEST_MODE_MAIL", ("file", "send"), "file"),
            payment_provider=_choice(env, "BNPL_PAYMENT_PROVIDER", ("local",), "local"),
            statement_max_age_working_days=_int(env, "BNPL_STATEMENT_MAX_AGE_WORKING_DAYS", 2),
            stale_statements=_choice(env, "BNPL_STALE_STATEMENTS", ("refuse", "warn"), "refuse"),
            statement_inbox=Path(env["BNPL_STATEMENT_INBOX"]) if env.get("BNPL_STATEMENT_INBOX") else None,
            disputes=DisputeRules.from_env(env),
            consumer_extension_days=_int(env, "BNPL_CONSUMER_EXTENSION_DAYS", 14),
            due_notice_days=_int(env, "BNPL_DUE_NOTICE_DAYS", 3),
            collection_notice_working_days=_int(env, "BNPL_COLLECTION_NOTICE_WORKING_DAYS", 5),
            metrics_token=env.get("BNPL_METRICS_TOKEN") or None,
            fiscal_retention_years=_int(env, "BNPL_FISCAL_RETENTION_YEARS", 7),
            retain_idempotency_days=_int(env, "BNPL_RETAIN_IDEMPOTENCY_DAYS", 30),
            retain_delivered_bodies_days=_int(env, "BNPL_RETAIN_DELIVERED_BODIES_DAYS", 30),
            log_format=_choice(env, "BNPL_LOG_FORMAT", ("text", "json"), "text"),
            trusted_proxies=_int(env, "BNPL_TRUSTED_PROXIES", 0),
            staff_language=_choice(env, "BNPL_STAFF_LANGUAGE", ("nl", "en"), "nl"),
            support=Support.from_env(env),
            risk=RiskRules.from_env(env),
        )

    @property
    def docs_url(self) -> str:
        """The API reference as webshops open it (BNPL_API_DOCS_URL, else this server's /docs)."""
        return self.api_docs_url or f"{self.base_url}/docs"


@dataclass(frozen=True)
class RiskRules:
    """The installation's acceptance defaults (bnpl/risk/policy.py has the rest of the policy)."""

    new_person_limit_cents: int = 30_000  # what a person we do not know may have open at once
    limit_ceiling_cents: int = 250_000
    verified_for_days: int = 365  # a bank-verified person is not asked again for this long
    verification_provider: str = "local"  # bnpl/risk/verification.py PROVIDERS

    @classmethod
    def from_env(cls, env: dict) -> "RiskRules":
        return cls(new_person_limit_cents=_int(env, "BNPL_RISK_NEW_PERSON_LIMIT_CENTS", cls.new_person_limit_cents),
                   limit_ceiling_cents=_int(env, "BNPL_RISK_LIMIT_CEILING_CENTS", cls.limit_ceiling_cents),
                   verified_for_days=_int(env, "BNPL_RISK_VERIFIED_FOR_DAYS", cls.verified_for_days),
                   verification_provider=_choice(env, "BNPL_RISK_VERIFICATION_PROVIDER", ("local",), "local"))


@dataclass(frozen=True)
class DisputeRules:
    """The numbers of mediation (BNPL_DISPUTE_<NAME>)."""

    # The consumer first gives the webshop this many working days to answer (not for fraud).
    wait_working_days: int = 5
    merchant_days: int = 14
    fraud_merchant_days: int = 7
    consumer_days: int = 7  # to answer a mediator's question
    decision_days: int = 30  # the mediators' own target from opening, for the queue
    # A webshop that lets its deadline pass on a case below this amount loses it at once.
    auto_decide_below_cents: int = 5_000
    # Decisions about more than this need a second mediator.
    approval_above_cents: int = 50_000
    resume_days: int = 7  # a case that ends with money owed gives this many days to pay
    evidence_max_files: int = 5
    evidence_max_bytes: int = 4 * 1024 * 1024
    # A closed case's evidence files are deleted this long after the decision (docs/privacy.md).
    evidence_kept_days: int = 730

    @classmethod
    def from_env(cls, env: dict) -> "DisputeRules":
        return cls(**{name: _int(env, f"BNPL_DISPUTE_{name.upper()}", getattr(cls, name))
                      for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Support:
    """How consumers reach people and how soon each channel promises an answer, as the
    portal's help page shows them (BNPL_SUPPORT_<NAME>). E-mail goes to the provider's
    address (BNPL_PROVIDER_EMAIL); a dispute is answered by a mediator within the disputes'
    decision target (BNPL_DISPUTE_DECISION_DAYS)."""

    email_working_days: int = 1  # an e-mail is answered within this many working days
    phone: str = "+31 20 123 4567"
    phone_minutes: int = 2  # a call is answered within this many minutes, during office hours
    office_hours: str = "09:00-17:00"  # Monday to Friday, in the business timezone
    # The mailbox consumers' replies arrive in (imaps://user:password@host/INBOX), read every
    # few minutes by the scheduler (bnpl/support/inbox.py); unset: replies come in by
    # `bnpl support import-mail FILE` only.
    imap_url: str | None = None

    @classmethod
    def from_env(cls, env: dict) -> "Support":
        return cls(email_working_days=_int(env, "BNPL_SUPPORT_EMAIL_WORKING_DAYS", cls.email_working_days),
                   phone=(env.get("BNPL_SUPPORT_PHONE") or cls.phone).strip(),
                   phone_minutes=_int(env, "BNPL_SUPPORT_PHONE_MINUTES", cls.phone_minutes),
                   office_hours=(env.get("BNPL_SUPPORT_OFFICE_HOURS") or cls.office_hours).strip(),
                   imap_url=(env.get("BNPL_SUPPORT_IMAP_URL") or "").strip() or None)


@dataclass(frozen=True)
class Provider:
    """Who collects the invoices: printed on every document, and where consumers pay to.
    The defaults are a demo identity; a deployment sets its own."""

    name: str = "bnpl demo B.V."
    address: str = "Herengracht 1, 1015 BA Amsterdam, NL"
    country: str = "NL"
    iban: str = "NL91ABNA0417164300"
    bic: str = "ABNANL2A"
    email: str = "support@bnpl.example"
    vat_number: str = "NL001234567B01"
    coc_number: str = "12345678"
    # SEPA Creditor Identifier, on every direct debit (NL: from the Dutch central bank).
    creditor_id: str = "NL98ZZZ999999999999"

    @classmethod
    def from_env(cls, env: dict) -> "Provider":
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        fields = {name: env.get(f"BNPL_PROVIDER_{name.upper()}") for name in cls.__dataclass_fields__}
        provider = cls(**{name: value.strip() for name, value in fields.items() if value})
        try:  # a wrong IBAN on every invoice is the costliest typo there is: refuse to start
            iban = IBAN(provider.iban)
        except SchwiftyException as exc:
            raise SystemExit(f"BNPL_PROVIDER_IBAN is not a valid IBAN: {exc}") from None
        return replace(provider, iban=iban.compact, country=provider.country.upper())


def _choice(env: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _dev_secret(instance: Path) -> str:
    """A random secret kept under instance/, so a first run is safe without configuration."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
