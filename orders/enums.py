from django.db import models


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLACED = "placed", "Placed"
    ON_HOLD = "on_hold", "On hold"
    CONFIRMED = "confirmed", "Confirmed"
    BACKORDERED = "backordered", "Backordered"
    IN_FULFILLMENT = "in_fulfillment", "In fulfillment"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Orders whose value the customer owes or will owe: they count against a credit limit.
OPEN_EXPOSURE_STATUSES = (
    OrderStatus.CONFIRMED,
    OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# Orders the customer still waits for: their value is the dashboard's open order value.
UNSHIPPED_STATUSES = (
    OrderStatus.PLACED,
    OrderStatus.ON_HOLD,
    OrderStatus.CONFIRMED,
    OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT,
    OrderStatus.PARTIALLY_SHIPPED,
)
# Orders that are not sales: not yet placed, or called off.
NOT_SALES_STATUSES = (OrderStatus.DRAFT, OrderStatus.CANCELLED)
# Orders the late-to-ship panel watches.
LATE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED,
                 OrderStatus.BACKORDERED)
# What the warehouse works on: the fulfillment queue.
QUEUE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)
CANCELLABLE_STATUSES = (
    OrderStatus.DRAFT,
    OrderStatus.PLACED,
    OrderStatus.ON_HOLD,
    OrderStatus.CONFIRMED,
    OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT,
)
HOLDABLE_STATUSES = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.BACKORDERED)


class Channel(models.TextChoices):
    WEB = "web", "Web shop"
    PHONE = "phone", "Phone"
    IN_STORE = "in_store", "In store"
    MARKETPLACE = "marketplace", "Marketplace"
    API = "api", "API"


class Priority(models.TextChoices):
    RUSH = "rush", "Rush"
    EXPEDITED = "expedited", "Expedited"
    STANDARD = "standard", "Standard"


# Lower sorts first in the fulfillment queue.
PRIORITY_RANK = {Priority.RUSH: 0, Priority.EXPEDITED: 1, Priority.STANDARD: 2}


class HoldReason(models.TextChoices):
    INVALID_DATA = "invalid_data", "Order data incomplete"
    INCOMPLETE_ADDRESS = "incomplete_address", "Incomplete address"
    CUSTOMER_ON_HOLD = "customer_on_hold", "Customer on hold"
    CREDIT_LIMIT = "credit_limit", "Credit limit exceeded"
    HIGH_FRAUD_RISK = "high_fraud_risk", "High fraud risk"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    PAYMENT_DECLINED = "payment_declined", "Payment declined"
    MANUAL = "manual", "Manual hold"


# A placed order may still be changed (edited, lines cancelled) until its packing starts.
CHANGEABLE_STATUSES = (
    OrderStatus.PLACED,
    OrderStatus.ON_HOLD,
    OrderStatus.CONFIRMED,
    OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT,
)


class OrderChangeKind(models.TextChoices):
    EDIT = "edit", "Edited"
    LINE_CANCEL = "line_cancel", "Line cancelled"


class OrderEventType(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    CHANGED = "changed", "Changed after placement"
    STATUS_CHANGED = "status_changed", "Status changed"
    HOLD_PLACED = "hold_placed", "Put on hold"
    HOLD_RELEASED = "hold_released", "Hold released"
    VERIFICATION = "verification", "Verification"
    NOTE = "note", "Note"
    CANCELLED = "cancelled", "Cancelled"
    STOCK = "stock", "Stock"
    PAYMENT = "payment", "Payment"
    SHIPMENT = "shipment", "Shipment"
    RETURN = "return", "Return"
    EMAIL_SENT = "email_sent", "E-mail sent"


class BulkJobStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class TagColour(models.TextChoices):
    GREY = "secondary", "Grey"
    BLUE = "primary", "Blue"
    GREEN = "success", "Green"
    RED = "danger", "Red"
    YELLOW = "warning", "Yellow"
    CYAN = "info", "Cyan"
    BLACK = "dark", "Black"
