"""Money helpers: amounts are Decimal, rounded half up to the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

ZERO = Decimal("0")


def minor_units(currency: str) -> int:
    try:
        return settings.OMS_CURRENCIES[currency]
    except KeyError:
        raise ValueError(f"Unknown currency {currency!r}.") from None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up (1.005 USD -> 1.01)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.OMS_CURRENCIES]
