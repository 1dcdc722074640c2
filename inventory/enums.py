from django.db import models


class TaxClass(models.TextChoices):
    STANDARD = "standard", "Standard rate"
    REDUCED = "reduced", "Reduced rate"
    ZERO = "zero", "Zero rated"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADJUSTMENT = "adjustment", "Adjustment"
    ALLOCATION = "allocation", "Allocation"
    RELEASE = "release", "Allocation released"
    SHIPMENT = "shipment", "Shipment"
    RETURN_RESTOCK = "return_restock", "Return restock"
    TRANSFER_IN = "transfer_in", "Transfer in"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    SCRAP = "scrap", "Scrap"


# Movement kinds that add sellable stock: waiting backorders may now be allocated.
REPLENISHING_KINDS = frozenset(
    {MovementKind.RECEIPT, MovementKind.RETURN_RESTOCK, MovementKind.TRANSFER_IN, MovementKind.RELEASE}
)


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


# Purchase orders whose unreceived quantity counts as incoming stock.
OPEN_PO_STATUSES = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)
