from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from oms.models import KnownByNumber, user_reference
from returns.enums import (
    AWAITING_ITEMS_STATUSES,
    OPEN_STATUSES,
    InspectionOutcome,
    RefundStatus,
    Resolution,
    ReturnReason,
    ReturnSource,
    ReturnStatus,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class ReturnRequestQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("order", "order__customer")

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_items(self):
        return self.filter(status__in=AWAITING_ITEMS_STATUSES)


class ReturnRequest(ConcurrentTransitionMixin, KnownByNumber):
    """A return merchandise authorization (RMA): what comes back, why, and how it is settled."""

    detail_url_name = "returns:return_detail"

    number = models.CharField(max_length=20, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    status = FSMField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED, protected=True)
    source = models.CharField(max_length=20, choices=ReturnSource.choices, default=ReturnSource.STAFF)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    free_return_shipping = models.BooleanField(
        default=False, help_text="A reason that is the seller's fault: the label is free and shipping is refunded.")
    note = models.TextField(blank=True, help_text="Staff note.")
    policy_override_note = models.TextField(blank=True)
    policy_overridden_by = user_reference()
    decision_note = models.CharField(max_length=255, blank=True, help_text="Why it was rejected or cancelled.")

    refund_amount = models.DecimalField(**MONEY)
    refund_shipping = models.DecimalField(**MONEY)
    # Set while a refund is with the payment gateway: the return moves once, whoever clicks twice.
    refund_key = models.CharField(max_length=80, blank=True, editable=False)
    refund_transaction = models.ForeignKey("payments.PaymentTransaction", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    replacement_order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                                             related_name="replacement_for")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = user_reference()

    objects = ReturnRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "return request (RMA)"
        indexes = [
            models.Index(fields=["status", "-created_at"], name="return_status_created_idx"),
            models.Index(fields=["-created_at", "-id"], name="return_created_idx"),
        ]
        permissions = [
            ("approve_return", "Can approve or reject a return"),
            ("receive_return", "Can receive and inspect returned items"),
            ("resolve_return", "Can refund or exchange a return"),
            ("close_return", "Can close or cancel a return"),
            ("override_policy", "Can accept a return outside the return policy"),
        ]

    def get_customer_url(self) -> str:
        return reverse("returns:customer_return_detail", args=[self.order.tracking_token, self.number])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # -- guards --------------------------------------------------------------------------

    def has_received_items(self) -> bool:
        return any(line.quantity_received for line in self.lines.all())

    def every_received_line_inspected(self) -> bool:
        return all(line.outcome for line in self.lines.all() if line.quantity_received)

    # -- transitions: in-memory only; services call them, save and record the event ----

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.APPROVED,
                permission="returns.approve_return")
    def approve(self):
        pass

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.REJECTED,
                permission="returns.approve_return")
    def reject(self):
        pass

    @transition(field=status, source=ReturnStatus.APPROVED, target=ReturnStatus.ITEMS_RECEIVED,
                permission="returns.receive_return", conditions=[has_received_items])
    def receive(self):
        pass

    @transition(field=status, source=ReturnStatus.ITEMS_RECEIVED, target=ReturnStatus.INSPECTED,
                permission="returns.receive_return", conditions=[every_received_line_inspected])
    def inspect(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.REFUNDED,
                permission="returns.resolve_return")
    def refund(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.EXCHANGED,
                permission="returns.resolve_return")
    def exchange(self):
        pass

    @transition(field=status, source=[ReturnStatus.INSPECTED, ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED,
                                      ReturnStatus.REJECTED], target=ReturnStatus.CLOSED,
                permission="returns.close_return")
    def close(self):
        pass

    @transition(field=status, source=AWAITING_ITEMS_STATUSES, target=ReturnStatus.CANCELLED,
                permission="returns.close_return")
    def cancel(self):
        pass


class ReturnLine(models.Model):
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=30, choices=ReturnReason.choices)
    customer_comment = models.TextField(blank=True)
    quantity_received = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=InspectionOutcome.choices, blank=True)
    inspection_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity")),
                                   name="returnline_received_lte_quantity"),
            models.UniqueConstraint(fields=["return_request", "order_line"], name="returnline_unique_order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"

    @property
    def unit_refund(self) -> Decimal:
        """What one unit cost the customer, tax and discount included (unrounded)."""
        line = self.order_line
        return line.line_total / line.quantity


class NonReturnableProduct(models.Model):
    """Products the return policy excludes (hygiene goods, custom-made items); kept here, not on Product,
    so the returns policy needs no change to inventory's tables."""

    product = models.OneToOneField("inventory.Product", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=255, default="This item cannot be returned.")

    class Meta:
        verbose_name = "non-returnable product"

    def __str__(self) -> str:
        return f"{self.product} ({self.reason})"


class RefundQuerySet(models.QuerySet):
    def holding_units(self):
        """Refunds that took their units: refunded, or still with the gateway (a refused one gave them back)."""
        return self.exclude(status=RefundStatus.FAILED)


class Refund(ConcurrentTransitionMixin, models.Model):
    """A refund by line, made by finance on the order page: units of the order's lines (some put
    back in stock) at what the customer paid for them, and the shipping if chosen.

    The money goes through the payment's one refund path (gateway, credit note, the customer's
    e-mail) under `payment_key`; the form's `request_key` makes a double submit the same refund.
    """

    number = models.CharField(max_length=20, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="line_refunds")
    status = FSMField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING, protected=True)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY, help_text="All that is refunded: the lines, tax included, and the shipping.")
    shipping_amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255, blank=True)
    request_key = models.CharField(max_length=80, unique=True, editable=False)
    transaction = models.OneToOneField("payments.PaymentTransaction", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    failure_message = models.CharField(max_length=255, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = RefundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "refund by line"
        verbose_name_plural = "refunds by line"
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(shipping_amount__gte=0) & Q(shipping_amount__lte=F("amount")),
                                   name="refund_shipping_within_amount"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def payment_key(self) -> str:
        """The idempotency key of its payment refund: retries and the sweep never pay it twice."""
        return f"refund-{self.number}"

    # -- transitions: in-memory only; the services lock, call them and save ----------------

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.FAILED)
    def fail(self):
        pass


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    amount = models.DecimalField(**MONEY, help_text="What these units cost the customer, tax included.")
    tax_amount = models.DecimalField(**MONEY)
    restock = models.BooleanField(default=False, help_text="The units came back and went back in stock.")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="refundline_quantity_positive"),
            models.UniqueConstraint(fields=["refund", "order_line"], name="refundline_unique_order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"
