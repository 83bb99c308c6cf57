"""The ``bnpl`` command."""
from __future__ import annotations

import json
import sys

import click

from bnpl.errors import DomainError


def _services():
    from bnpl.app import build_services
    return build_services()


def _fail(error: DomainError):
    fields = error.extra.get("errors")
    if fields:
        raise click.ClickException("\n".join(f"{path}: {' '.join(msgs)}" for path, msgs in fields.items()))
    raise click.ClickException(error.detail)


@click.group()
def main():
    """bnpl: a self-hostable buy-now-pay-later provider."""


@main.command("init-db")
def init_db():
    """Create or upgrade the schema (Alembic)."""
    from bnpl.db import upgrade
    from bnpl.config import Settings

    settings = Settings.from_env()
    upgrade(settings.database_url)
    click.echo(f"Schema is up to date ({_safe_url(settings.database_url)}).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=int, help="gunicorn worker processes (default BNPL_WEB_WORKERS or 2)")
@click.option("--threads", default=1, show_default=True, type=int, help="threads per worker")
def serve(host, port, workers, threads):
    """Run the web service under gunicorn."""
    from bnpl.server import run

    run(host=host, port=port, workers=workers, threads=threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host, port):
    """Run the web service and the scheduler together (one machine; `make run`)."""
    from bnpl import logs
    from bnpl.config import Settings
    from bnpl.supervisor import Supervisor, bnpl_children

    logs.configure(Settings.from_env().log_format)
    Supervisor(bnpl_children(host=host, port=port)).run_until_signalled()


@main.command()
@click.option("--if-empty", is_flag=True, help="do nothing (and succeed) when the database has data")
def demo(if_empty):
    """Fill an empty database with a believable demo and print where to look."""
    from bnpl.demo import fill_demo

    try:
        click.echo(fill_demo(_services(), skip_if_not_empty=if_empty))
    except DomainError as exc:
        _fail(exc)


@main.group()
def merchants():
    """Webshops and their API keys."""


@merchants.command("create")
@click.argument("name")
@click.option("--email", help="the webshop's contact address (required): disputes and changes are told there")
@click.option("--language", type=click.Choice(["nl", "en", "de"]), help="of the mails to that address (default nl)")
@click.option("--test", "test_mode", is_flag=True, help="a test-mode key (bnpl_test_…)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--payout-iban")
@click.option("--invoice-term-days", type=int)
@click.option("--transit-days", type=int)
@click.option("--order-limit", "order_limit_cents", type=int, help="in cents")
def merchants_create(name, test_mode, as_json, **settings):
    """Create a merchant with its contact address (--email) and print its API key (shown this once only)."""
    from bnpl.merchants import service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            created = service.create_merchant(uow, name=name, livemode=not test_mode, **settings)
            merchant = created.merchant
    except DomainError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps({"id": merchant.id, "name": merchant.name, "livemode": not test_mode,
                               "api_key": created.api_key}))
    else:
        click.echo(f"Merchant {merchant.name} ({merchant.id})\n"
                   f"API key ({'test' if test_mode else 'live'} mode, shown once): {created.api_key}")


@merchants.group("keys")
def merchant_keys():
    """A webshop's API keys: make one, revoke one."""


@merchant_keys.command("create")
@click.argument("merchant")
@click.option("--live", is_flag=True, help="a live key (only for an approved webshop)")
@click.option("--name", help="a label, e.g. 'shop server'")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def merchant_keys_create(merchant, live, name, as_json):
    """Make an API key for MERCHANT (id or exact name) and print it, this once."""
    from bnpl.merchants import keys, service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            found = service.find_merchant(uow, ref=merchant)
            made = keys.create(uow, merchant=found, livemode=live, name=name, actor=service.OPERATOR)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps({"id": made.key.id, "merchant_id": found.id, "livemode": live, "api_key": made.secret}))
    else:
        click.echo(f"API key {made.key.id} for {found.name} ({'live' if live else 'test'} mode, shown once): "
                   f"{made.secret}")


@merchant_keys.command("revoke")
@click.argument("key")
def merchant_keys_revoke(key):
    """Revoke an API key by its id (key_…) or its visible prefix (bnpl_test_abcd); it fails at once."""
    from bnpl.merchants import keys, service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            revoked = keys.revoke_by_operator(uow, ref=key, actor=service.OPERATOR)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"API key {revoked.id} ({revoked.prefix}…) revoked at {revoked.revoked_at.isoformat()}.")


@main.group()
def staff():
    """Back-office accounts: mediators (disputes), risk staff (reviews of credit decisions), admins."""


