"""The help page's questions and answers, as data: by topic, in English here and translated
through the catalogues like every other text. The numbers in them are the configured ones.

Search is by words: an entry is found when every word of the query appears in its question
or answer (in the reader's language; case and accents do not matter).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bnpl.i18n import N_
from bnpl.portal.words import gettext

TOPICS = {
    "paying": N_("Paying"),
    "returns": N_("Returns"),
    "reminders": N_("Reminders and costs"),
    "disputes": N_("Disputes"),
}


@dataclass(frozen=True)
class Entry:
    topic: str
    question: str
    answer: str
    # Words people search with that the text does not use, translated like it (never shown).
    synonyms: str = ""


ENTRIES = (
    Entry("paying", N_("How do I pay my invoice?"),
          N_("Open the invoice here and choose Pay. You can pay online, transfer the amount to the IBAN with the "
             "payment reference, or scan the QR code with your banking app. Always use the payment reference: "
             "then we match your payment at once.")),
    Entry("paying", N_("I need more time to pay. What can I do?"),
          N_("Before the due date you can move it once by %(extension_days)s days, free of charge: open the invoice "
             "and choose to extend the due date. If paying at once is too much, ask for a payment plan: you pay in "
             "monthly instalments, without reminders or costs while you keep to it.")),
    Entry("paying", N_("Can you collect the invoice from my account?"),
          N_("Yes. On the pay page, give the name on your account and your IBAN. We then collect the invoice by "
             "direct debit on its due date. Your bank reverses a direct debit if you ask within 8 weeks.")),
    Entry("paying", N_("I paid, but the invoice still says I have to pay."),
          N_("A bank transfer takes one or two working days to reach us. Without the payment reference it can take "
             "longer: e-mail us the date and the amount and we will find your payment.")),
    Entry("returns", N_("I sent something back. Do I still have to pay?"),
          N_("Report the return on the invoice, with the tracking code if you have one. The invoice is then on "
             "hold: no reminders and no costs. When the webshop receives the goods, they come off the invoice and "
             "you pay only for what you keep.")),
    Entry("returns", N_("How long may the webshop take to process my return?"),
          N_("The invoice stays on hold for up to %(return_days)s days while the return is on its way. If the "
             "webshop has not processed it by then, open a dispute and we will look into it.")),
    Entry("reminders", N_("Why did I receive a reminder?"),
          N_("We send a reminder when an invoice is not paid by its due date. A reminder costs nothing. If you "
             "paid in the meantime, you can ignore it.")),
    Entry("reminders", N_("What costs can be charged if I pay late?"),
          N_("Only what the law allows. First you receive a free letter that gives you 14 days to pay and states "
             "the exact costs. Only if you do not pay within those 14 days are collection costs (art. 6:96 BW) "
             "and statutory interest (art. 6:119 BW) charged. Every cost is listed on your invoice with how it "
             "was computed.")),
    Entry("reminders", N_("I cannot pay. Where can I get help?"),
          N_("Ask for a payment plan on the invoice, or contact us: we would rather agree on something that works "
             "for you. Your municipality offers free and confidential help with debts.")),
    Entry("disputes", N_("Something is wrong with my order. What do I do?"),
          N_("First ask the webshop: most problems are solved that way. If the webshop has not solved it within "
             "%(wait_days)s working days, open a dispute on the invoice. While the dispute runs, the invoice is "
             "on hold.")),
    Entry("disputes", N_("What happens after I open a dispute?"),
          N_("The webshop gets %(merchant_days)s days to answer with its evidence. If it does not agree with you, "
             "a mediator looks at both sides and decides within %(decision_days)s days, with written reasons. You "
             "follow everything on the case page and can add information and evidence there.")),
    Entry("disputes", N_("Someone ordered in my name. What do I do?"),
          N_("Open a dispute with the reason that you did not place the order. You do not need to ask the webshop "
             "first. Please also report identity fraud to the police.")),
    Entry("disputes", N_("Can I withdraw a dispute?"),
          N_("Yes, as long as it runs. The invoice then runs again, and you get time to pay.")),
    Entry("paying", N_("My order was cancelled. Do I have to pay?"),
          N_("No. You only get an invoice for what the webshop sent you. My purchases shows a cancelled order as "
             "\"Cancelled: you pay nothing\"; if part of an order was cancelled after we sent the invoice, we "
             "e-mail you which items, and they are not on it."),
          N_("cancel cancelled cancellation called off")),
    Entry("paying", N_("When do I get my money back?"),
          N_("If you paid more than you owe, paid twice, or paid for goods you then sent back, we transfer the "
             "difference to the account you paid from within a few working days. The invoice shows what we owe "
             "you until it is paid back."),
          N_("refund repayment money back reimburse overpaid")),
    Entry("returns", N_("I already paid and then sent something back. What happens?"),
          N_("Report the return on the invoice. When the webshop receives the goods, a credit note takes them off "
             "the invoice and we pay you back what you paid too much, to the account you paid from."),
          N_("refund return after paying money back")),
    Entry("paying", N_("Who are you, and why is the invoice not from the webshop?"),
          N_("The webshop lets you pay later through us: we send the invoice, you pay it to us, and we pay the "
             "webshop. Questions about the goods go to the webshop; questions about the invoice and paying come "
             "to us."),
          N_("who provider company unknown sender why invoice")),
    Entry("reminders", N_("Why did I get this letter?"),
          N_("It is about an invoice that is past its due date. A reminder costs nothing. The 14-day letter gives "
             "you 14 days to pay before costs are added and names them exactly; the invoice page says the last "
             "day. If you have paid, or cannot pay, tell us: we would rather agree on something that works."),
          N_("letter reminder notice demand")),
)


@dataclass(frozen=True)
class Shown:
    """An entry in the reader's language, with the configured numbers filled in."""

    topic: str
    question: str
    answer: str


