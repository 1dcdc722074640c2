"""A built-in gateway that behaves like a real one, for development, demos and tests.

Test card numbers (any other Luhn-valid number is approved):

    4242424242424242  approved
    4000000000000002  declined (card_declined)
    4000000000009995  declined (insufficient_funds)
    4000000000000069  declined (expired_card)
    4100000000000019  declined (fraudulent: suspected fraud)
    4000000000000119  slow: the authorization goes through, but the answer arrives after
                      the timeout (`OMS_SIMULATED_GATEWAY_DELAY` seconds, then GatewayTimeout);
                      a retry with the same idempotency key returns the approval

It is idempotent per key, like a real provider: it remembers every answer in the
`SimulatedGatewayCall` table, and a repeated key gets the first answer back.
"""

import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from payments.gateways.base import CardToken, GatewayError, GatewayResult, GatewayTimeout, PaymentGateway

APPROVED = "approved"
SLOW = "slow"
TEST_CARDS = {
    "4242424242424242": APPROVED,
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4100000000000019": "fraudulent",
    "4000000000000119": SLOW,
}
DECLINE_MESSAGES = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "fraudulent": "The card was declined as suspected fraud.",
}
TOKEN_PREFIX = "sim_"


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class SimulatedGateway(PaymentGateway):
    name = "simulated"

    def tokenize(self, *, card_number: str) -> CardToken:
        digits = "".join(c for c in card_number if not c.isspace() and c != "-")
        if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
            raise GatewayError("That is not a valid card number.")
        behaviour = TEST_CARDS.get(digits, APPROVED)
        return CardToken(token=f"{TOKEN_PREFIX}{behaviour}_{digits[-4:]}", last4=digits[-4:])

    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str) -> GatewayResult:
        behaviour = self._behaviour(source)

        def answer() -> GatewayResult:
            if behaviour in (APPROVED, SLOW):
                return self._approved("auth", idempotency_key)
            if behaviour in DECLINE_MESSAGES:
                return GatewayResult(False, self._reference("auth", idempotency_key), behaviour,
                                     DECLINE_MESSAGES[behaviour])
            return GatewayResult(False, "", "invalid_source", "Unknown payment source.")

        result = self._once("authorize", idempotency_key, amount, currency, answer)
        if behaviour == SLOW and result.get("_first"):
            time.sleep(settings.OMS_SIMULATED_GATEWAY_DELAY)
            raise GatewayTimeout("The simulated gateway did not answer in time.")
        return _result(result)

    def capture(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str,
                final: bool = True) -> GatewayResult:
        return _result(self._once("capture", idempotency_key, amount, currency,
                                  lambda: self._on_reference("capture", idempotency_key, reference)))

    def void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        return _result(self._once("void", idempotency_key, amount, currency,
                                  lambda: self._on_reference("void", idempotency_key, reference)))

    def refund(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        return _result(self._once("refund", idempotency_key, amount, currency,
                                  lambda: self._on_reference("refund", idempotency_key, reference)))

    # -- internals ------------------------------------------------------------------

    @staticmethod
    def _behaviour(source: str) -> str:
        if not source:
            # Orders taken without card details (phone orders in a demo) pass, if allowed.
            return APPROVED if settings.OMS_SIMULATED_GATEWAY_ACCEPT_EMPTY_SOURCE else "invalid_source"
        if not source.startswith(TOKEN_PREFIX):
            return "invalid_source"
        return source[len(TOKEN_PREFIX):].rsplit("_", 1)[0]

    @staticmethod
    def _reference(prefix: str, key: str) -> str:
        return f"{TOKEN_PREFIX}{prefix}_{uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:20]}"

    def _approved(self, prefix: str, key: str) -> GatewayResult:
        return GatewayResult(True, self._reference(prefix, key))

    def _on_reference(self, prefix: str, key: str, reference: str) -> GatewayResult:
        if not reference.startswith(TOKEN_PREFIX):
            return GatewayResult(False, "", "unknown_reference", "The gateway does not know that authorization.")
        return self._approved(prefix, key)

    def _once(self, operation: str, key: str, amount: Decimal, currency: str, answer) -> dict:
        from payments.models import SimulatedGatewayCall

        if amount is None or amount < 0:
            return GatewayResult(False, "", "invalid_amount", "The amount must not be negative.").as_dict()
        stored = SimulatedGatewayCall.objects.filter(idempotency_key=key).first()
        if stored is None:
            response = answer().as_dict()
            try:
                with transaction.atomic():
                    SimulatedGatewayCall.objects.create(idempotency_key=key, operation=operation, amount=amount,
                                                        currency=currency, response=response)
                return {**response, "_first": True}
            except IntegrityError:
                stored = SimulatedGatewayCall.objects.get(idempotency_key=key)
        if stored.operation != operation or stored.amount != amount or stored.currency != currency:
            return GatewayResult(False, "", "idempotency_key_reused",
                                 "The idempotency key was already used for a different request.").as_dict()
        return stored.response


def _result(response: dict) -> GatewayResult:
    return GatewayResult(**{k: v for k, v in response.items() if not k.startswith("_")})