@staff.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["mediator", "risk", "support", "admin"]))
@click.option("--name", help="shown on the pages (default: the part of EMAIL before the @)")
def staff_create(email, role, name):
    """Create a back-office account and print its id. The password is asked twice, or read
    from BNPL_STAFF_PASSWORD for scripts (never an argument: the process list would show it)."""
    import os

    from bnpl.staff import service
    from bnpl.uow import unit_of_work

    password = os.environ.get("BNPL_STAFF_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work(_services()) as uow:
            member = service.create_member(uow, email=email, name=name, role=role, password=password)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Staff member {member.email} ({member.role}): {member.id}")


def _account_command(action: str, **options):
    """Run one of staff/accounts.py's account actions for an e-mail address, as the operator."""
    from bnpl.staff import accounts
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            return getattr(accounts, action)(uow, actor="operator (command line)", **options)
    except DomainError as exc:
        _fail(exc)


@staff.command("deactivate")
@click.argument("email")
def staff_deactivate(email):
    """The account can no longer sign in; its open sessions end now."""
    member = _account_command("deactivate", email=email)
    click.echo(f"Staff member {member.email} deactivated; signed out everywhere.")


@staff.command("unlock")
@click.argument("email")
def staff_unlock(email):
    """Lift the lock after failed sign-ins."""
    member = _account_command("unlock", email=email)
    click.echo(f"Staff member {member.email} unlocked.")


@staff.command("reset-password")
@click.argument("email")
def staff_reset_password(email):
    """A new password (asked twice, or BNPL_STAFF_PASSWORD); signs the member out everywhere."""
    import os

    password = os.environ.get("BNPL_STAFF_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    member = _account_command("reset_password", email=email, password=password)
    click.echo(f"Password of {member.email} reset; signed out everywhere.")


@main.group()
def consumers():
    """A consumer's data rights: export, erasure."""


@consumers.command("export")
@click.argument("email")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the zip file to write")
def consumers_export(email, output):
    """Everything held about EMAIL at every webshop: data.json and the PDFs, in a zip."""
    from pathlib import Path

    from bnpl.privacy import service as privacy
    from bnpl.uow import unit_of_work

    with unit_of_work(_services()) as uow:
        found = privacy.export(uow, email=email)
    Path(output).write_bytes(privacy.archive(found))
    click.echo(f"{len(found.data['orders'])} orders, {len(found.files)} documents written to {output}.")


@consumers.command("erase")
@click.argument("email")
@click.option("--check", is_flag=True, help="only say whether erasure may go ahead now, and why not")
def consumers_erase(email, check):
    """Erase what we hold about EMAIL, within what the law lets us delete."""
    from bnpl.privacy import service as privacy
    from bnpl.uow import unit_of_work

    if check:
        return _erasure_check(email)
    try:
        with unit_of_work(_services()) as uow:
            notes = privacy.erase(uow, email=email, actor="operator (command line)")
    except DomainError as exc:
        _fail(exc)
    click.echo("\n".join([f"Erased the personal data of {email}.", *notes]))


def _erasure_check(email: str) -> None:
    from bnpl.privacy import service as privacy
    from bnpl.uow import unit_of_work

    with unit_of_work(_services()) as uow:
        reasons = privacy.refusals(uow, privacy.find(uow, email=email))
    if reasons:
        raise click.ClickException("Erasure must wait: " + "; ".join(reasons) + ".")
    click.echo(f"{email} can be erased now.")


@main.group()
def returns():
    """Returned goods."""


@returns.command("flag-overdue")
def returns_flag_overdue():
    """Resume invoices of announced returns whose goods did not arrive in time (one pass)."""
    from bnpl.returns.jobs import flag_overdue_returns

    click.echo(f"{flag_overdue_returns(_services())} overdue return(s) flagged.")


@main.group()
def support():
    """The support desk: consumers' questions."""


@support.command("import-mail")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def support_import_mail(file):
    """Put a consumer's e-mail reply (an .eml file) into the thread of the answer it replies to
    (once: the same mail again adds nothing). The scheduler reads BNPL_SUPPORT_IMAP_URL the same way."""
    from pathlib import Path

    from bnpl.support import service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            received = service.import_reply(uow, raw=Path(file).read_bytes())
            thread = received.thread
            if not received.added:
                click.echo(f"Already in question {thread.id} ({thread.subject}): read before, nothing added.")
                return
            click.echo(f"Added to question {thread.id} ({thread.subject}); answer by {thread.due_at.isoformat()}.")
    except DomainError as exc:
        _fail(exc)


@main.command()
@click.option("--once", is_flag=True, help="run every pass that is due now once, then exit (cron, tests)")
def scheduler(once):
    """Run the one scheduler process: dunning daily at 07:00, the outbox every few seconds,
    PDFs, and the hourly deadline checks. Start one per installation; web processes never do."""
    from bnpl.scheduler import run_once, run_scheduler

    (run_once if once else run_scheduler)(_services())


@main.group()
def dunning():
    """Reminders, the 14-day letter, collection costs and the hand-over."""


@dunning.command("run")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="the day to run for (default today)")
@click.option("--stale-statements", type=click.Choice(["refuse", "warn"]),
              help="when the newest bank statement is too old (default BNPL_STALE_STATEMENTS)")
def dunning_run(as_of, stale_statements):
    """One dunning pass: the next level for every overdue invoice that is due for one."""
    from bnpl.clock import local_date
    from bnpl.dunning.jobs import run_dunning

    services = _services()
    today = local_date(services.clock.now(), services.settings.timezone)
    if as_of and as_of.date() > today:  # interest for days not yet passed, deadlines not yet over
        raise click.BadParameter(f"a run cannot be for a day after today ({today.isoformat()})", param_hint="--as-of")
    summary = run_dunning(services, as_of=as_of.date() if as_of else None, stale_statements=stale_statements)
    click.echo(str(summary))
    if summary.refused:
        sys.exit(1)


@dunning.command("export-handovers")
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True, help="the CSV file to write")
@click.option("--test", "test_mode", is_flag=True, help="test-mode invoices instead of live ones")
def dunning_export_handovers(output, test_mode):
    """Write the hand-overs not yet sent to the collection agency as CSV, and mark them sent."""
    from bnpl import spreadsheet
    from bnpl.dunning.service import HANDOVER_COLUMNS, export_handovers
    from bnpl.uow import unit_of_work

    with unit_of_work(_services()) as uow:
        rows = export_handovers(uow, livemode=not test_mode)
        with open(output, "w", newline="", encoding="utf-8") as f:  # written before the commit
            writer = spreadsheet.dict_writer(f, fieldnames=HANDOVER_COLUMNS)  # names and addresses as text
            writer.writeheader()
            writer.writerows(rows)
    click.echo(f"{len(rows)} hand-over(s) written to {output}.")


