#!/usr/bin/env python
"""Invoice PDF benchmark: our renderer (bnpl.documents.pdf.render_pdf) next to a naive
WeasyPrint integration of the same HTML and stylesheet.

    python bench/pdf.py [--runs N] [--batch N] [--quick]

Ours: Inter cut down to Latin embedded whole, one font configuration and stylesheet per
process. Naive: the same HTML with the stylesheet inlined minus its @font-face rules, so
WeasyPrint picks system fonts and subsets them, with a fresh font configuration per render.
Every invoice has its own number, hence its own payment reference and EPC QR.

Prints median and p90 ms per PDF and its size, the ratio naive/ours, invoices per second
over 2 worker processes, and whether the targets are met; writes bench/results/pdf.json.
No database needed.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import weasyprint
from measure import targets_line

from bnpl.config import Provider
from bnpl.documents import pdf
from bnpl.documents.content import DocumentView, Line, Party, Payee, VatLine
from bnpl.invoices.models import format_number, rf_reference
from bnpl.money import vat_breakdown

TARGET_MS, TARGET_RATIO, TARGET_KB = 80, 6, 100
WORKERS = 2
RESULTS = Path(__file__).resolve().parent / "results" / "pdf.json"

# (description, quantity, unit price in cents with VAT, VAT rate in basis points)
LINES = [
    ("Merino wool jumper, navy, size M", 1, 8995, 2100),
    ("Organic cotton T-shirt, white, 3-pack", 2, 3499, 2100),
    ("Slim-fit chinos, stone, W32/L34", 1, 5995, 2100),
    ("Leather belt, cognac, 95 cm", 1, 3995, 2100),
    ("Wool-blend socks, grey melange, 5 pairs", 1, 2495, 2100),
    ("Canvas tote bag", 1, 1495, 2100),
    ("Gift wrapping", 1, 395, 2100),
    ("Cookbook: Dutch baking through the seasons", 1, 2999, 900),
    ("Paperback: De avond is ongemak", 1, 2250, 900),
    ("Children's picture book, hardcover", 2, 1499, 900),
    ("Coffee beans, single origin, 1 kg", 1, 2895, 900),
    ("Herbal tea assortment, 60 bags", 3, 695, 900),
]


def sample_view(*, business: bool = False, seq: int = 42) -> DocumentView:
    """A 12-line invoice in euros from a Dutch webshop to a Dutch consumer (or business),
    nothing paid yet: shown with the EPC QR. `seq` is the invoice's number in its series."""
    lines = tuple(Line(description, quantity, price, rate, quantity * price)
                  for description, quantity, price, rate in LINES)
    vat_lines = tuple(VatLine(rate_bp=int(v.rate * 100), net_cents=v.net, vat_cents=v.vat, gross_cents=v.gross)
                      for v in vat_breakdown((Decimal(line.vat_rate_bp) / 100, line.total_cents) for line in lines))
    total = sum(line.total_cents for line in lines)
    number, issued = format_number(True, 2026, seq), date(2026, 11, 23)
    address = {"street": "Oudegracht", "house_number": "158", "postal_code": "3511 AZ", "city": "Utrecht",
               "country": "NL"}
    if business:
        buyer = Party(name="Sanne de Vries", company_name="De Vries Interieur B.V.", address=address,
                      vat_number="NL004495445B01", email="inkoop@devries-interieur.example")
    else:
        buyer = Party(name="Sanne de Vries", address=address, email="sanne.devries@example.nl")
    provider = Provider()
    return DocumentView(
        kind="invoice", subject_id=f"inv_{seq}", number=number, livemode=True, language="nl", currency="EUR",
        issue_date=issued, due_date=date(2026, 12, 21), order_reference=f"WS-{100000 + seq}",
        invoice_number=number, invoice_issue_date=issued, invoice_total_cents=total,
        seller=Party(name="Huis & Haard", company_name="Huis en Haard Webwinkel B.V.",
                     address={"street": "Damrak", "house_number": "70", "postal_code": "1012 LM",
                              "city": "Amsterdam", "country": "NL"},
                     vat_number="NL808661863B01", coc_number="87654321"),
        buyer=buyer, is_business=business, lines=lines, vat_lines=vat_lines, total_cents=total, applied=(),
        balance_cents=total, payment_reference=rf_reference(number),
        payee=Payee(name=provider.name, iban=provider.iban, bic=provider.bic, address=provider.address,
                    country=provider.country, email=provider.email, vat_number=provider.vat_number,
                    coc_number=provider.coc_number),
        portal_url="https://pay.bnpl.example/portal",
    )


