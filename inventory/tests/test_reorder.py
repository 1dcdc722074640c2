import pytest
from django.core import mail

from inventory.forecast import forecast
from inventory.models import ReorderAlert, StockLevel
from inventory.services import (
    PurchaseLineInput,
    purchase_order_create,
    reorder_alerts_scan,
    stock_level_configure,
    stock_receive,
)
from tests.factories import SupplierFactory


@pytest.fixture
def low_level(product_with_stock, warehouses):
    product = product_with_stock(east=3)
    return stock_level_configure(actor=None, product=product, warehouse=warehouses["east"], bin_location="A-01",
                                 reorder_point=5, reorder_quantity=20)


def test_a_level_below_its_reorder_point_raises_one_alert_per_episode(low_level):
    first = reorder_alerts_scan()
    second = reorder_alerts_scan()

    assert [a.stock_level_id for a in first.raised] == [low_level.pk]
    assert second.raised == []
    alert = ReorderAlert.objects.get()
    assert (alert.available, alert.incoming, alert.reorder_point, alert.suggested_quantity) == (3, 0, 5, 20)


def test_replenishment_closes_the_alert_and_a_new_dip_opens_a_new_episode(low_level, warehouses):
    from inventory.services import stock_adjust

    reorder_alerts_scan()
    stock_receive(actor=None, product=low_level.product, warehouse=warehouses["east"], quantity=10)
    assert not ReorderAlert.objects.open().exists()

    stock_adjust(actor=None, stock_level=low_level, quantity_delta=-10, reason="Water damage")
    assert len(reorder_alerts_scan().raised) == 1
    assert ReorderAlert.objects.count() == 2


def test_incoming_purchase_orders_count_towards_the_reorder_point(low_level, warehouses):
    purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=warehouses["east"],
                          lines=[PurchaseLineInput(low_level.product, 5)])

    assert reorder_alerts_scan().raised == []


def test_new_alerts_are_emailed_to_the_managers(low_level, manager_user, warehouse_user,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reorder_alerts_scan()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager_user.email]
    assert low_level.product.sku in mail.outbox[0].body
    assert ReorderAlert.objects.get().notified_at is not None


def test_levels_without_a_reorder_point_never_alert(product_with_stock):
    product_with_stock(east=0, west=1)

    assert reorder_alerts_scan().raised == []


def test_the_forecast_orders_enough_for_lead_time_and_review_period():
    result = forecast(daily_demand=2.0, available=10, incoming=4, reorder_point=8, reorder_quantity=5,
                      lead_time_days=7)

    assert result.days_of_cover == 5.0
    # 2/day over 7 + 14 days = 42, plus the reorder point 8, minus 10 on hand and 4 incoming
    assert result.suggested_quantity == 36


def test_without_demand_the_suggestion_is_the_usual_reorder_quantity():
    result = forecast(daily_demand=0, available=1, incoming=0, reorder_point=5, reorder_quantity=20,
                      lead_time_days=7)

    assert (result.days_of_cover, result.suggested_quantity) == (None, 20)


def test_daily_demand_is_read_from_allocations_in_the_window(product_with_stock, verified_order):
    from inventory.forecast import daily_demand_by_level

    product = product_with_stock(east=100)
    verified_order([product], [14])
    verified_order([product], [14])
    stock = StockLevel.objects.get(product=product)

    assert daily_demand_by_level([stock.pk], window_days=28) == {stock.pk: 1.0}
