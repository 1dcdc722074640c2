"""Stripe as the payment gateway: card payments as PaymentIntents with manual capture.

Authorize creates and confirms a PaymentIntent (`capture_method=manual`) on a PaymentMethod
that Stripe.js made in the browser, so no card number reaches the OMS; capture takes part
or all of it (Stripe captures a PaymentIntent once and releases the rest), void cancels
it, refund creates a Refund. Every call sends the payments app's key as Stripe's
`Idempotency-Key`, so a retry after a timeout gets Stripe's first answer, and puts that key
in the object's metadata, so Stripe's webhook can name the call it settles.

Stripe's answers map onto the interface: a decline is a failed result with Stripe's decline
code and a message staff can act on; a request Stripe refuses (4xx) is a failed result; no
answer, a 5xx, a rate limit or an answer that is not the object asked for raise
`GatewayTimeout`: the outcome is unknown, retried with the same key or settled by the webhook.
"""

import re
from decimal import Decimal

import stripe
from django.conf import settings

from oms.money import minor_units
from payments.gateways.base import CardToken, GatewayError, GatewayResult, GatewayTimeout, PaymentGateway

AUTHORIZE_KEY = "oms_authorize_key"
CAPTURE_KEY = "oms_capture_key"
REFUND_KEY = "oms_refund_key"
INCREMENT_KEY = "oms_increment_key"
INCREMENT_REFUSED_MESSAGE = ("Stripe cannot increase this card's authorization; take the difference another way "
                             "(a new order, or a new card once this payment is voided).")
MULTICAPTURE_MESSAGE = ("This card cannot be captured in parts at Stripe (no multicapture): nothing was taken now, "
                        "and the whole order is captured when its last units ship.")
PAYMENT_METHOD_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,200}$")
CONFIGURATION_MESSAGE = ("Stripe refused the OMS's API key; an administrator must check STRIPE_SECRET_KEY. "
                         "Nothing was charged.")
DECLINE_MESSAGES = {
    "generic_decline": "The card was declined.",
    "card_declined": "The card was declined.",
    "do_not_honor": "The card was declined by the bank (do not honor).",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The card's security code is incorrect.",
    "incorrect_number": "The card number is incorrect.",
    "lost_card": "The card was reported lost.",
    "stolen_card": "The card was reported stolen.",
    "fraudulent": "The card was declined as suspected fraud.",
    "processing_error": "The card's bank had a processing error; try again in a moment.",
    "authentication_required": "The bank asks the customer to confirm the payment (3-D Secure), which staff "
                               "cannot do; ask the customer for another card.",
}


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_units(currency)))


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(int(amount)).scaleb(-minor_units(currency))


