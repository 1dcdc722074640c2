"""The carrier-label screens: live rates beside the rate table, buy, print, void, the address hold
and the bulk print of the order list, as warehouse staff use them (EasyPost faked locally)."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fulfillment.enums import LabelStatus
from fulfillment.models import CarrierLabel
from tests.factories import address

pytestmark = pytest.mark.django_db


def test_the_packed_shipment_page_loads_live_rates_beside_the_rate_table(easypost, packed, login, warehouse_user,
                                                                         carriers):
    _, shipment = packed()
    client = login(warehouse_user)

    page = client.get(reverse("fulfillment:shipment_detail", args=[shipment.number])).content.decode()
    rates = client.get(reverse("fulfillment:shipment_live_rates", args=[shipment.number]), HTTP_HX_REQUEST="true")

    assert 'id="quotes"' in page and reverse("fulfillment:shipment_live_rates", args=[shipment.number]) in page
    text = rates.content.decode()
    assert "USPS Priority" in text and "7.47 USD" in text and text.count("Buy label") == 1


def test_buying_from_the_page_shows_the_label_and_prints_the_carriers_pdf(easypost, packed, login, warehouse_user):
    _, shipment = packed()
    client = login(warehouse_user)

    done = client.post(reverse("fulfillment:shipment_label_buy", args=[shipment.number]),
                       {"service_level": easypost.priority.pk}, follow=True)
    pdf = client.get(reverse("fulfillment:shipment_label_pdf", args=[shipment.number]))

    label = CarrierLabel.objects.get(shipment=shipment)
    assert f"tracking number {label.tracking_number}" in done.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert f"USPS label {label.tracking_number}" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_a_rate_table_service_cannot_be_bought_as_a_label(easypost, packed, login, warehouse_user, carriers):
    _, shipment = packed()

    page = login(warehouse_user).post(reverse("fulfillment:shipment_label_buy", args=[shipment.number]),
                                      {"service_level": carriers["ground"].pk}, follow=True)

    assert "Choose a service whose labels come from a carrier provider." in page.content.decode()
    assert not CarrierLabel.objects.exists()


def test_a_held_shipment_says_why_and_voiding_from_the_page_refunds_the_label(easypost, packed, login, warehouse_user):
    _, held = packed(shipping_address=address(line1="1 Undeliverable St"))
    client = login(warehouse_user)
    client.post(reverse("fulfillment:shipment_label_buy", args=[held.number]), {"service_level": easypost.priority.pk})

    page = client.get(reverse("fulfillment:shipment_detail", args=[held.number])).content.decode()

    assert 'id="address-hold"' in page and "Address not found" in page
    _, fine = packed()
    client.post(reverse("fulfillment:shipment_label_buy", args=[fine.number]), {"service_level": easypost.priority.pk})
    voided = client.post(reverse("fulfillment:shipment_label_void", args=[fine.number]), follow=True)
    assert "voided" in voided.content.decode()
    assert CarrierLabel.objects.get(shipment=fine).status == LabelStatus.VOIDED


def test_a_timeout_on_the_page_is_a_clear_warning(easypost, packed, login, warehouse_user, settings):
    _, shipment = packed()
    settings.EASYPOST_TIMEOUT = 1
    easypost.then("buy", "delay", 2)

    page = login(warehouse_user).post(reverse("fulfillment:shipment_label_buy", args=[shipment.number]),
                                      {"service_level": easypost.priority.pk}, follow=True).content.decode()

    assert "EasyPost did not answer in time; the outcome is unknown. Trying again is safe." in page
    assert "Ask again" in page


def test_the_order_list_prints_the_carrier_labels_of_the_selection_as_one_document(
        easypost, packed, login, manager_user, shipped):
    first, a = packed()
    second, b = packed()
    rate_table, _ = shipped()
    for shipment in (a, b):
        from fulfillment.services import shipment_label_buy

        shipment_label_buy(actor=None, shipment=shipment, service_level=easypost.priority)
    client = login(manager_user)

    response = client.post(reverse("orders:order_bulk"), {
        "scope": "selected", "orders": [first.number, second.number, rate_table.number],
        "action": "print_shipping_labels"})

    pages = [p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages]
    assert response["Content-Type"] == "application/pdf" and len(pages) == 3
    assert sum("USPS label" in p for p in pages) == 2 and any("TRACKING" in p for p in pages)


def test_the_admin_names_the_provider_of_a_service_level_and_shows_labels(easypost, packed, admin_client):
    _, shipment = packed()
    from fulfillment.services import shipment_label_buy

    label = shipment_label_buy(actor=None, shipment=shipment, service_level=easypost.priority)

    level = admin_client.get(reverse("admin:fulfillment_servicelevel_change", args=[easypost.priority.pk]))
    labels = admin_client.get(reverse("admin:fulfillment_carrierlabel_changelist"))

    assert "EASYPOST_API_KEY" in level.content.decode() and 'name="provider_service"' in level.content.decode()
    assert label.tracking_number in labels.content.decode()
