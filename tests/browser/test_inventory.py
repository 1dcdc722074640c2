"""A stock manager at the back-office: low stock -> reorder alert -> purchase order -> goods scanned in."""

import re

import pytest
from playwright.sync_api import expect

from inventory.enums import PurchaseOrderStatus
from inventory.models import PurchaseOrder, StockLevel
from inventory.services import stock_level_configure
from tests.factories import ProductFactory, SupplierFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_orders_low_stock_and_receives_it_by_scanning(staff_login, live_server, manager_user):
    supplier = SupplierFactory(name="Acme Wholesale")
    product = ProductFactory(sku="MUG-1", name="Coffee mug", barcode="4006381333900", stock=2, supplier=supplier)
    stock_level_configure(actor=None, product=product, warehouse=WarehouseFactory(), reorder_point=5,
                          reorder_quantity=24)
    page = staff_login(manager_user)

    page.get_by_role("link", name="Stock", exact=True).click()
    page.get_by_label("Low stock only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody")).to_contain_text("MUG-1")

    page.get_by_role("link", name="Reorder alerts").click()
    page.get_by_role("button", name="Run reorder check").click()
    expect(page.locator(".alert-success")).to_contain_text("1 new alert")
    page.get_by_label("Order MUG-1").check()  # alerts start unticked
    page.get_by_role("button", name="Create purchase orders for the selected").click()
    expect(page.locator(".alert-success")).to_contain_text("PO-")

    po = PurchaseOrder.objects.get()
    page.get_by_role("link", name=po.number).click()
    page.get_by_role("button", name="Mark as sent").click()
    page.get_by_role("link", name="Receive goods").click()
    page.get_by_label("Scan or type barcode / SKU").fill("4006381333900")
    page.get_by_label("Quantity").fill("10")
    page.get_by_role("button", name="Receive scanned item").click()
    expect(page.locator(".alert-success")).to_contain_text("14 still outstanding")

    page.get_by_label(re.compile("MUG-1")).fill("14")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Received")
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.RECEIVED
    assert StockLevel.objects.get(product=product).on_hand == 26
