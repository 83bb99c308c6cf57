"""Plain texts for the reason codes: for the consumer in nl, en and de, and for the webshop
in English. A webshop's text never names another webshop or what the consumer owes
elsewhere: it says what kind of reason it is, with this order's own amounts only."""
from __future__ import annotations

import functools

from bnpl.i18n import format_money

WEBSHOP = "webshop"
LANGUAGES = ("nl", "en", "de")

TEXTS: dict[str, dict[str, str]] = {
    "minimum_age_met": {
        WEBSHOP: "The consumer is {minimum_age} or older.",
        "nl": "U bent {minimum_age} jaar of ouder.",
        "en": "You are {minimum_age} or older.",
        "de": "Sie sind {minimum_age} Jahre oder älter."},
    "under_minimum_age": {
        WEBSHOP: "The consumer is younger than {minimum_age}.",
        "nl": "Achteraf betalen kan vanaf {minimum_age} jaar.",
        "en": "Paying later is possible from the age of {minimum_age}.",
        "de": "Der Kauf auf Rechnung ist ab {minimum_age} Jahren möglich."},
    "amount_above_limit": {
        WEBSHOP: "The order total {amount} is above your limit of {limit} per order.",
        "nl": "Het bedrag van {amount} is hoger dan deze webwinkel achteraf laat betalen ({limit}).",
        "en": "The amount of {amount} is more than this webshop lets you pay later ({limit}).",
        "de": "Der Betrag von {amount} ist höher als das, was dieser Shop auf Rechnung erlaubt ({limit})."},
    "no_overdue_invoices": {
        WEBSHOP: "The consumer has no overdue invoices with us.",
        "nl": "U heeft geen openstaande facturen waarvan de betaaltermijn voorbij is.",
        "en": "You have no invoices past their due date.",
        "de": "Sie haben keine überfälligen Rechnungen."},
    "overdue_invoices": {
        WEBSHOP: "The consumer has an invoice with us that is past its due date.",
        "nl": "U heeft een factuur bij ons waarvan de betaaltermijn voorbij is. Na betaling kunt u weer achteraf betalen.",
        "en": "You have an invoice with us that is past its due date. Once it is paid you can pay later again.",
        "de": "Sie haben eine überfällige Rechnung bei uns. Nach deren Bezahlung ist der Kauf auf Rechnung wieder möglich."},
    "overdue_within_grace": {
        WEBSHOP: "The consumer has an invoice with us that is a few days past its due date.",
        "nl": "Een factuur van u is kort geleden vervallen; betaal die snel, want na {days} dagen kunt u niet meer achteraf betalen.",
        "en": "An invoice of yours has just passed its due date; please pay it soon, as after {days} days you can no longer pay later.",
        "de": "Eine Rechnung von Ihnen ist gerade fällig geworden; bitte zahlen Sie bald, denn nach {days} Tagen ist der Kauf auf Rechnung nicht mehr möglich."},
    "handed_over": {
        WEBSHOP: "The consumer has an unpaid invoice that was handed over for collection.",
        "nl": "Een onbetaalde factuur van u is uit handen gegeven aan een incassobureau.",
        "en": "An unpaid invoice of yours was handed over to a collection agency.",
        "de": "Eine unbezahlte Rechnung von Ihnen wurde an ein Inkassobüro übergeben."},
    "fraud_on_record": {
        WEBSHOP: "We do not offer paying later to this consumer.",
        "nl": "Wij bieden u achteraf betalen niet meer aan na een eerdere beslissing over misbruik. U kunt om een herbeoordeling vragen.",
        "en": "We no longer offer you paying later after an earlier decision about misuse. You can ask for a review.",
        "de": "Nach einer früheren Entscheidung wegen Missbrauchs bieten wir Ihnen den Kauf auf Rechnung nicht mehr an. Sie können eine Überprüfung verlangen."},
    "limit_closed": {
        WEBSHOP: "We do not offer paying later to this consumer at the moment.",
        "nl": "Uw bestedingsruimte is gesloten. U kunt om een herbeoordeling vragen.",
        "en": "Your spending room is closed. You can ask for a review.",
        "de": "Ihr Ausgaberahmen ist geschlossen. Sie können eine Überprüfung verlangen."},
    "within_room": {
        WEBSHOP: "The order total {amount} fits what the consumer may have open with us.",
        "nl": "Het bedrag van {amount} past binnen uw bestedingsruimte.",
        "en": "The amount of {amount} fits within your spending room.",
        "de": "Der Betrag von {amount} passt in Ihren Ausgaberahmen."},
    "above_room_unverified": {
        WEBSHOP: "The order total {amount} is more than we let a consumer have open before they identify through their bank.",
        "nl": "Het bedrag van {amount} is hoger dan uw bestedingsruimte zolang wij u niet kennen. Na identificatie via uw bank kan het wel.",
        "en": "The amount of {amount} is more than your spending room while we do not know you yet. Identify through your bank and it can go ahead.",
        "de": "Der Betrag von {amount} übersteigt Ihren Ausgaberahmen, solange wir Sie nicht kennen. Nach einer Identifizierung über Ihre Bank ist er möglich."},
    "above_room": {
        WEBSHOP: "The order total {amount} is more than the consumer may currently have open with us.",
        "nl": "Het bedrag van {amount} is hoger dan uw bestedingsruimte op dit moment. Elke op tijd betaalde factuur vergroot die ruimte.",
        "en": "The amount of {amount} is more than your spending room at the moment. Every invoice paid on time makes it larger.",
        "de": "Der Betrag von {amount} übersteigt derzeit Ihren Ausgaberahmen. Jede pünktlich bezahlte Rechnung vergrößert ihn."},
    "orders_at_many_webshops": {
        WEBSHOP: "The consumer is new to us and ordered at several other webshops in the last two weeks.",
        "nl": "U heeft de afgelopen twee weken bij meerdere webwinkels achteraf besteld. Zodra u een factuur heeft betaald, kan het weer.",
        "en": "You ordered to pay later at several webshops in the last two weeks. Once you have paid an invoice, you can again.",
        "de": "Sie haben in den letzten zwei Wochen bei mehreren Shops auf Rechnung bestellt. Sobald Sie eine Rechnung bezahlt haben, ist es wieder möglich."},
    "many_orders": {
        WEBSHOP: "The consumer placed an unusual number of orders with us in a short time.",
        "nl": "U heeft in korte tijd ongebruikelijk veel bestellingen gedaan.",
        "en": "You placed an unusual number of orders in a short time.",
        "de": "Sie haben in kurzer Zeit ungewöhnlich viele Bestellungen aufgegeben."},
    "too_many_orders": {
        WEBSHOP: "The consumer placed far more orders with us in one day than we accept.",
        "nl": "U heeft vandaag meer bestellingen gedaan dan wij achteraf laten betalen. Probeer het morgen opnieuw.",
        "en": "You placed more orders today than we let you pay later. Please try again tomorrow.",
        "de": "Sie haben heute mehr Bestellungen aufgegeben, als wir auf Rechnung annehmen. Bitte versuchen Sie es morgen erneut."},
    "many_orders_same_identifier": {
        WEBSHOP: "Many orders came from this device, phone number or address in a short time.",
        "nl": "Vanaf dit apparaat, telefoonnummer of adres zijn in korte tijd veel bestellingen gedaan.",
        "en": "Many orders came from this device, phone number or address in a short time.",
        "de": "Von diesem Gerät, dieser Telefonnummer oder Adresse kamen in kurzer Zeit viele Bestellungen."},
    "shares_identifiers_with_fraud": {
        WEBSHOP: "The order shares a phone number, address or device with earlier misuse.",
        "nl": "Uw telefoonnummer, adres of apparaat is eerder bij misbruik gebruikt.",
        "en": "Your phone number, address or device was used in earlier misuse.",
        "de": "Ihre Telefonnummer, Adresse oder Ihr Gerät wurde bereits bei einem Missbrauch verwendet."},
    "new_device_and_address": {
        WEBSHOP: "A known consumer ordered from a new device to a new delivery address.",
        "nl": "U bestelt vanaf een nieuw apparaat naar een nieuw afleveradres. Bevestig via uw bank dat u het bent.",
        "en": "You are ordering from a new device to a new delivery address. Confirm through your bank that it is you.",
        "de": "Sie bestellen von einem neuen Gerät an eine neue Lieferadresse. Bestätigen Sie über Ihre Bank, dass Sie es sind."},
    "identifiers_shared_recently": {
        WEBSHOP: "This phone number, device or address was used by other consumers this week.",
        "nl": "Uw telefoonnummer, apparaat of adres is deze week ook door anderen gebruikt. Bevestig via uw bank dat u het bent.",
        "en": "Your phone number, device or address was also used by others this week. Confirm through your bank that it is you.",
        "de": "Ihre Telefonnummer, Ihr Gerät oder Ihre Adresse wurde diese Woche auch von anderen verwendet. Bestätigen Sie über Ihre Bank, dass Sie es sind."},
    "fresh_identity_high_risk_goods": {
        WEBSHOP: "A consumer new to us ordered goods you marked as high-risk.",
        "nl": "Voor deze artikelen vragen wij nieuwe klanten zich eenmalig via hun bank te identificeren.",
        "en": "For these goods we ask new customers to identify once through their bank.",
        "de": "Für diese Artikel bitten wir neue Kunden, sich einmalig über ihre Bank zu identifizieren."},
    "identity_verified": {
        WEBSHOP: "The consumer identified through their bank.",
        "nl": "U heeft zich via uw bank geïdentificeerd.",
        "en": "You identified through your bank.",
        "de": "Sie haben sich über Ihre Bank identifiziert."},
    "identity_not_verified": {
        WEBSHOP: "The consumer did not complete the identification through their bank.",
        "nl": "De identificatie via uw bank is niet gelukt.",
        "en": "The identification through your bank did not succeed.",
        "de": "Die Identifizierung über Ihre Bank ist nicht gelungen."},
    "verification_unavailable": {
        WEBSHOP: "Identification through a bank is not available for this order.",
        "nl": "Identificatie via uw bank is voor deze bestelling niet beschikbaar.",
        "en": "Identification through your bank is not available for this order.",
        "de": "Eine Identifizierung über Ihre Bank ist für diese Bestellung nicht verfügbar."},
    # Not a rule's reason: a person changed a decline on the consumer's request (CCD2).
    "accepted_on_review": {
        WEBSHOP: "A person at the provider reviewed the decline on the consumer's request and accepted the order.",
        "nl": "Een medewerker heeft de beslissing op uw verzoek opnieuw bekeken en de bestelling alsnog geaccepteerd.",
        "en": "A member of our staff reviewed the decision at your request and accepted the order after all.",
        "de": "Eine Mitarbeiterin oder ein Mitarbeiter hat die Entscheidung auf Ihren Wunsch überprüft und die Bestellung doch angenommen."},
}