@dunning.command("letter")
@click.argument("step_id")
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True, help="the PDF file to write")
def dunning_letter(step_id, output):
    """Write the stored PDF of a 14-day letter (rendered now if the renderer has not yet)."""
    from pathlib import Path

    from bnpl.dunning.letters import render_letter
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            pdf = render_letter(uow, step_id=step_id)
    except DomainError as exc:
        _fail(exc)
    Path(output).write_bytes(pdf)
    click.echo(f"Letter {step_id} written to {output} ({len(pdf)} bytes).")


@main.group()
def documents():
    """Stored PDFs: invoices, credit notes and dunning letters."""


@documents.command("render")
def documents_render():
    """Render the PDFs that were requested and are not stored yet (one pass)."""
    from bnpl.documents.jobs import render_documents

    click.echo(f"{render_documents(_services())} document request(s) handled.")


@main.group()
def outbox():
    """E-mails and webhooks waiting to go out."""


@outbox.command("deliver")
def outbox_deliver():
    """Deliver what is due, once (the scheduler runs this every few seconds)."""
    from bnpl.notifications.jobs import deliver_outbox

    outcomes = deliver_outbox(_services())
    click.echo(", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "Nothing was due.")


@outbox.command("list")
@click.option("--status", default="dead", show_default=True,
              type=click.Choice(["pending", "delivered", "dropped", "dead"]))
@click.option("--limit", default=100, show_default=True)
def outbox_list(status, limit):
    """Messages by status: dead ones with their last error, dropped ones with the reason."""
    from bnpl.notifications import service
    from bnpl.uow import unit_of_work

    with unit_of_work(_services()) as uow:
        for m in service.list_messages(uow, status=status, limit=limit):
            click.echo(f"{m.id}  {m.channel:7} {m.kind:24} {m.recipient:30} attempts={m.attempts}  "
                       f"{m.last_error or m.outcome or ''}")


@outbox.command("requeue")
@click.argument("message_ids", nargs=-1, required=True)
def outbox_requeue(message_ids):
    """Give dead messages a fresh set of attempts."""
    from bnpl.notifications import service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            for message_id in message_ids:
                service.requeue(uow, message_id=message_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{len(message_ids)} message(s) queued again.")


@main.group()
def payments():
    """Money in: bank statements."""


@payments.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def payments_import(file):
    """Book a bank statement (CAMT.053, CAMT.054 or MT940); importing it again books nothing
    new. Prints what became of every entry; fails when nothing could be read, or reading
    stopped partway (what was booked stays)."""
    from pathlib import Path

    from bnpl.payments.jobs import import_statement_file

    try:
        summary = import_statement_file(_services(), Path(file).read_bytes())
    except Exception as exc:  # noqa: BLE001 - the database went away, say: a sentence, not a traceback
        raise click.ClickException(f"{file}: the import stopped ({type(exc).__name__}: {exc}). What was booked "
                                   "stays booked; importing the file again books the rest.") from None
    if summary.failed:
        raise click.ClickException(f"{file}: {summary}")
    click.echo(str(summary))


@payments.command("list")
@click.option("--status", default="proposed", show_default=True,
              type=click.Choice(["booked", "proposed", "unmatched", "ignored"]))
def payments_list(status):
    """Payments by status: proposals to confirm, money nobody could match."""
    from bnpl.money import Money
    from bnpl.payments import service
    from bnpl.uow import unit_of_work

    with unit_of_work(_services()) as uow:
        for p in service.list_payments(uow, status=status):
            click.echo(f"{p.id}  {p.booked_on}  {Money(p.amount_cents, p.currency).format():>14}  "
                       f"{(p.payer_name or '')[:30]:30}  {p.invoice_id or '':30}  {p.remittance or p.note or ''}")


@payments.command("confirm")
@click.argument("payment_id")
@click.option("--reject", is_flag=True, help="the proposed invoice is not the right one")
def payments_confirm(payment_id, reject):
    """Book a proposed match (same amount and name), or reject it."""
    from bnpl.payments import service
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(_services()) as uow:
            (service.reject_proposal if reject else service.confirm_proposal)(uow, payment_id=payment_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{payment_id} {'rejected' if reject else 'booked'}.")


@main.group()
def sepa():
    """SEPA files for the bank: direct debits (pain.008) and refunds (pain.001)."""


@sepa.command("export-debits")
@click.option("--collection-date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="when the money is collected (default: a week from today)")
@click.option("--test", "test_mode", is_flag=True, help="test-mode invoices (never mixed with live ones)")
@click.option("--output", type=click.Path(dir_okay=False), help="the file to write (default: instance/sepa/<id>.xml)")
def sepa_export_debits(collection_date, test_mode, output):
    """Collect every due, open invoice with an active mandate, once."""
    from datetime import timedelta

    from bnpl.payments import service
    from bnpl.uow import unit_of_work

    services = _services()
    with unit_of_work(services) as uow:
        day = collection_date.date() if collection_date else uow.today() + timedelta(days=7)
        exported = service.export_debits(uow, collection_date=day, livemode=not test_mode)
        _write_sepa(services, exported, output, f"{exported.count if exported else 0} debit(s) to collect on {day}")


@sepa.command("export-refunds")
@click.option("--test", "test_mode", is_flag=True, help="test-mode invoices (never mixed with live ones)")
@click.option("--output", type=click.Path(dir_okay=False), help="the file to write (default: instance/sepa/<id>.xml)")
def sepa_export_refunds(test_mode, output):
    """Pay back what consumers paid beyond what they owe."""
    from bnpl.payments import service
    from bnpl.uow import unit_of_work

    services = _services()
    with unit_of_work(services) as uow:
        exported = service.export_refunds(uow, execution_date=uow.today(), livemode=not test_mode)
        _write_sepa(services, exported, output, f"{exported.count if exported else 0} refund(s)")


def _write_sepa(services, exported, output, what: str) -> None:
    """Written before the transaction commits: a file that could not be written marks nothing."""
    from pathlib import Path

    from bnpl.money import Money

    if exported is None:
        click.echo(f"Nothing to do: {what}.")
        return
    path = Path(output) if output else services.settings.instance_path / "sepa" / f"{exported.message_id}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(exported.xml)
    click.echo(f"{what}, {Money(exported.total_cents, 'EUR').format()} in all: {path}")


@main.group()
def settlements():
    """Payouts to webshops: invoiced − credited − the provider's fee, per month."""


@settlements.command("run")
@click.option("--month", metavar="YYYY-MM", help="the calendar month to settle (default: the previous month)")
def settlements_run(month):
    """Settle a finished month for every merchant, once; running it again changes nothing."""
    from bnpl.money import Money
    from bnpl.settlements import service
    from bnpl.uow import unit_of_work

    year = number = None
    if month:
        try:
            year, number = (int(part) for part in month.split("-"))
        except ValueError:
            raise click.BadParameter("use YYYY-MM, e.g. 2026-11", param_hint="--month") from None
    try:
        with unit_of_work(_services()) as uow:
            run = service.settle_month(uow, year=year, month=number)
    except DomainError as exc:
        _fail(exc)
    period = f"{run.period_start:%Y-%m}"
    if not run.settled:
        click.echo(f"Nothing to settle for {period}: no invoices or credit notes.")
    for s, name in run.settled:
        amounts = "  ".join(f"{label} {Money(cents, s.currency).format()}" for label, cents in (
            ("invoiced", s.invoiced_cents), ("credited", s.credited_cents), ("fee", s.fee_cents),
            ("payable", s.payable_cents)))
        click.echo(f"{period}  {name} ({s.merchant_id}, {'live' if s.livemode else 'test'})  {amounts}  {s.id}")

def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