# The naive path: what `render_pdf` renders, handed to WeasyPrint with no font work done.
NAIVE_CSS = re.sub(r"@font-face\s*{[^}]*}", "", (pdf.PDF_TEMPLATES / "style.css").read_text())


def render_naive(view: DocumentView) -> bytes:
    qr = "data:image/png;base64," + base64.b64encode(pdf.epc_qr_png(view)).decode()
    html = pdf._template_env(view.language).get_template(f"pdf/{view.kind}.html").render(
        doc=view, logo=None, qr=qr, accent=view.brand_colour or pdf.DEFAULT_ACCENT)
    html = html.replace("</head>", f"<style>{NAIVE_CSS}</style>\n</head>", 1)
    return weasyprint.HTML(string=html).write_pdf()


def time_renders(render, views: list[DocumentView]) -> dict:
    """Warm up on the first view (fonts load), time the others; milliseconds and KB. CPU time
    is reported too: on a shared virtual machine it moves far less than the wall clock."""
    render(views[0])
    times, cpu, size = [], [], 0
    for view in views[1:]:
        start, start_cpu = time.perf_counter(), time.process_time()
        size = len(render(view))
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {"median_ms": statistics.median(times), "p90_ms": statistics.quantiles(times, n=10)[-1],
            "cpu_median_ms": statistics.median(cpu), "cpu_min_ms": min(cpu), "kb": size / 1024, "runs": len(times)}


def _warm_up(render, view: DocumentView, ready) -> None:
    render(view)
    ready.wait()


def _size(render, view: DocumentView) -> int:
    return len(render(view))  # the PDF stays in the worker: we time rendering, not pickling


def batch(render, n: int) -> float:
    """Invoices per second for n invoices over 2 processes that each warmed up before the clock."""
    ready = multiprocessing.Barrier(WORKERS + 1)
    with ProcessPoolExecutor(WORKERS, initializer=_warm_up, initargs=(render, sample_view(seq=1), ready)) as pool:
        jobs = [pool.submit(_size, render, sample_view(seq=seq)) for seq in range(2, n + 2)]
        ready.wait(timeout=300)  # both workers warm: go
        start = time.perf_counter()
        for job in jobs:
            job.result()
        return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed renders per path (default 30)")
    parser.add_argument("--batch", type=int, default=500, help="invoices in the batch run (default 500)")
    parser.add_argument("--naive-batch", type=int, default=60, help="invoices in the naive batch run (default 60)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run in seconds (CI): 3 renders per path, batches of 6 and 4, no targets")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.batch, args.naive_batch = 3, 6, 4

    numbers = range(1, args.runs + 2)  # one more than timed: the first render warms up
    views = [sample_view(seq=seq) for seq in numbers]
    ours = time_renders(pdf.render_pdf, views)
    business = time_renders(pdf.render_pdf, [sample_view(business=True, seq=seq) for seq in numbers])
    naive = time_renders(render_naive, views)
    ours["per_s"], naive["per_s"] = batch(pdf.render_pdf, args.batch), batch(render_naive, args.naive_batch)
    ratio, batch_ratio = naive["median_ms"] / ours["median_ms"], ours["per_s"] / naive["per_s"]

    for name, r in (("ours, consumer", ours), ("ours, business (PDF/A-3 + Factur-X)", business), ("naive", naive)):
        print(f"{name:<37} median {r['median_ms']:6.1f} ms   p90 {r['p90_ms']:6.1f} ms   "
              f"cpu median {r['cpu_median_ms']:6.1f} ms, min {r['cpu_min_ms']:6.1f} ms   {r['kb']:5.1f} KB")
    print(f"{'naive / ours':<37} {ratio:6.1f}x (cpu {naive['cpu_median_ms'] / ours['cpu_median_ms']:.1f}x)")
    print(f"{f'batch, {WORKERS} processes':<37} ours {ours['per_s']:5.1f}/s ({args.batch})   "
          f"naive {naive['per_s']:5.1f}/s ({args.naive_batch})   {batch_ratio:.1f}x")
    checks = {f"median <= {TARGET_MS} ms": ours["median_ms"] <= TARGET_MS,
              f"naive/ours >= {TARGET_RATIO}x": ratio >= TARGET_RATIO,
              f"PDF < {TARGET_KB} KB": ours["kb"] < TARGET_KB}
    print(targets_line(checks, args.quick))

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"ours": ours, "business": business, "naive": naive, "ratio": ratio,
                                   "batch_ratio": batch_ratio, "targets": checks}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