_MONEY = {"amount", "limit"}


def text(code: str, params: dict, *, audience: str, currency: str) -> str:
    """The text of one reason for the webshop (audience "webshop") or the consumer (a language)."""
    language = "en" if audience == WEBSHOP else audience
    values = {k: _money(v, currency, language) if k in _MONEY else v for k, v in params.items()}
    return TEXTS[code][audience].format(**values)


@functools.lru_cache(maxsize=4096)
def _money(cents: int, currency: str, language: str) -> str:
    # Babel formats an amount in about 0.1 ms; an order's reasons name the same limits again and again.
    return format_money(cents, currency, language)


def reasons_for(reasons, *, audience: str, currency: str) -> list[dict]:
    """[{code, text}] for the webshop or the consumer."""
    return [{"code": r.code, "text": text(r.code, r.params, audience=audience, currency=currency)} for r in reasons]


# Why a consumer's room is what it is (the portal's "Uw bestedingsruimte").
ROOM_TEXTS: dict[str, dict[str, str]] = {
    "limit": {"nl": "U kunt in totaal {limit} tegelijk open hebben staan, bij alle webwinkels samen.",
              "en": "You can have {limit} open at once, at all webshops together.",
              "de": "Sie können insgesamt {limit} gleichzeitig offen haben, bei allen Shops zusammen."},
    "open": {"nl": "Nu staat er {open} open; er is nog {room} ruimte.",
             "en": "{open} is open now; {room} is left.",
             "de": "Derzeit sind {open} offen; es bleiben {room}."},
    "new": {"nl": "Wij kennen u nog niet zo lang. Elke factuur die u op tijd betaalt, vergroot uw ruimte.",
            "en": "We have not known you for long. Every invoice you pay on time makes your room larger.",
            "de": "Wir kennen Sie noch nicht lange. Jede pünktlich bezahlte Rechnung vergrößert Ihren Rahmen."},
    "grows": {"nl": "U heeft {paid} facturen op tijd betaald; elke volgende vergroot uw ruimte.",
              "en": "You paid {paid} invoices on time; each next one makes your room larger.",
              "de": "Sie haben {paid} Rechnungen pünktlich bezahlt; jede weitere vergrößert Ihren Rahmen."},
    "held": {"nl": "Na een late betaling groeit uw ruimte een tijd niet mee.",
             "en": "After a late payment your room does not grow for a while.",
             "de": "Nach einer verspäteten Zahlung wächst Ihr Rahmen eine Zeit lang nicht."},
    "closed": {"nl": "Uw bestedingsruimte is gesloten na een overdracht aan een incassobureau of een beslissing over misbruik. U kunt om een herbeoordeling vragen.",
               "en": "Your room is closed after a hand-over to a collection agency or a decision about misuse. You can ask for a review.",
               "de": "Ihr Rahmen ist nach einer Übergabe an ein Inkassobüro oder einer Entscheidung wegen Missbrauchs geschlossen. Sie können eine Überprüfung verlangen."},
}
