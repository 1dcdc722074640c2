import io

import pytest

from payments import demo
from payments.models import Invoice, TaxRate

pytestmark = pytest.mark.django_db


def test_the_demo_data_can_be_loaded_twice(place_order, ship):
    ship(place_order())
    for _ in range(2):
        demo.before_orders(stdout=io.StringIO())
        demo.after_orders(stdout=io.StringIO())
    assert TaxRate.objects.count() == 3 * len(demo.DEMO_TAX_RATES)
    assert Invoice.objects.count() == 1
