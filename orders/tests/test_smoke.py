from orders.enums import OrderStatus
from tests.factories import make_order


def test_a_submitted_order_is_verified_and_confirmed(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(submit=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
