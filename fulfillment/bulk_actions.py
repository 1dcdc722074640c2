"""The warehouse's documents as print actions of the order list (orders/bulk.py): one PDF for many orders."""

from fulfillment import documents, selectors
from fulfillment.models import Wave
from oms.exceptions import DomainError
from orders.bulk import BulkAction, register


def packing_slips(orders) -> bytes:
    """A slip per order with what is still to ship of it."""
    slips = [{"order": order, "shipment": None,
              "lines": [(line, line.quantity_unshipped) for line in order.lines.all() if line.quantity_unshipped]}
             for order in orders]
    slips = [slip for slip in slips if slip["lines"]]
    if not slips:
        raise DomainError("Nothing is left to ship on the selected orders.")
    return documents.packing_slips_pdf(slips=slips)


def pick_lists(orders) -> bytes:
    """The pick lists of the waves the selected orders are in (a page per wave)."""
    waves = list(Wave.objects.filter(orders__in=orders).distinct().select_related("warehouse").order_by("pk"))
    if not waves:
        raise DomainError("None of the selected orders is in a wave yet.")
    return documents.pick_list_pdf(waves=[
        (wave, selectors.pick_list(warehouse=wave.warehouse, orders=list(wave.orders.all()))) for wave in waves])


def register_print_actions() -> None:
    register(BulkAction("print_packing_slips", "Print packing slips", "fulfillment.view_shipment",
                        document=packing_slips))
    register(BulkAction("print_pick_lists", "Print pick lists", "fulfillment.view_wave", document=pick_lists))
