"""Every list staff work from downloads as CSV and XLSX with its filter applied (shipments: in fulfillment's
tests, where orders ship with real shipments)."""


import pytest
from django.urls import reverse

from returns.services import return_request_create
from returns.tests.conftest import line_inputs
from tests.exports import csv_rows as _rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_returned_order(delivered_order, manager_user):
    order = delivered_order()
    rma = return_request_create(actor=manager_user, order=order, lines=line_inputs(order, (0, 1, "damaged")))
    return order, rma


@pytest.mark.parametrize("url, key, expect", [
    ("payments:invoice_export", "order__number", "order"),
    ("returns:return_export", "number", "rma"),
    ("inventory:stock_level_export", "product__sku", "sku"),
])
def test_each_list_exports_what_its_filter_matches(login, manager_user, a_returned_order, url, key, expect):
    order, rma = a_returned_order
    wanted = {"order": order.number, "rma": rma.number, "sku": order.lines.first().sku}[expect]
    client = login(manager_user)

    everything = _rows(client.get(reverse(url, args=["csv"])))
    xlsx = client.get(reverse(url, args=["xlsx"]))

    assert wanted in {row[key] for row in everything}
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"  # a zip: the workbook
    assert _rows(client.get(reverse(url, args=["csv"]), {"q": "nothing-matches-this"})) == []


def test_list_exports_follow_the_list_permissions(login, sales_user):
    assert login(sales_user).get(reverse("inventory:stock_level_export", args=["csv"])).status_code == 403
