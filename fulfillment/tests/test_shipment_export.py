import pytest
from django.urls import reverse

from tests.exports import csv_rows

pytestmark = pytest.mark.django_db


def test_the_shipment_list_exports_with_its_filter(login, warehouse_user, shipped):
    order, shipment = shipped()
    client = login(warehouse_user)

    rows = csv_rows(client.get(reverse("fulfillment:shipment_export", args=["csv"])))
    found = csv_rows(client.get(reverse("fulfillment:shipment_export", args=["csv"]), {"q": order.number}))
    none = csv_rows(client.get(reverse("fulfillment:shipment_export", args=["csv"]), {"status": "delivered"}))

    assert [(r["number"], r["order__number"], r["status"]) for r in rows] == [(shipment.number, order.number, "shipped")]
    assert [r["tracking_number"] for r in found] == [shipment.tracking_number] and shipment.tracking_number
    assert none == []
