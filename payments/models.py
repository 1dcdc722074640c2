from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from inventory.enums import TaxClass
from oms.models import KnownByNumber, user_reference
from payments.enums import (
    FINAL_OUTCOMES,
    InvoiceStatus,
    PaymentMethod,
    PaymentStatus,
    TransactionKind,
    TransactionOutcome,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}
ZERO = Decimal("0")

CAPTURABLE = [PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_CAPTURED]
REFUNDABLE = [PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED]


class PaymentQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("order", "order__customer")


class Payment(ConcurrentTransitionMixin, models.Model):
    """The money side of one order: what was authorized, captured and refunded.

    Amounts only change under the payment's row lock. `pending_capture` and
    `pending_refund` hold amounts reserved for a gateway call in flight, so two
    concurrent refunds can never together exceed what was captured (the check
    constraints below make it impossible, not unlikely).
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY, help_text="What the customer owes for the order.")
    authorized_amount = models.DecimalField(**MONEY)
    captured_amount = models.DecimalField(**MONEY)
    refunded_amount = models.DecimalField(**MONEY)
    pending_capture = models.DecimalField(**MONEY)
    pending_refund = models.DecimalField(**MONEY)
    status = FSMField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, protected=True)
    # Never a card number: the gateway's token and the last four digits to show staff.
    source_token = models.CharField(max_length=100, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    authorization_attempt = models.PositiveIntegerField(
        default=1, help_text="Raised when the customer gives new payment details; part of the idempotency key."
    )
    authorization_reference = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    # The customer's bank disputed the charge (a chargeback): answered at the provider, flagged here.
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reference = models.CharField(max_length=100, blank=True)
    dispute_reason = models.CharField(max_length=100, blank=True)
    dispute_amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order"], name="payment_one_per_order"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(authorized_amount__gte=0) & Q(captured_amount__gte=0)
                & Q(refunded_amount__gte=0) & Q(pending_capture__gte=0) & Q(pending_refund__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(authorized_amount__gte=F("captured_amount") + F("pending_capture")),
                name="payment_capture_lte_authorized",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=F("refunded_amount") + F("pending_refund")),
                name="payment_refund_lte_captured",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="payment_status_idx")]
        permissions = [
            ("capture_payment", "Can capture a payment"),
            ("void_payment", "Can void a payment"),
            ("refund_payment", "Can refund a payment"),
            ("record_manual_payment", "Can record a manual payment (wire received, COD collected)"),
            ("retry_payment", "Can enter new payment details for a declined payment"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for order {self.order_id}"

    def get_absolute_url(self) -> str:
        return reverse("payments:payment_detail", args=[self.pk])

    @property
    def capturable(self) -> Decimal:
        return self.authorized_amount - self.captured_amount - self.pending_capture

    @property
    def refundable(self) -> Decimal:
        return self.captured_amount - self.refunded_amount - self.pending_refund

    @property
    def disputed(self) -> bool:
        return self.disputed_at is not None

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.captured_amount, ZERO)

    def _status_after_capture(self) -> str:
        if self.refunded_amount > 0:
            return PaymentStatus.REFUNDED if self.refunded_amount >= self.captured_amount else \
                PaymentStatus.PARTIALLY_REFUNDED
        if self.captured_amount >= max(self.authorized_amount, self.amount):
            return PaymentStatus.CAPTURED
        return PaymentStatus.PARTIALLY_CAPTURED

    # -- transitions: in-memory only; services lock, change amounts, call them, save ----

    @transition(field=status, source=[PaymentStatus.PENDING, PaymentStatus.FAILED], target=PaymentStatus.AUTHORIZED)
    def authorize(self):
        pass

    @transition(field=status, source=[PaymentStatus.PENDING, PaymentStatus.FAILED], target=PaymentStatus.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=PaymentStatus.FAILED, target=PaymentStatus.PENDING)
    def retry(self):
        pass

    @transition(field=status, source=CAPTURABLE,
                target=RETURN_VALUE(PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED))
    def capture(self) -> str:
        return self._status_after_capture()

    @transition(field=status, source=[PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.PARTIALLY_CAPTURED],
                target=RETURN_VALUE(PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED))
    def record_manual(self) -> str:
        return self._status_after_capture()

    @transition(field=status, source=[PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.AUTHORIZED],
                target=PaymentStatus.VOIDED)
    def void(self):
        pass

    @transition(field=status, source=REFUNDABLE,
                target=RETURN_VALUE(PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED))
    def refund(self) -> str:
        return self._status_after_capture()


class PaymentTransaction(models.Model):
    """One gateway call (or manual receipt): immutable once its outcome is final.

    The row is inserted, with its unique idempotency key, before the gateway is called;
    a second request with the same key finds it and never calls the gateway twice.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=20, choices=TransactionOutcome.choices, default=TransactionOutcome.PENDING)
    gateway = models.CharField(max_length=100, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=150, unique=True)
    note = models.CharField(max_length=255, blank=True)
    notify_customer = models.BooleanField(
        default=True, help_text="A refund is told to the customer by payments' own message; off when the caller "
                                "(a return) tells them itself.")
    final_capture = models.BooleanField(
        default=True, help_text="A capture that ends the authorization; off while the order still has units to "
                                "ship, so the rest stays authorized for their capture.")
    actor = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["payment", "created_at"], name="paymenttxn_payment_idx"),
            # The stale-call and retry sweeps read only calls still without a final outcome.
            models.Index(fields=["outcome", "created_at"], name="paymenttxn_unfinished_idx",
                         condition=Q(outcome__in=[TransactionOutcome.PENDING, TransactionOutcome.UNKNOWN])),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="paymenttxn_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.get_outcome_display()})"

    @property
    def success(self) -> bool:
        return self.outcome == TransactionOutcome.SUCCEEDED

    @property
    def is_final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES

    def save(self, *args, **kwargs):
        if self.pk is not None and self.is_final and not kwargs.get("force_insert"):
            raise ValueError("A payment transaction with a final outcome is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Payment transactions are never deleted.")


