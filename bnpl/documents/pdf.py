"""Render a document view to PDF with WeasyPrint.

Speed: WeasyPrint spends most of a naive render subsetting fonts. We ship Inter already
cut down to Latin (templates/pdf/fonts, ~20 KB each compressed) and embed it whole
(``full_fonts``), keep one font configuration and stylesheet per process, match elements
against a small user-agent stylesheet of our own, hand images over in memory instead of as
data URIs in the HTML, and keep the markup lean (see style.css).

Safety: the fetcher serves our in-memory images and local files only, so nothing a
merchant or consumer sent can make the renderer reach the network.
"""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from bnpl import i18n
from bnpl.documents import epc
from bnpl.documents.content import DocumentView, Logo
from bnpl.resources import TEMPLATES

PDF_TEMPLATES = TEMPLATES / "pdf"


class _Images(dict):
    """This render's images (and other in-memory resources) by URL. The URL names the content's hash, so WeasyPrint's image
    cache, shared by the process, can never hand one document another's QR code."""

    def add(self, media_type: str, data: bytes) -> str:
        url = f"{IMAGE_SCHEME}:{hashlib.sha256(data).hexdigest()}"
        self[url] = (media_type, data)
        return url


IMAGE_SCHEME = "bnpl-image"


class _Fetcher(URLFetcher):
    def __init__(self, images: _Images):
        super().__init__(allowed_protocols={"file"})
        self._images = images

    def fetch(self, url, headers=None):
        if url.startswith(f"{IMAGE_SCHEME}:"):
            media_type, data = self._images[url]
            return URLFetcherResponse(url, data, {"Content-Type": media_type})
        return super().fetch(url, headers)


class _LeanHTML(HTML):
    """Our documents with our own small user-agent stylesheet (templates/pdf/ua.css)."""

    def _ua_stylesheets(self, forms=False):
        return [_user_agent_stylesheet()]


def render_pdf(view: DocumentView, *, logo: Logo | None = None) -> bytes:
    """The PDF of a document; for a business buyer a PDF/A-3 with its Factur-X XML inside."""
    images = _Images()
    html = _template_env(view.language).get_template(f"pdf/{view.kind}.html").render(
        doc=view, logo=images.add(logo.media_type, logo.data) if logo else None,
        qr=images.add("image/png", qr) if (qr := epc_qr_png(view)) else None,
        accent=view.brand_colour or DEFAULT_ACCENT)
    options = dict(stylesheets=[_stylesheet()], font_config=_fonts(), full_fonts=True,
                   pdf_identifier=view.fingerprint()[:32].encode(), cache={})  # per render: QR codes never repeat
    if view.is_business:
        options.update(_factur_x(view, images))
    document = _LeanHTML(string=html, base_url=str(PDF_TEMPLATES), url_fetcher=_Fetcher(images))
    return document.write_pdf(**options)


DEFAULT_ACCENT = "#1f4e79"


def epc_qr_png(view: DocumentView) -> bytes | None:
    """The EPC QR as a PNG of one pixel per module, scaled up crisply by the stylesheet
    (a PNG costs a fraction of what WeasyPrint spends parsing the same code as SVG)."""
    qr = _epc_qr(view)
    if qr is None:
        return None
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=1, border=0)
    return buffer.getvalue()


def _epc_qr(view: DocumentView):
    """The EPC069-12 ("GiroCode") QR a banking app reads: payee, IBAN, amount, RF reference.
    None when nothing is left to pay or the currency is not the euro (EPC knows only euros)."""
    return epc.epc_qr(name=view.payee.name, iban=view.payee.iban, bic=view.payee.bic,
                      amount_cents=view.balance_cents, currency=view.currency, reference=view.payment_reference)


def _factur_x(view: DocumentView, images: "_Images") -> dict:
    """PDF/A-3b with the EN 16931 CII XML attached as factur-x.xml (relationship Data) and
    the Factur-X XMP properties. WeasyPrint writes it all in the one pass; the factur-x
    library builds and checks the XML (einvoice.py). Having the library rewrite the PDF
    instead doubled the file (to 120 KB) and added a second parse."""
    from bnpl.documents import einvoice

    attachment = Attachment(file_obj=io.BytesIO(einvoice.cii_xml(view)), name="factur-x.xml",
                            description="Factur-X (EN 16931) invoice", relationship="Data")
    return {"pdf_variant": "pdf/a-3b", "attachments": [attachment],
            "xmp_metadata": [images.add("application/rdf+xml", _factur_x_xmp())]}


@lru_cache(maxsize=1)
def _factur_x_xmp() -> bytes:
    """The factur-x library's XMP (the fx: properties and their PDF/A extension schema),
    at our conformance level."""
    import facturx

    template = (Path(facturx.__file__).parent / "xmp" / "Factur-X_extension_schema.xmp").read_text()
    rdf = template[template.index("<rdf:RDF"):]
    return rdf.replace("<fx:ConformanceLevel>BASIC</fx:ConformanceLevel>",
                       "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>").encode()


@lru_cache(maxsize=None)
def _template_env(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.filters["iban"] = lambda iban: " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return env


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    return CSS(filename=str(PDF_TEMPLATES / "style.css"), font_config=_fonts(),
               url_fetcher=URLFetcher(allowed_protocols={"file"}))


@lru_cache(maxsize=1)
def _user_agent_stylesheet() -> CSS:
    return CSS(filename=str(PDF_TEMPLATES / "ua.css"))
