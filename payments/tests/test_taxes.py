from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders.pricing import line_amounts, tax_rate_for
from payments.services import tax_rate_set
from tests.factories import ProductFactory, address, make_order

pytestmark = pytest.mark.django_db


def test_the_destination_country_rate_applies_to_its_tax_class():
    tax_rate_set(actor=None, country="de", tax_class="standard", rate=Decimal("0.19"), name="MwSt 19 %")
    tax_rate_set(actor=None, country="DE", tax_class="reduced", rate=Decimal("0.07"))
    assert tax_rate_for(tax_class="standard", country="DE") == Decimal("0.1900")
    assert tax_rate_for(tax_class="reduced", country="DE") == Decimal("0.0700")


def test_without_a_rate_for_the_country_the_default_from_settings_applies():
    tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("0.19"))
    assert tax_rate_for(tax_class="standard", country="FR") == Decimal("0.0800")


def test_setting_a_rate_again_changes_it():
    tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("0.16"))
    tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("0.19"))
    assert tax_rate_for(tax_class="standard", country="DE") == Decimal("0.1900")


def test_a_rate_above_100_percent_is_refused():
    with pytest.raises(ValidationError):
        tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("1.5"))


def test_an_order_shipped_to_germany_is_taxed_at_the_german_rate():
    tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("0.19"))
    order = make_order(products=[ProductFactory(unit_price=Decimal("9.99"))], quantities=[3],
                       shipping_address=address(country="DE"))
    line = order.lines.get()
    assert line.tax_rate == Decimal("0.1900")
    assert line.tax_amount == Decimal("5.69")  # 29.97 × 0.19 = 5.6943, half up per line
    assert order.total == Decimal("35.66")


def test_gross_prices_extract_the_tax_rounded_half_up():
    amounts = line_amounts(unit_price=Decimal("11.90"), quantity=1, discount=Decimal("0"), tax_rate=Decimal("0.19"),
                           currency="EUR", prices_include_tax=True)
    assert amounts.tax == Decimal("1.90") and amounts.total == Decimal("11.90")


def test_rounding_is_to_the_currency_minor_unit():
    amounts = line_amounts(unit_price=Decimal("1005"), quantity=1, discount=Decimal("0"), tax_rate=Decimal("0.1"),
                           currency="JPY", prices_include_tax=False)
    assert amounts.tax == Decimal("101") and amounts.total == Decimal("1106")