class TaxRate(models.Model):
    """The tax rate for a product tax class shipped to a destination country."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 destination, e.g. DE")
    tax_class = models.CharField(max_length=20, choices=TaxClass.choices)
    rate = models.DecimalField(max_digits=6, decimal_places=4,
                               validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
                               help_text="0.1900 for 19 %")
    name = models.CharField(max_length=100, blank=True, help_text="Shown on invoices, e.g. 'VAT 19 %'.")

    class Meta:
        ordering = ["country", "tax_class"]
        constraints = [models.UniqueConstraint(fields=["country", "tax_class"], name="taxrate_unique_country_class")]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_class}: {self.rate}"


class InvoiceQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("order")


class Invoice(ConcurrentTransitionMixin, KnownByNumber):
    """An issued invoice: its number is gapless per year, its contents a snapshot."""

    detail_url_name = "payments:invoice_detail"

    number = models.CharField(max_length=30, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    status = FSMField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN, protected=True)
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField()
    due_date = models.DateField()
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    subtotal = models.DecimalField(**MONEY, help_text="Net of tax, after discounts.")
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    paid_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    issued_by = user_reference()

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="invoice_status_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=~Q(status=InvoiceStatus.VOID),
                                    name="invoice_one_live_per_order"),
        ]
        permissions = [("issue_invoice", "Can issue an invoice"), ("void_invoice", "Can void an invoice")]

    @transition(field=status, source=[InvoiceStatus.OPEN, InvoiceStatus.OVERDUE], target=InvoiceStatus.PAID)
    def pay(self):
        pass

    @transition(field=status, source=InvoiceStatus.OPEN, target=InvoiceStatus.OVERDUE)
    def mark_overdue(self):
        pass

    @transition(field=status, source=[InvoiceStatus.OPEN, InvoiceStatus.OVERDUE], target=InvoiceStatus.VOID)
    def void(self):
        pass


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(**MONEY)
    net_amount = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def tax_percent(self) -> str:
        return f"{(self.tax_rate * 100).normalize():f}"


class CreditNote(models.Model):
    """A refund against an invoice; numbered in its own gapless series per year."""

    number = models.CharField(max_length=30, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    transaction = models.OneToOneField(PaymentTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="credit_note")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY, help_text="Credited amount, tax included.")
    tax_amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255, blank=True)
    issued_at = models.DateTimeField()
    issued_by = user_reference()

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class SimulatedGatewayCall(models.Model):
    """The simulated gateway's own memory of answered keys (a real provider keeps this on its side)."""

    idempotency_key = models.CharField(max_length=150, unique=True)
    operation = models.CharField(max_length=20)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}"
