from django.db import models


class PaymentMethod(models.TextChoices):
    CARD = "card", "Credit card"
    DEBIT = "debit", "Debit card"
    ACH = "ach", "ACH transfer"
    PAYPAL = "paypal", "PayPal"
    WIRE = "wire", "Wire transfer"
    COD = "cod", "Cash on delivery"
    TERMS = "terms", "Account terms (net 30)"


# When a method takes the money:
# authorized at verification and captured at shipment,
AUTHORIZE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.DEBIT, PaymentMethod.PAYPAL})
# paid before the order is released to the warehouse,
PAY_BEFORE_RELEASE_METHODS = frozenset({PaymentMethod.WIRE, PaymentMethod.ACH})
# collected by the carrier on delivery, or invoiced on account terms (recorded by hand).
MANUAL_METHODS = frozenset({PaymentMethod.WIRE, PaymentMethod.ACH, PaymentMethod.COD, PaymentMethod.TERMS})


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHORIZED = "authorized", "Authorized"
    PARTIALLY_CAPTURED = "partially_captured", "Partially captured"
    CAPTURED = "captured", "Captured"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"
    FAILED = "failed", "Failed"


class TransactionKind(models.TextChoices):
    AUTHORIZE = "authorize", "Authorize"
    CAPTURE = "capture", "Capture"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"
    MANUAL = "manual", "Manual payment"
    AUTHORIZE_INCREASE = "authorize_increase", "Extra authorization"
    PARTIAL_VOID = "partial_void", "Partial void"


class TransactionOutcome(models.TextChoices):
    # `pending` while the gateway is called; `unknown` when it did not answer (a timeout):
    # both may still become a final outcome by retrying with the same idempotency key.
    PENDING = "pending", "In flight"
    UNKNOWN = "unknown", "Unknown (no answer)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


FINAL_OUTCOMES = frozenset({TransactionOutcome.SUCCEEDED, TransactionOutcome.FAILED})


class OrderPaymentStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    AUTHORIZED = "authorized", "Authorized"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    VOID = "void", "Void"
