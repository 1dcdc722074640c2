"""Totals come from the lines, rounded per line, half up, to the currency's minor unit."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from oms.money import quantize
from orders.models import Order
from orders.pricing import line_amounts, order_totals, units_of_line
from tests.factories import ProductFactory, make_order

D = Decimal


def test_rounding_is_half_up_to_the_minor_unit():
    assert quantize(D("1.005"), "USD") == D("1.01")
    assert quantize(D("1.004"), "USD") == D("1.00")
    assert quantize(D("2.5"), "JPY") == D("3")
    assert quantize(D("0.0005"), "KWD") == D("0.001")


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="Unknown currency"):
        quantize(D("1"), "XXX")


def test_net_prices_add_tax_per_line():
    amounts = line_amounts(unit_price=D("9.99"), quantity=3, discount=D("0"), tax_rate=D("0.0800"), currency="USD",
                           prices_include_tax=False)
    # 29.97 × 8 % = 2.3976 → 2.40
    assert (amounts.gross_before_discount, amounts.tax, amounts.total) == (D("29.97"), D("2.40"), D("32.37"))


def test_gross_prices_carry_their_tax_inside():
    amounts = line_amounts(unit_price=D("10.80"), quantity=1, discount=D("0"), tax_rate=D("0.0800"),
                           currency="USD", prices_include_tax=True)
    assert (amounts.tax, amounts.total) == (D("0.80"), D("10.80"))


def test_the_discount_comes_off_before_tax():
    amounts = line_amounts(unit_price=D("50.00"), quantity=2, discount=D("10.00"), tax_rate=D("0.0800"),
                           currency="USD", prices_include_tax=False)
    assert (amounts.discount, amounts.tax, amounts.total) == (D("10.00"), D("7.20"), D("97.20"))


def test_a_discount_above_the_line_price_is_refused():
    with pytest.raises(ValueError, match="between zero"):
        line_amounts(unit_price=D("5"), quantity=1, discount=D("6"), tax_rate=D("0"), currency="USD")


def test_rounding_per_line_is_not_rounding_the_sum():
    # Each line: 1.00 at 12.5 % = 0.125 → 0.13; three lines 0.39, where rounding the sum would give 0.38.
    lines = [line_amounts(unit_price=D("1.00"), quantity=1, discount=D("0"), tax_rate=D("0.125"),
                          currency="USD", prices_include_tax=False) for _ in range(3)]
    totals = order_totals(lines=lines, shipping=D("4.95"), currency="USD")
    assert totals.tax_total == D("0.39")
    assert totals.total == D("3.00") + D("0.39") + D("4.95")


@pytest.mark.django_db
@override_settings(OMS_TAX_RATES={"standard": "0.0800", "reduced": "0.0400", "zero": "0"})
def test_an_order_stores_the_totals_of_its_lines():
    chair = ProductFactory(unit_price=D("189.00"))
    book = ProductFactory(unit_price=D("6.50"), tax_class="reduced")

    order = make_order(products=[chair, book], quantities=[1, 3], shipping_total=D("9.95"))

    order = Order.objects.get(pk=order.pk)
    assert order.subtotal == D("208.50")
    assert order.tax_total == D("15.12") + D("0.78")
    assert order.total == D("208.50") + D("15.90") + D("9.95")
    assert [line.tax_rate for line in order.lines.all()] == [D("0.0800"), D("0.0400")]
    assert sum(line.line_total for line in order.lines.all()) + order.shipping_total == order.total


@pytest.mark.django_db
def test_an_order_in_an_unknown_currency_is_refused_and_nothing_is_written():
    with pytest.raises(ValidationError, match="Unknown currency"):
        make_order(currency="XXX")
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_negative_quantities_prices_and_shipping_are_refused_and_nothing_is_written():
    from orders.services import LineInput, order_create
    from tests.factories import CustomerFactory, address

    product = ProductFactory()
    for lines, shipping in [
        ([LineInput(product=product, quantity=0)], D("0")),
        ([LineInput(product=product, quantity=1, unit_price=D("-1"))], D("0")),
        ([LineInput(product=product, quantity=1)], D("-5")),
        ([], D("0")),
    ]:
        with pytest.raises(ValidationError):
            order_create(actor=None, customer=CustomerFactory(), lines=lines, shipping_address=address(),
                         shipping_total=shipping)
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_order_numbers_are_unique_and_readable():
    numbers = [make_order().number for _ in range(3)]
    assert len(set(numbers)) == 3
    assert all(n.startswith("SO-") and len(n) == 9 for n in numbers)


@pytest.mark.parametrize("gross", [False, True])
def test_units_of_a_line_are_priced_as_the_line_and_add_up_to_it(gross):
    """A refund by line takes units in turns: each share is priced as the order priced the line
    (tax inside or on top, as the line says), and the shares together are the line to the cent."""
    amounts = line_amounts(unit_price=D("19.99"), quantity=3, discount=D("5.00"), tax_rate=D("0.0800"),
                           currency="USD", prices_include_tax=gross)
    line = SimpleNamespace(unit_price=D("19.99"), quantity=3, discount_amount=amounts.discount,
                           tax_rate=D("0.0800"), tax_amount=amounts.tax, line_total=amounts.total)

    one = units_of_line(line, 1, "USD")
    assert one == line_amounts(unit_price=D("19.99"), quantity=1, discount=D("5.00") / 3, tax_rate=D("0.0800"),
                               currency="USD", prices_include_tax=gross)
    shares = [units_of_line(line, n, "USD").total - units_of_line(line, n - 1, "USD").total for n in (1, 2, 3)]
    assert sum(shares) == amounts.total
    assert units_of_line(line, 0, "USD").total == 0
