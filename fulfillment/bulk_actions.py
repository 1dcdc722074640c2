"""The warehouse's documents as print actions of the order list (orders/bulk.py): one PDF for many orders."""

from fulfillment import documents, selectors, services
from fulfillment.enums import LabelStatus
from fulfillment.models import Shipment, Wave
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


def shipping_labels(orders) -> bytes:
    """The shipping labels of the selected orders' shipments, a page each: the carrier's PDF where one
    was bought, else the label drawn here for a shipped one. ZPL labels go to a thermal printer from
    their shipment's page instead."""
    pages = []
    shipments = (Shipment.objects.for_list().filter(order__in=orders).prefetch_related("labels", "packages")
                 .order_by("order_id", "pk"))
    for shipment in shipments:
        label = next((label for label in shipment.labels.all() if label.status == LabelStatus.BOUGHT), None)
        if label is not None and label.is_pdf:
            pages.append(services.label_file(label=label))
        elif label is None and shipment.tracking_number:
            pages.append(documents.shipping_label_pdf(shipment))
    if not pages:
        raise DomainError("None of the selected orders has a shipping label to print yet.")
    return documents.pdfs_joined(pages)


def register_print_actions() -> None:
    register(BulkAction("print_packing_slips", "Print packing slips", "fulfillment.view_shipment",
                        document=packing_slips))
    register(BulkAction("print_pick_lists", "Print pick lists", "fulfillment.view_wave", document=pick_lists))
    register(BulkAction("print_shipping_labels", "Print shipping labels", "fulfillment.view_shipment",
                        document=shipping_labels))
