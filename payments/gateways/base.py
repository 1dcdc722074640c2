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
    """The gateway did not answer in time: the operation may or may not have happened."""


class GatewayError(ValueError):
    """The payment details cannot be used (e.g. an invalid card number)."""


@dataclass(frozen=True)
class GatewayResult:
    success: bool
    reference: str = ""
    error_code: str = ""
    error_message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CardToken:
    """What the OMS keeps of a card: the provider's token and the last four digits."""

    token: str
    last4: str


class PaymentGateway(abc.ABC):
    name: str = "gateway"

    @abc.abstractmethod
    def tokenize(self, *, card_number: str) -> CardToken:
        """Exchange card details for a reusable token (raises GatewayError)."""

    @abc.abstractmethod
    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str, source: str) -> GatewayResult:
        """Reserve `amount` on the payment source (a token)."""

    @abc.abstractmethod
    def capture(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Take `amount` of the authorization `reference`."""

    @abc.abstractmethod
    def void(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Release the authorization `reference` without taking money."""

    @abc.abstractmethod
    def refund(self, *, amount: Decimal, currency: str, idempotency_key: str, reference: str) -> GatewayResult:
        """Give back `amount` of what was captured on the authorization `reference`."""
