"""Order arithmetic: line amounts rounded per line, half up, to the currency's minor unit."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from oms.money import ZERO, quantize

# The money columns hold 14 digits with 2 decimals: refuse, clearly, what could not be stored.
MAX_ORDER_AMOUNT = Decimal("999999999.99")


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
    zero = quantize(ZERO, currency)  # no lines still reads 0.00
    return OrderTotals(
        subtotal=sum((l.gross_before_discount for l in lines), zero),
        discount_total=sum((l.discount for l in lines), zero),
        shipping_total=shipping,
        tax_total=sum((l.tax for l in lines), zero),
        total=sum((l.total for l in lines), zero) + shipping,
    )


class TaxRates:
    """The tax rates of one destination, looked up once per tax class however many lines ask."""

    def __init__(self, *, country: str):
        self.country = country
        self._by_class: dict[str, Decimal] = {}

    def for_product(self, product) -> Decimal:
        if product.tax_class not in self._by_class:
            self._by_class[product.tax_class] = tax_rate_for(tax_class=product.tax_class, country=self.country)
        return self._by_class[product.tax_class]


@dataclass(frozen=True)
class PricedLine:
    unit_price: Decimal
    tax_rate: Decimal
    amounts: LineAmounts


def line_priced(*, product, quantity: int, unit_price: Decimal | None, discount: Decimal | None, rates: TaxRates,
                currency: str) -> PricedLine:
    """A new line priced as an order is: its own unit price, else the product's catalogue price.

    Raises ValueError for a line no order could hold (a discount above its price, an amount too large).
    """
    price = product.unit_price if unit_price is None else unit_price
    if price * quantity > MAX_ORDER_AMOUNT:
        raise ValueError("the amount is larger than an order can hold.")
    rate = rates.for_product(product)
    amounts = line_amounts(unit_price=price, quantity=quantity, discount=discount or ZERO, tax_rate=rate,
                           currency=currency)
    return PricedLine(unit_price=price, tax_rate=rate, amounts=amounts)


@dataclass(frozen=True)
class EntryQuote:
    """The running total of an order being entered, and how many of its lines it left out."""

    totals: OrderTotals
    currency: str
    lines_counted: int
    lines_left_out: int


def entry_quote(*, lines: Iterable, left_out: int = 0, shipping: Decimal | None, country: str,
                currency: str) -> EntryQuote:
    """Price `lines` (each with product, quantity, unit_price, discount) the way entering the order
    will; a line the order would refuse is left out of the total rather than failing it."""
    rates = TaxRates(country=country)
    amounts = []
    for line in lines:
        try:
            amounts.append(line_priced(product=line.product, quantity=line.quantity, unit_price=line.unit_price,
                                       discount=line.discount, rates=rates, currency=currency).amounts)
        except (ValueError, ArithmeticError):
            left_out += 1
    shipping = shipping if shipping is not None and ZERO <= shipping <= MAX_ORDER_AMOUNT else ZERO
    return EntryQuote(totals=order_totals(lines=amounts, shipping=shipping, currency=currency), currency=currency,
                      lines_counted=len(amounts), lines_left_out=left_out)
