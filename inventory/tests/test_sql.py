"""The hand-written SQL of the allocation hot path writes and reads every column of its models:
a column added to them is either written and read back, or this test fails and says which."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from inventory.locks import lock_stock_levels
from inventory.models import Allocation, Product, PurchaseOrder, StockLevel, StockMovement, Warehouse
from inventory.services import PurchaseLineInput, purchase_order_create
from inventory.sql import execute, insert_rows_sql, lock_stock_levels_for_allocation, update_per_row
from orders.models import Order, OrderLine
from orders.services import order_verify
from tests.factories import ProductFactory, SupplierFactory, WarehouseFactory, make_order

pytestmark = pytest.mark.django_db

# Values the models' check constraints accept (allocated units are consumed or released, not more).
INTEGERS = {(Allocation, "quantity"): 9, (Allocation, "quantity_consumed"): 2, (Allocation, "quantity_released"): 3}
WHEN = timezone.now() - timedelta(days=3)


@pytest.fixture
def related(sales_user, settings):
    """One row of every model the written rows point to."""
    settings.OMS_AUTO_VERIFY = False
    product = ProductFactory()
    order = order_verify(actor=None, order=make_order(products=[product], submit=True))
    level = StockLevel.objects.get(product=product)
    po = purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=WarehouseFactory(),
                               lines=[PurchaseLineInput(product=product, quantity=5)])
    return {Order: order, OrderLine: order.lines.get(), StockLevel: level, Warehouse: level.warehouse,
            Product: product, PurchaseOrder: po, get_user_model(): sales_user}


def _value(model, field, related):
    if field.is_relation:
        return related[field.related_model].pk
    if field.choices:
        return field.choices[-1][0]
    if isinstance(field, (models.IntegerField, models.PositiveIntegerField)):
        return INTEGERS.get((model, field.name), 4)
    if isinstance(field, (models.CharField, models.TextField)):
        return f"{field.name} kept"[:field.max_length]
    if isinstance(field, models.DateTimeField):
        return WHEN
    if isinstance(field, models.DecimalField):
        return Decimal("1.50")
    if isinstance(field, models.BooleanField):
        return True
    raise AssertionError(f"{model.__name__}.{field.name}: give this test a value for a {type(field).__name__}")


def _row(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if not f.primary_key}


@pytest.mark.parametrize("model", [Allocation, StockMovement])
def test_a_row_inserted_by_hand_written_sql_keeps_every_concrete_field(model, related):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    obj = model(**{f.attname: _value(model, f, related) for f in fields})

    sql, params = insert_rows_sql([obj])
    with transaction.atomic():
        execute(sql, params)

    written = sql[sql.index("(") + 1:sql.index(")")].replace('"', "").split(", ")
    assert written == [f.column for f in fields]
    stored = model.objects.latest("pk")
    expected = _row(obj)  # auto_now(_add) columns are stamped on the instance as they are written
    assert _row(stored) == expected


def test_a_per_row_update_moves_each_row_by_its_amount_and_stamps_auto_now_columns(related):
    level = related[StockLevel]
    before = StockLevel.objects.get(pk=level.pk)

    with transaction.atomic():
        updated = update_per_row(StockLevel, {level.pk: 2}, {"on_hand": "on_hand + {n}"}, guard="on_hand >= 0")

    after = StockLevel.objects.get(pk=level.pk)
    assert updated == 1 and after.on_hand == before.on_hand + 2
    assert after.updated_at > before.updated_at
    unchanged = {k: v for k, v in _row(after).items() if k not in ("on_hand", "updated_at")}
    assert unchanged == {k: v for k, v in _row(before).items() if k not in ("on_hand", "updated_at")}


def test_the_partial_instances_of_the_allocation_lock_load_every_field_as_the_orm_does(related):
    product = related[Product]

    with transaction.atomic():
        partial = lock_stock_levels_for_allocation([product.pk])
        full = lock_stock_levels(product_ids=[product.pk], active_only=True)

    assert [_row(level) for level in partial] == [_row(level) for level in full]
    assert [_row(level.warehouse) for level in partial] == [_row(level.warehouse) for level in full]
