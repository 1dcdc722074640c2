"""Row locks for fulfillment, in one order everywhere: the order row, then its shipment rows by pk."""

from fulfillment.models import Shipment


def lock_shipment(shipment_id: int) -> Shipment:
    """Lock the shipment's order first (as every order write does), then the shipment."""
    from orders.locks import lock_order

    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).get()
    lock_order(order_id)
    return Shipment.objects.select_for_update(of=("self",)).select_related("order", "warehouse", "carrier").get(pk=shipment_id)


def lock_order_shipments(order_id: int) -> list[Shipment]:
    """The order's shipments, locked by pk; call with the order row already locked."""
    return list(Shipment.objects.filter(order_id=order_id).order_by("pk").select_for_update())
