from django.db import models


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ITEMS_RECEIVED = "items_received", "Items received"
    INSPECTED = "inspected", "Inspected"
    REFUNDED = "refunded", "Refunded"
    EXCHANGED = "exchanged", "Exchanged"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Returns whose requested quantities are still on their way back: they hold those units,
# so no other return can claim them. From receipt on, the order line's quantity_returned counts.
AWAITING_ITEMS_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
OPEN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.ITEMS_RECEIVED, ReturnStatus.INSPECTED)


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", "Damaged"
    WRONG_ITEM = "wrong_item", "Wrong item"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"
    OTHER = "other", "Other"


# The seller's fault: the customer sends the goods back at our cost and gets the shipping back.
FREE_SHIPPING_REASONS = frozenset({ReturnReason.DAMAGED, ReturnReason.WRONG_ITEM, ReturnReason.NOT_AS_DESCRIBED})


class ReturnSource(models.TextChoices):
    CUSTOMER = "customer", "Customer (tracking page)"
    STAFF = "staff", "Staff (phone, e-mail)"


class InspectionOutcome(models.TextChoices):
    RESTOCK = "restock", "Restock"
    SCRAP = "scrap", "Scrap"


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund"
    EXCHANGE = "exchange", "Exchange"


class OrderReturnStatus(models.TextChoices):
    NONE = "none", "None"
    PARTIALLY_RETURNED = "partially_returned", "Partially returned"
    RETURNED = "returned", "Returned"


class ReturnEmailKind(models.TextChoices):
    """The customer messages about a return (notification kind `return_<value>`)."""

    REQUESTED = "requested", "Return requested"
    APPROVED = "approved", "Return approved (label)"
    REJECTED = "rejected", "Return rejected"
    RECEIVED = "received", "Items received"
    INSPECTED = "inspected", "Items inspected"
    REFUNDED = "refunded", "Refunded"
    EXCHANGED = "exchanged", "Replacement on its way"
    CANCELLED = "cancelled", "Return cancelled"
    CLOSED = "closed", "Return closed"


class RefundStatus(models.TextChoices):
    """A refund by line: with the payment gateway until it answers, then refunded or refused."""

    PENDING = "pending", "With the gateway"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Refused"
