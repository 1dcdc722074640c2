"""The interface every payment gateway adapter implements.

Every call carries an idempotency key: the provider must answer a repeated key with
the first answer and never move money twice. A call that gets no answer in time
raises `GatewayTimeout`; the outcome is then unknown and the caller retries later
with the same key.
"""

import abc
from dataclasses import asdict, dataclass
from decimal import Decimal


class GatewayTimeout(Exception):
    """The gateway did not answer in time: the operation may or may not have happened.

    `code` and `staff_message` say why the outcome is unknown (a server error, an answer
    that could not be read) when it was not simply a timeout.
    """

    def __init__(self, message: str = "", *, code: str = "timeout", staff_message: str = ""):
        super().__init__(message)
        self.code = code
        self.staff_message = staff_message


class GatewayError(ValueError):
    """The payment details cannot be used (e.g. an invalid card number)."""


@dataclass(frozen=True)
class GatewayResult:
    success: bool
    reference: str = ""
    error_code: str = ""
    error_message: str = ""
    # No usable answer: the call may have happened; retried with the same key.
    unknown: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CardToken:
    """What the OMS keeps of a card: the provider's token and the last four digits."""

    token: str
    last4: str


class PaymentGateway(abc.ABC):
    name: str = "gateway"
    # "number": staff type the card number and `tokenize` exchanges it; "payment_method": the
    # provider's script in the browser turns the card into a payment method id, and
    # `payment_method_card` looks it up (no card number ever reaches the OMS).
    card_entry: str = "number"

    @abc.abstractmethod
    def tokenize(self, *, card_number: str) -> CardToken:
        """Exchange card details for a reusable token (raises GatewayError)."""

    def payment_method_card(self, *, payment_method: str) -> CardToken:
        """The card behind a payment method id made by the provider's script (raises GatewayError)."""
        raise GatewayError("This payment gateway takes card numbers, not payment method ids.")

    @abc.abstractmethod
    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str) -> GatewayResult:
        """Reserve `amount` on the payment source (a token)."""

    def authorize_increase(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str,
                           reference: str, authorized: Decimal) -> GatewayResult:
        """Reserve `amount` more for the authorization `reference`, which holds `authorized` (an order
        grew). By default a second authorization on the source, for gateways whose captures take both."""
        return self.authorize(amount=amount, currency=currency, idempotency_key=idempotency_key, source=source)

    @abc.abstractmethod
    def capture(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str,
                final: bool = True) -> GatewayResult:
        """Take `amount` of the authorization `reference`; `final=False` keeps the rest open for
        later captures (a partly shipped order), `final=True` ends the authorization."""

    @abc.abstractmethod
    def void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Release the authorization `reference` without taking money."""

    def partial_void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Release `amount` of the authorization `reference` and keep the rest (an order became smaller)."""
        return self.void(amount=amount, currency=currency, idempotency_key=idempotency_key, reference=reference)

    @abc.abstractmethod
    def refund(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Give back `amount` of what was captured on the authorization `reference`."""