class StripeGateway(PaymentGateway):
    name = "stripe"
    card_entry = "payment_method"

    def tokenize(self, *, card_number: str) -> CardToken:
        raise GatewayError("With Stripe, cards are entered in Stripe's card field; the OMS takes no card numbers.")

    def payment_method_card(self, *, payment_method: str) -> CardToken:
        if not PAYMENT_METHOD_ID.match(payment_method or ""):
            raise GatewayError("That is not a Stripe payment method; enter the card in Stripe's card field.")
        try:
            answer = self._client().v1.payment_methods.retrieve(payment_method).to_dict()
        except stripe.InvalidRequestError:
            raise GatewayError("Stripe does not know that card; enter it again.") from None
        except (stripe.AuthenticationError, stripe.PermissionError):
            raise GatewayError(CONFIGURATION_MESSAGE) from None
        except stripe.StripeError:
            raise GatewayError("Stripe did not answer; try again in a moment.") from None
        card = answer.get("card") or {}
        if answer.get("object") != "payment_method" or answer.get("type") != "card" or not card.get("last4"):
            raise GatewayError("Stripe did not return a card for that payment method.")
        return CardToken(token=answer["id"], last4=str(card["last4"])[-4:])

    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str) -> GatewayResult:
        if not source:
            return GatewayResult(False, "", "no_card", "No card was given; enter the customer's card on the "
                                                       "payment page.")
        params = {
            "amount": to_minor(amount, currency), "currency": currency.lower(), "payment_method": source,
            "payment_method_types": ["card"], "capture_method": "manual", "confirm": True,
            "payment_method_options": {"card": {"request_incremental_authorization": "if_available",
                                                "request_multicapture": "if_available"}},
            "metadata": {AUTHORIZE_KEY: idempotency_key},
        }
        intent = self._call(lambda client, options: client.v1.payment_intents.create(params, options),
                            idempotency_key, expect="payment_intent")
        if isinstance(intent, GatewayResult):
            return intent
        status = intent.get("status")
        if status in ("requires_capture", "succeeded"):
            return GatewayResult(True, intent["id"])
        if status == "requires_action":
            return GatewayResult(False, intent["id"], "authentication_required",
                                 DECLINE_MESSAGES["authentication_required"])
        if status == "requires_payment_method":
            error = intent.get("last_payment_error") or {}
            return self._decline(error.get("decline_code") or error.get("code") or "card_declined",
                                 error.get("message") or "", intent["id"])
        raise GatewayTimeout(f"PaymentIntent {intent['id']} is {status}", code="processing",
                             staff_message=f"Stripe is still processing the payment ({status}); its webhook or "
                                           "a retry will settle it.")

    def authorize_increase(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str,
                           reference: str, authorized: Decimal) -> GatewayResult:
        """Increment the same PaymentIntent to the new total, so the capture at shipment takes it all.

        Never a second PaymentIntent: the capture would not take it. Where the card or the intent
        does not allow it, the extra authorization is declined and the order stays as it was.
        """
        intent = self._intent_with_charge(reference)
        if isinstance(intent, GatewayResult):
            return intent
        total = to_minor(authorized + amount, currency)
        if intent.get("status") == "requires_capture" and intent.get("amount_capturable", 0) >= total:
            # Stripe keeps the whole hold when an order shrinks (or the first increment's answer was
            # lost): it already covers the new total.
            return GatewayResult(True, intent["id"])
        refusal = _increment_refusal(intent)
        if refusal:
            return GatewayResult(False, intent["id"], "incremental_authorization_unavailable", refusal)
        params = {"amount": total, "metadata": {INCREMENT_KEY: idempotency_key}}
        intent = self._call(lambda client, options: client.v1.payment_intents.increment_authorization(
            reference, params, options), idempotency_key, expect="payment_intent")
        if isinstance(intent, GatewayResult):
            return intent
        if intent.get("amount_capturable", 0) < total:
            return GatewayResult(False, intent["id"], "not_incremented",
                                 f"Stripe did not increase the authorization (it holds "
                                 f"{from_minor(intent.get('amount_capturable', 0), currency)} {currency}).")
        return GatewayResult(True, intent["id"])

    def capture(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str,
                final: bool = True) -> GatewayResult:
        """A capture that is not the last (units still to ship) keeps the rest authorized with
        Stripe's multicapture; where the card has no multicapture it is refused before the call,
        because Stripe would release the rest: the last shipment then captures the whole."""
        params = {"amount_to_capture": to_minor(amount, currency), "final_capture": final,
                  "metadata": {CAPTURE_KEY: idempotency_key}}
        if not final:
            intent = self._intent_with_charge(reference)
            if isinstance(intent, GatewayResult):
                return intent
            if _card_feature(intent, "multicapture") != "available":
                return GatewayResult(False, intent["id"], "multicapture_unavailable", MULTICAPTURE_MESSAGE)
        return self._intent_step(
            lambda client, options: client.v1.payment_intents.capture(reference, params, options), idempotency_key,
            reaches=("succeeded",) if final else ("requires_capture", "succeeded"),
            failure=("not_captured", "capture the payment"), reference_of=_charge_of)

    def void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        return self._intent_step(
            lambda client, options: client.v1.payment_intents.cancel(reference, None, options), idempotency_key,
            reaches=("canceled",), failure=("not_canceled", "cancel the authorization"),
            reference_of=lambda intent: intent["id"])

    def partial_void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Stripe cannot shrink an authorization: the smaller capture releases the rest at once."""
        return GatewayResult(True, reference)

    def refund(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        params = {"payment_intent": reference, "amount": to_minor(amount, currency),
                  "metadata": {REFUND_KEY: idempotency_key}}
        refund = self._call(lambda client, options: client.v1.refunds.create(params, options),
                            idempotency_key, expect="refund")
        if isinstance(refund, GatewayResult):
            return refund
        if refund.get("status") in ("failed", "canceled"):
            reason = (refund.get("failure_reason") or "refused").replace("_", " ")
            return GatewayResult(False, refund["id"], "refund_failed", f"Stripe could not refund: {reason}.")
        return GatewayResult(True, refund["id"])

    # -- internals ------------------------------------------------------------------

    @staticmethod
    def _client() -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=0, http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
        )

    def _call(self, request, idempotency_key: str, *, expect: str):
        """Stripe's object, or a failed GatewayResult; raises GatewayTimeout when the outcome is unknown."""
        if not settings.STRIPE_SECRET_KEY:
            return GatewayResult(False, "", "gateway_configuration", "Stripe is not configured (STRIPE_SECRET_KEY).")
        try:
            answer = request(self._client(), {"idempotency_key": idempotency_key}).to_dict()
        except stripe.CardError as exc:
            error = _error_body(exc)
            code = error.get("decline_code") or exc.code or "card_declined"
            return self._decline(code, exc.user_message or "", _intent_of(error))
        except (stripe.AuthenticationError, stripe.PermissionError):
            return GatewayResult(False, "", "gateway_configuration", CONFIGURATION_MESSAGE)
        except stripe.IdempotencyError:
            return GatewayResult(False, "", "idempotency_key_reused",
                                 "Stripe has already seen this request with other details; nothing was done.")
        except stripe.RateLimitError:
            raise GatewayTimeout("rate limited", code="rate_limited",
                                 staff_message="Stripe asked us to slow down; the call is retried later.") from None
        except stripe.InvalidRequestError as exc:
            return GatewayResult(False, "", (exc.code or "invalid_request")[:50],
                                 f"Stripe refused the request: {exc.user_message or 'invalid request'}")
        except stripe.APIConnectionError:
            raise GatewayTimeout("no answer from Stripe", code="timeout") from None
        except stripe.StripeError as exc:  # a 5xx, or an answer that is not JSON
            raise GatewayTimeout(f"Stripe error {exc.http_status}", code="gateway_error",
                                 staff_message=f"Stripe answered with an error ({exc.http_status or 'unreadable'}); "
                                               "the outcome is unknown and the call is retried.") from None
        if answer.get("object") != expect or not answer.get("id"):
            raise GatewayTimeout(f"expected a {expect}", code="malformed_answer",
                                 staff_message=f"Stripe's answer was not a {expect.replace('_', ' ')}; the outcome "
                                               "is unknown and the call is retried.")
        return answer

    def _intent_with_charge(self, reference: str):
        """The PaymentIntent with its charge, to read what Stripe granted the card (a read: no key)."""
        return self._call(lambda client, options: client.v1.payment_intents.retrieve(
            reference, {"expand": ["latest_charge"]}), "", expect="payment_intent")

    def _intent_step(self, request, idempotency_key: str, *, reaches: tuple[str, ...], failure: tuple[str, str],
                     reference_of) -> GatewayResult:
        """A capture or a cancel: done when the PaymentIntent Stripe answers with is in `reaches`
        (a capture that is not the last leaves it awaiting the next one, unless it took all)."""
        intent = self._call(request, idempotency_key, expect="payment_intent")
        if isinstance(intent, GatewayResult):
            return intent
        if intent.get("status") not in reaches:
            code, what = failure
            return GatewayResult(False, intent["id"], code, f"Stripe did not {what} (it is {intent.get('status')}).")
        return GatewayResult(True, reference_of(intent))

    @staticmethod
    def _decline(code: str, message: str, reference: str = "") -> GatewayResult:
        staff_message = DECLINE_MESSAGES.get(code) or f"The card was declined ({code}). {message}".strip()
        return GatewayResult(False, reference, code[:50], staff_message)


def _error_body(exc: stripe.StripeError) -> dict:
    body = exc.json_body.get("error") if isinstance(exc.json_body, dict) else None
    return body if isinstance(body, dict) else {}


def _intent_of(error: dict) -> str:
    intent = error.get("payment_intent")
    if isinstance(intent, dict):
        return intent.get("id", "")
    return intent or ""


def _card_feature(intent: dict, feature: str) -> str:
    """`available` or `unavailable`: what Stripe granted the card of the intent's charge."""
    charge = intent.get("latest_charge")
    card = ((charge.get("payment_method_details") or {}).get("card") or {}) if isinstance(charge, dict) else {}
    return (card.get(feature) or {}).get("status") or "unavailable"


def _increment_refusal(intent: dict) -> str:
    if intent.get("status") != "requires_capture":
        return f"Stripe can only increase an authorization that awaits capture; this one is {intent.get('status')}."
    if intent.get("amount_received"):
        return ("Part of this payment was already captured, and Stripe cannot increase an authorization after a "
                "capture; take the difference another way.")
    if _card_feature(intent, "incremental_authorization") != "available":
        return INCREMENT_REFUSED_MESSAGE
    return ""


def _charge_of(intent) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    return charge or intent["id"]
