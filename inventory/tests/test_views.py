import re

import pytest
from django.urls import reverse

from inventory.enums import PurchaseOrderStatus
from inventory.models import PurchaseOrder, ReorderAlert, StockLevel, StockMovement
from inventory.services import (
    PurchaseLineInput,
    purchase_order_create,
    purchase_order_send,
    reorder_alerts_scan,
    stock_level_configure,
)
from tests.factories import SupplierFactory


@pytest.fixture
def stocked(product_with_stock, warehouses):
    supplier = SupplierFactory()
    products = []
    for n in range(3):
        product = product_with_stock(east=5 + n, west=1)
        product.supplier = supplier
        product.save()
        stock_level_configure(actor=None, product=product, warehouse=warehouses["west"], reorder_point=4,
                              reorder_quantity=10)
        products.append(product)
    return products


@pytest.fixture
def sent_po(stocked, warehouses):
    po = purchase_order_create(actor=None, supplier=stocked[0].supplier, warehouse=warehouses["east"],
                               lines=[PurchaseLineInput(p, 6) for p in stocked])
    return purchase_order_send(actor=None, purchase_order=po)


def test_the_stock_list_filters_by_warehouse_low_stock_and_sku(login, warehouse_user, stocked, warehouses,
                                                                django_assert_max_num_queries):
    client = login(warehouse_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inventory:stock_level_list"))
    assert response.status_code == 200
    assert response.content.count(b"/inventory/products/") == 6

    low = client.get(reverse("inventory:stock_level_list"), {"low": "on", "warehouse": warehouses["west"].pk})
    assert low.content.count(b"/inventory/products/") == 3
    one = client.get(reverse("inventory:stock_level_list"), {"q": stocked[1].sku})
    assert one.content.count(b"/inventory/products/") == 2


def test_the_product_stock_card_shows_levels_forecast_and_ledger(login, warehouse_user, stocked,
                                                                 django_assert_max_num_queries):
    client = login(warehouse_user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("inventory:product_stock", args=[stocked[0].pk]))
    assert response.status_code == 200
    assert b"Ledger" in response.content and b"Receipt" in response.content


def test_an_adjustment_needs_a_reason_and_lands_in_the_ledger(login, warehouse_user, stocked, warehouses):
    client = login(warehouse_user)
    level = StockLevel.objects.get(product=stocked[0], warehouse=warehouses["east"])
    url = reverse("inventory:stock_adjust", args=[level.pk])
    assert client.get(url).status_code == 200

    refused = client.post(url, {"quantity_delta": "-2", "kind": "adjustment", "reason": ""})
    assert refused.status_code == 200 and not StockMovement.objects.filter(reason="Broken").exists()

    response = client.post(url, {"quantity_delta": "-2", "kind": "scrap", "reason": "Broken"}, follow=True)
    assert b"adjusted by -2" in response.content
    level.refresh_from_db()
    assert level.on_hand == 3


def test_removing_allocated_stock_is_refused_with_a_message(login, warehouse_user, stocked, warehouses,
                                                            verified_order):
    verified_order([stocked[0]], [5])
    level = StockLevel.objects.get(product=stocked[0], warehouse=warehouses["east"])
    client = login(warehouse_user)

    response = client.post(reverse("inventory:stock_adjust", args=[level.pk]),
                           {"quantity_delta": "-1", "kind": "adjustment", "reason": "Count"})

    assert "only 0 are not allocated" in response.content.decode()


def test_receiving_and_transferring_stock_by_scanned_code(login, warehouse_user, stocked, warehouses):
    client = login(warehouse_user)
    assert client.get(reverse("inventory:stock_receive")).status_code == 200
    assert client.get(reverse("inventory:stock_transfer")).status_code == 200

    client.post(reverse("inventory:stock_receive"), {"product": stocked[0].barcode,
                                                     "warehouse": warehouses["central"].pk, "quantity": "4"})
    client.post(reverse("inventory:stock_transfer"), {"product": stocked[0].sku, "source": warehouses["central"].pk,
                                                      "destination": warehouses["west"].pk, "quantity": "3"})

    assert StockLevel.objects.get(product=stocked[0], warehouse=warehouses["central"]).on_hand == 1
    assert StockLevel.objects.get(product=stocked[0], warehouse=warehouses["west"]).on_hand == 4


def test_a_manager_runs_the_reorder_check_and_orders_from_the_alerts_in_one_click(
        login, manager_user, stocked, django_assert_max_num_queries):
    client = login(manager_user)
    client.post(reverse("inventory:reorder_alerts_scan"))
    assert ReorderAlert.objects.open().count() == 3
    with django_assert_max_num_queries(12):
        page = client.get(reverse("inventory:reorder_alert_list"))
    assert page.status_code == 200

    response = client.post(reverse("inventory:reorder_alerts_order"),
                           {"alert": [a.pk for a in ReorderAlert.objects.all()]}, follow=True)

    po = PurchaseOrder.objects.get()
    assert po.number.encode() in response.content
    assert po.lines.count() == 3 and po.status == PurchaseOrderStatus.DRAFT
    assert client.get(reverse("inventory:reorder_alert_list"), {"show": "all"}).status_code == 200


def test_a_manager_creates_and_sends_a_purchase_order(login, manager_user, stocked, warehouses):
    client = login(manager_user)
    assert client.get(reverse("inventory:purchase_order_create")).status_code == 200
    data = {"supplier": stocked[0].supplier.pk, "warehouse": warehouses["east"].pk, "note": "Restock",
            "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0",
            "lines-0-product": stocked[0].sku, "lines-0-quantity": "12", "lines-0-unit_cost": "2.50",
            "lines-1-product": stocked[1].barcode, "lines-1-quantity": "3"}

    response = client.post(reverse("inventory:purchase_order_create"), data, follow=True)

    po = PurchaseOrder.objects.get()
    assert response.status_code == 200 and po.lines.count() == 2
    client.post(reverse("inventory:purchase_order_action", args=[po.pk, "send"]))
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.SENT


def test_an_unknown_sku_on_a_purchase_order_line_is_reported(login, manager_user, stocked, warehouses):
    client = login(manager_user)
    data = {"supplier": stocked[0].supplier.pk, "warehouse": warehouses["east"].pk,
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-product": "NOPE", "lines-0-quantity": "1"}

    response = client.post(reverse("inventory:purchase_order_create"), data)

    assert "No product has the SKU or barcode" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_list_and_detail_render_with_few_queries(login, warehouse_user, sent_po,
                                                                django_assert_max_num_queries):
    client = login(warehouse_user)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("inventory:purchase_order_list")).status_code == 200
    assert client.get(reverse("inventory:purchase_order_list"), {"status": "sent"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(sent_po.get_absolute_url()).status_code == 200


def test_goods_are_received_by_scan_then_by_typed_quantities(login, warehouse_user, sent_po):
    client = login(warehouse_user)
    url = reverse("inventory:purchase_order_receive", args=[sent_po.pk])
    assert client.get(url).status_code == 200
    first, second, third = sent_po.lines.all()

    scanned = client.post(url, {"scan": "1", "code": first.product.barcode, "quantity": "2"}, follow=True)
    assert b"4 still outstanding" in scanned.content

    client.post(url, {"receive": "1", f"line_{first.pk}": "4", f"line_{second.pk}": "6", f"line_{third.pk}": "6"})
    sent_po.refresh_from_db()
    assert sent_po.status == PurchaseOrderStatus.RECEIVED


def test_warehouse_staff_cannot_create_purchase_orders_and_sales_cannot_see_stock(
        login, warehouse_user, sales_user, sent_po):
    assert login(warehouse_user).get(reverse("inventory:purchase_order_create")).status_code == 403
    assert login(warehouse_user).post(
        reverse("inventory:purchase_order_action", args=[sent_po.pk, "cancel"])).status_code == 403
    assert login(sales_user).get(reverse("inventory:stock_level_list")).status_code == 403


def test_the_reorder_check_is_refused_to_warehouse_staff(login, warehouse_user, stocked):
    assert login(warehouse_user).post(reverse("inventory:reorder_alerts_scan")).status_code == 403
    assert reorder_alerts_scan().raised  # the alerts were not raised by the refused request


def test_the_dashboard_lists_open_reorder_alerts_for_managers_only(login, manager_user, sales_user, stocked):
    reorder_alerts_scan()

    manager_page = login(manager_user).get(reverse("orders:dashboard")).content.decode()
    sales_page = login(sales_user).get(reverse("orders:dashboard")).content.decode()

    assert "Reorder alerts" in manager_page and stocked[0].sku in manager_page
    assert "Reorder alerts" not in sales_page


def test_a_manager_sets_the_bin_and_reorder_rule_of_a_level(login, manager_user, warehouse_user, stocked,
                                                            warehouses):
    level = StockLevel.objects.get(product=stocked[0], warehouse=warehouses["east"])
    url = reverse("inventory:stock_level_settings", args=[level.pk])
    assert login(warehouse_user).get(url).status_code == 403
    client = login(manager_user)
    assert client.get(url).status_code == 200

    client.post(url, {"bin_location": "Z-09", "reorder_point": "7", "reorder_quantity": "30"})

    level.refresh_from_db()
    assert (level.bin_location, level.reorder_point, level.reorder_quantity) == ("Z-09", 7, 30)
    assert level.on_hand == 5  # quantities untouched


def test_no_reorder_alert_starts_ticked_so_only_the_chosen_ones_are_ordered(login, manager_user, stocked):
    client = login(manager_user)
    client.post(reverse("inventory:reorder_alerts_scan"))
    assert ReorderAlert.objects.open().count() == 3

    page = client.get(reverse("inventory:reorder_alert_list")).content.decode()

    boxes = re.findall(r'<input[^>]*name="alert"[^>]*>', page)
    assert len(boxes) == 3
    assert not [box for box in boxes if re.search(r"\bchecked\b", box)]


def test_the_alert_list_counts_incoming_stock_as_the_stock_card_does(login, manager_user, stocked, warehouses):
    client = login(manager_user)
    client.post(reverse("inventory:reorder_alerts_scan"))
    alert = ReorderAlert.objects.open().select_related("stock_level__product", "stock_level__warehouse").first()
    level = alert.stock_level
    purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=level.warehouse,
                          lines=[PurchaseLineInput(level.product, 40)])  # a draft purchase order

    alerts_page = client.get(reverse("inventory:reorder_alert_list")).content.decode()
    card = client.get(reverse("inventory:product_stock", args=[level.product_id]))

    row = re.search(rf'<tr>(?:(?!</tr>).)*?{re.escape(level.product.sku)}(?:(?!</tr>).)*</tr>', alerts_page, re.S).group(0)
    cells = re.findall(r'<td class="text-end"[^>]*>(\d+)</td>', row)
    assert cells[1] == "40"  # available, incoming, reorder point, suggested
    assert [r.incoming for r in card.context["rows"] if r.level.pk == level.pk] == [40]
