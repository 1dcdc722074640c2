"""The warehouse screens render, act through the services and say clearly what they refused."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fulfillment import services
from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment, Wave
from notifications.models import Notification
from orders.enums import OrderStatus
from orders.models import Order
from orders.views import ORDER_ACTIONS
from payments.enums import PaymentMethod
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_queue_lists_orders_in_priority_order_and_marks_late_ones(login, warehouse_user, place,
                                                                    django_assert_max_num_queries):
    standard = place()
    rush = place(priority="rush")
    Order.objects.filter(pk=standard.pk).update(ship_by=standard.placed_at.replace(year=2000))
    client = login(warehouse_user)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("fulfillment:queue"))

    page = response.content.decode()
    assert page.index(rush.number) < page.index(standard.number)
    assert [row.late for row in response.context["rows"]] == [False, True]


def test_a_wave_releases_the_orders_and_shows_the_pick_list_by_bin(login, warehouse_user, place, warehouse):
    from inventory.services import stock_level_configure

    a, b = ProductFactory(sku="AAA-1"), ProductFactory(sku="ZZZ-1")
    stock_level_configure(actor=None, product=a, warehouse=warehouse, bin_location="B-07")
    stock_level_configure(actor=None, product=b, warehouse=warehouse, bin_location="A-01")
    first, second = place(products=[a, b], quantities=[1, 2]), place(products=[a], quantities=[3])
    client = login(warehouse_user)

    response = client.post(reverse("fulfillment:wave_create"),
                           {"warehouse": warehouse.pk, "orders": [first.number, second.number]})

    wave = Wave.objects.get()
    assert response.status_code == 302 and response["Location"] == wave.get_absolute_url()
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.IN_FULFILLMENT}
    detail = client.get(wave.get_absolute_url())
    assert [(row.sku, row.bin_location, row.quantity) for row in detail.context["rows"]] == [
        ("ZZZ-1", "A-01", 2), ("AAA-1", "B-07", 4)]
    text = pdf_text(client.get(reverse("fulfillment:wave_pick_list_pdf") + f"?wave={wave.number}"))
    assert "AAA-1" in text and "A-01" in text and wave.number in text
    assert client.get(reverse("fulfillment:wave_list")).status_code == 200


def test_a_wire_order_not_yet_paid_stays_out_of_the_wave_with_the_reason(login, warehouse_user, place, warehouse):
    card = place()
    wire = place(payment_method=PaymentMethod.WIRE, card=None)
    client = login(warehouse_user)

    response = client.post(reverse("fulfillment:wave_create"),
                           {"warehouse": warehouse.pk, "orders": [card.number, wire.number]}, follow=True)

    assert "waits for its Wire transfer payment" in response.content.decode()
    assert list(Wave.objects.get().orders.all()) == [card]
    wire.refresh_from_db()
    assert wire.status == OrderStatus.CONFIRMED


def test_packing_in_the_browserless_ui_refuses_a_wrong_scan_on_the_spot(login, warehouse_user, place, release,
                                                                     warehouse):
    product = ProductFactory(barcode="5012345678900")
    ProductFactory(barcode="5000000000001")
    order = release(place(products=[product]))
    client = login(warehouse_user)

    start = client.get(reverse("fulfillment:order_pack", args=[order.number]))
    assert start.status_code == 200 and start.context["warehouses"] == [(warehouse, 1)]
    response = client.post(reverse("fulfillment:order_pack", args=[order.number]), {"warehouse": warehouse.pk})
    shipment = Shipment.objects.get(order=order)
    assert response["Location"] == shipment.get_absolute_url()
    bench = client.get(shipment.get_absolute_url())
    assert bench.status_code == 200 and "Scan or type a barcode or SKU" in bench.content.decode()

    wrong = client.post(reverse("fulfillment:shipment_scan", args=[shipment.number]),
                        {"code": "5000000000001", "quantity": 1}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 200 and "Wrong item" in wrong.content.decode()
    right = client.post(reverse("fulfillment:shipment_scan", args=[shipment.number]),
                        {"code": "5012345678900", "quantity": 1}, HTTP_HX_REQUEST="true")
    assert "Packed 1" in right.content.decode()
    too_many = client.post(reverse("fulfillment:shipment_scan", args=[shipment.number]),
                           {"code": "5012345678900", "quantity": 1}, HTTP_HX_REQUEST="true")
    assert "Too many" in too_many.content.decode()


def test_staff_pack_ship_and_deliver_a_shipment_through_the_screens(login, warehouse_user, place, release,
                                                                   warehouse, carriers,
                                                                   django_assert_max_num_queries):
    order = release(place())
    client = login(warehouse_user)
    client.post(reverse("fulfillment:order_pack", args=[order.number]), {"warehouse": warehouse.pk})
    shipment = Shipment.objects.get(order=order)
    client.post(reverse("fulfillment:shipment_scan", args=[shipment.number]),
                {"code": order.lines.get().sku, "quantity": 1})
    client.post(reverse("fulfillment:package_add", args=[shipment.number]),
                {"weight_kg": "0.8", "length_cm": "30", "width_cm": "20", "height_cm": "10"})
    client.post(reverse("fulfillment:shipment_pack", args=[shipment.number]))

    with django_assert_max_num_queries(25):
        packed = client.get(shipment.get_absolute_url())
    assert packed.context["suggested"] is not None
    client.post(reverse("fulfillment:shipment_ship", args=[shipment.number]),
                {"service_level": carriers["2day"].pk, "tracking_number": "PX123456"})
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_number == "PX123456"

    assert "PX123456" in pdf_text(client.get(reverse("fulfillment:shipment_label_pdf", args=[shipment.number])))
    assert order.number in pdf_text(client.get(reverse("fulfillment:shipment_packing_slip_pdf",
                                                       args=[shipment.number])))
    client.post(reverse("fulfillment:shipment_track", args=[shipment.number]),
                {"status": "in_transit", "location": "Hub", "description": ""})
    client.post(reverse("fulfillment:shipment_deliver", args=[shipment.number]))
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and order.status == OrderStatus.DELIVERED
    assert client.get(shipment.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("fulfillment:shipment_list")).status_code == 200


def test_a_refused_step_is_shown_as_a_message(login, warehouse_user, place, release, warehouse):
    order = release(place())
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    client = login(warehouse_user)

    response = client.post(reverse("fulfillment:shipment_pack", args=[shipment.number]), follow=True)

    assert "is empty" in response.content.decode()


def test_bulk_packing_slips_print_every_selected_order(login, warehouse_user, place):
    first, second = place(), place()
    client = login(warehouse_user)

    text = pdf_text(client.post(reverse("fulfillment:packing_slips_bulk"),
                                {"orders": [first.number, second.number]}))

    assert first.number in text and second.number in text


def test_the_order_page_shows_the_fulfillment_panel_and_no_stand_in_ship_buttons(login, warehouse_user, shipped,
                                                                               django_assert_max_num_queries):
    order, shipment = shipped()
    client = login(warehouse_user)

    page = client.get(order.get_absolute_url()).content.decode()

    assert "ship" not in ORDER_ACTIONS and "deliver" not in ORDER_ACTIONS
    assert shipment.number in page and "Customer tracking page" in page and "Resend" in page


def test_staff_resend_an_email_from_the_order_page(login, sales_user, place, django_capture_on_commit_callbacks):
    order = place()
    notification = Notification.objects.filter(order=order).first()
    client = login(sales_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("fulfillment:notification_resend", args=[notification.pk]))

    assert response.status_code == 302
    assert Notification.objects.filter(order=order, kind=notification.kind).count() == 2


def test_sales_cannot_pack(login, sales_user, place):
    order = place()
    client = login(sales_user)
    assert client.get(reverse("fulfillment:order_pack", args=[order.number])).status_code == 403
    assert client.get(reverse("fulfillment:queue")).status_code == 200  # they may look


def test_the_admin_lists_every_fulfillment_model(admin_client, shipped):
    shipped()
    for model in ("carrier", "servicelevel", "shippingrate", "shipment", "trackingevent", "wave"):
        assert admin_client.get(reverse(f"admin:fulfillment_{model}_changelist")).status_code == 200


def test_the_demo_carriers_are_idempotent(db):
    from io import StringIO

    from fulfillment import demo
    from fulfillment.models import ShippingRate

    demo.before_orders(stdout=StringIO())
    count = ShippingRate.objects.count()
    demo.before_orders(stdout=StringIO())
    assert ShippingRate.objects.count() == count == 32


def test_the_demo_gives_shipped_orders_a_shipment_once(shipped, place, release):
    from io import StringIO

    from fulfillment import demo
    from orders.services import order_ship

    already, _ = shipped()
    direct = order_ship(actor=None, order=release(place()))  # shipped without packing, as the orders demo does

    demo.after_orders(stdout=StringIO())
    demo.after_orders(stdout=StringIO())

    assert already.shipments.count() == 1
    shipment = direct.shipments.get()
    assert shipment.status == ShipmentStatus.IN_TRANSIT and shipment.lines.get().quantity == 1


def test_the_lists_ask_the_same_few_queries_however_many_rows(login, warehouse_user, shipped,
                                                              django_assert_max_num_queries):
    for _ in range(3):
        shipped()
    client = login(warehouse_user)

    with django_assert_max_num_queries(8):
        assert client.get(reverse("fulfillment:shipment_list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("fulfillment:wave_list")).status_code == 200
    wave = Wave.objects.first()
    with django_assert_max_num_queries(10):
        assert client.get(wave.get_absolute_url()).status_code == 200
