"""Order arithmetic: line amounts rounded per line, half up, to the currency's minor unit."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from oms.money import ZERO, quantize


@dataclass(frozen=True)
class LineAmounts:
    gross_before_discount: Decimal  # unit price × quantity, as priced
    discount: Decimal
    tax: Decimal
    total: Decimal  # what the customer pays for the line, tax included


def tax_rate_for(*, tax_class: str, country: str = "") -> Decimal:
    """Tax rate for a product's tax class shipped to `country`: the payments tax table, else the settings default."""
    from payments.selectors import tax_rate_lookup  # payments: destination-based rates

    rate = tax_rate_lookup(tax_class=tax_class, country=country)
    if rate is not None:
        return rate
    return Decimal(settings.OMS_TAX_RATES.get(tax_class, "0"))


def line_amounts(
    *, unit_price: Decimal, quantity: int, discount: Decimal, tax_rate: Decimal, currency: str,
    prices_include_tax: bool | None = None,
) -> LineAmounts:
    if prices_include_tax is None:
        prices_include_tax = settings.OMS_PRICES_INCLUDE_TAX
    priced = quantize(unit_price * quantity, currency)
    discount = quantize(discount or ZERO, currency)
    if discount < ZERO or discount > priced:
        raise ValueError("A line discount must be between zero and the line's price.")
    after_discount = priced - discount
    if prices_include_tax:
        tax = quantize(after_discount * tax_rate / (1 + tax_rate), currency)
        total = after_discount
    else:
        tax = quantize(after_discount * tax_rate, currency)
        total = after_discount + tax
    return LineAmounts(gross_before_discount=priced, discount=discount, tax=tax, total=total)


def units_of_line(line, units: int, currency: str) -> LineAmounts:
    """`units` of an order line as the order priced it: the unit price times the units, the line's
    discount in proportion, tax (inside or on top of the price, as on the line) rounded per line.
    All the line's units are the line's own amounts, so shares taken in turns add up to the line."""
    if units == line.quantity:
        return LineAmounts(gross_before_discount=quantize(line.unit_price * units, currency),
                           discount=line.discount_amount, tax=line.tax_amount, total=line.line_total)
    if units == 0:
        return LineAmounts(gross_before_discount=ZERO, discount=ZERO, tax=ZERO, total=ZERO)
    priced = quantize(line.unit_price * line.quantity, currency)
    return line_amounts(unit_price=line.unit_price, quantity=units,
                        discount=line.discount_amount * units / line.quantity, tax_rate=line.tax_rate,
                        currency=currency, prices_include_tax=line.line_total == priced - line.discount_amount)


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal


def order_totals(*, lines: list[LineAmounts], shipping: Decimal, currency: str) -> OrderTotals:
    shipping = quantize(shipping or ZERO, currency)
    if shipping < ZERO:
        raise ValueError("Shipping cannot be negative.")
    return OrderTotals(
        subtotal=sum((l.gross_before_discount for l in lines), ZERO),
        discount_total=sum((l.discount for l in lines), ZERO),
        shipping_total=shipping,
        tax_total=sum((l.tax for l in lines), ZERO),
        total=sum((l.total for l in lines), ZERO) + shipping,
    )
