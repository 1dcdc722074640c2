import pytest
from django.urls import reverse

from inventory.models import Allocation, PurchaseOrder, ReorderAlert, StockLevel, StockMovement
from inventory.services import PurchaseLineInput, purchase_order_create, reorder_alerts_scan, stock_level_configure
from tests.factories import SupplierFactory

MODELS = ["product", "warehouse", "stocklevel", "stockmovement", "allocation", "supplier", "reorderalert",
          "purchaseorder"]


@pytest.fixture
def some_of_everything(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=3)
    verified_order([product], [1])
    stock_level_configure(actor=None, product=product, warehouse=warehouses["east"], reorder_point=5)
    reorder_alerts_scan()
    purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=warehouses["east"],
                          lines=[PurchaseLineInput(product, 4)])
    return product


@pytest.mark.parametrize("model", MODELS)
def test_every_inventory_model_has_an_admin_list_and_page(admin_client, some_of_everything, model):
    assert admin_client.get(reverse(f"admin:inventory_{model}_changelist")).status_code == 200
    objects = {"product": some_of_everything, "stocklevel": StockLevel.objects.first(),
               "stockmovement": StockMovement.objects.first(), "allocation": Allocation.objects.first(),
               "reorderalert": ReorderAlert.objects.first(), "purchaseorder": PurchaseOrder.objects.first()}
    if model in objects:
        assert admin_client.get(reverse(f"admin:inventory_{model}_change", args=[objects[model].pk])).status_code == 200


def test_the_ledger_cannot_be_edited_or_deleted_in_the_admin(admin_client, some_of_everything):
    movement = StockMovement.objects.first()

    response = admin_client.post(reverse("admin:inventory_stockmovement_change", args=[movement.pk]),
                                 {"on_hand_delta": "99"})

    assert response.status_code == 403
    assert admin_client.get(reverse("admin:inventory_stockmovement_delete", args=[movement.pk])).status_code == 403
    assert admin_client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
