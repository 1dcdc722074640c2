"""Row locks for orders, always taken in one order: the order row before its lines."""

from orders.models import Order, OrderLine


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().select_related("customer").get(pk=order_id)


def lock_order_lines(order_id: int) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order_id).order_by("pk").select_for_update())
