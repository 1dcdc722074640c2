import pytest

from inventory.models import Warehouse
from inventory.services import stock_level_configure, stock_receive
from orders.services import order_verify
from tests.factories import ProductFactory, make_order


@pytest.fixture(autouse=True)
def _no_auto_verify(settings):
    """Tests verify explicitly, so nothing races the verification they are looking at."""
    settings.OMS_AUTO_VERIFY = False


@pytest.fixture
def warehouses(db):
    """East (priority 10, US/NY), West (priority 10, US/CA), Central (priority 20, US/IL)."""
    return {
        "east": Warehouse.objects.create(code="EAST", name="East", country="US", region="NY", priority=10),
        "west": Warehouse.objects.create(code="WEST", name="West", country="US", region="CA", priority=10),
        "central": Warehouse.objects.create(code="CENTRAL", name="Central", country="US", region="IL", priority=20),
    }


@pytest.fixture
def product_with_stock(warehouses):
    """product_with_stock(east=5, west=2, allow_backorder=True) -> a product stocked so."""

    def make(allow_backorder: bool = True, **quantities):
        product = ProductFactory(stock=0, allow_backorder=allow_backorder)
        for code, quantity in quantities.items():
            stock_level_configure(actor=None, product=product, warehouse=warehouses[code])
            if quantity:
                stock_receive(actor=None, product=product, warehouse=warehouses[code], quantity=quantity)
        return product

    return make


@pytest.fixture
def verified_order():
    """verified_order(products, quantities, **order kwargs) -> the order after verification."""

    def make(products, quantities=None, **kwargs):
        order = make_order(products=products, quantities=quantities, submit=True, **kwargs)
        return order_verify(actor=None, order=order)

    return make