def numbers(settings) -> dict[str, int]:
    """The configured numbers the answers mention."""
    return {"extension_days": settings.consumer_extension_days, "return_days": settings.return_pause_days,
            "wait_days": settings.disputes.wait_working_days, "merchant_days": settings.disputes.merchant_days,
            "decision_days": settings.disputes.decision_days}


def search(settings, query: str | None) -> list[tuple[str, list[Shown]]]:
    """The entries matching every word of the query (all without one), grouped by topic."""
    values = numbers(settings)
    words = _folded(query or "").split()
    found: dict[str, list[Shown]] = {}
    for entry in ENTRIES:
        shown = Shown(gettext(TOPICS[entry.topic]), gettext(entry.question) % values, gettext(entry.answer) % values)
        text = _folded(f"{shown.question} {shown.answer} {gettext(entry.synonyms) if entry.synonyms else ''}")
        if all(word in text for word in words):
            found.setdefault(entry.topic, []).append(shown)
    return [(gettext(TOPICS[topic]), found[topic]) for topic in TOPICS if topic in found]


# Longer words that say nothing of what a question is about (English, Dutch, German).
_FILLERS = frozenset("""with that this have your what when from there they were does will would could about
still also heeft niet maar voor mijn deze naar over zijn wordt kunnen eine einen nicht habe meine oder wenn""".split())


def suggest(settings, text: str | None, *, limit: int = 3, least: int = 3) -> list[Shown]:
    """The entries that answer a question written in one's own words: those sharing at least
    ``least`` of its telling words (4 letters and up, no fillers), most shared first."""
    values = numbers(settings)
    words = {word.strip("?!.,:;()\"'") for word in _folded(text or "").split()}
    words = {word for word in words if len(word) >= 4 and word not in _FILLERS}
    scored = []
    for position, entry in enumerate(ENTRIES):
        shown = Shown(gettext(TOPICS[entry.topic]), gettext(entry.question) % values, gettext(entry.answer) % values)
        found = set(_folded(f"{shown.question} {shown.answer}").replace("?", " ").replace(",", " ")
                    .replace(".", " ").split())
        shared = len(words & found)
        if shared >= least:
            scored.append((-shared, position, shown))
    return [shown for _, _, shown in sorted(scored)[:limit]]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
