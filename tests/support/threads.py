"""Questions as the support tests start them: a consumer asks about an invoice of theirs (or in
general), and a desk member answers or passes it on."""
from __future__ import annotations

from bnpl.support import service
from tests.disputes.cases import act, consumer_of

STAFF = dict(staff_id="stf_anna", staff_name="Anna de Vries")


def ask_about(services, invoice: dict, *, subject: str, message: str, general: bool = False):
    """The invoice's consumer asks about it (or, with general, about nothing in particular)."""
    about = {} if general else {"invoice_id": invoice["id"]}
    return act(services, service.ask, consumer_id=consumer_of(services, invoice["id"]), subject=subject,
               message=message, **about)
