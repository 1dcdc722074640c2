import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from orders.enums import (
    CANCELLABLE_STATUSES,
    BulkJobStatus,
    HOLDABLE_STATUSES,
    LATE_STATUSES,
    NOT_SALES_STATUSES,
    PRIORITY_RANK,
    QUEUE_STATUSES,
    UNSHIPPED_STATUSES,
    Channel,
    HoldReason,
    OrderChangeKind,
    OrderEventType,
    OrderStatus,
    Priority,
    TagColour,
)
from payments.enums import PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    credit_limit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Open orders may not exceed this. Empty: no account terms, no limit.",
    )
    on_hold = models.BooleanField(default=False, help_text="New orders of this customer are held for review.")
    hold_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("hold_customer", "Can put a customer on hold")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

    def get_absolute_url(self) -> str:
        return reverse("orders:customer_detail", args=[self.pk])


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")
    phone = models.CharField(max_length=40, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["-is_default", "pk"]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.name, self.line1, self.city, self.postal_code, self.country] if p)

    def snapshot(self) -> "AddressSnapshot":
        return AddressSnapshot(**{f: getattr(self, f) for f in ADDRESS_FIELDS})


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


@dataclass(frozen=True)
class AddressSnapshot:
    """An address as it was when the order was placed; stored on the order row itself."""

    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""

    def missing_fields(self) -> list[str]:
        return [f for f in REQUIRED_ADDRESS_FIELDS if not str(getattr(self, f)).strip()]

    def lines(self) -> list[str]:
        city_line = " ".join(p for p in [self.postal_code, self.city, self.region] if p)
        return [p for p in [self.name, self.company, self.line1, self.line2, city_line, self.country] if p]

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in ADDRESS_FIELDS}


def _address_columns(prefix: str) -> dict[str, models.Field]:
    return {
        f"{prefix}_name": models.CharField(max_length=200, blank=True),
        f"{prefix}_company": models.CharField(max_length=200, blank=True),
        f"{prefix}_line1": models.CharField(max_length=200, blank=True),
        f"{prefix}_line2": models.CharField(max_length=200, blank=True),
        f"{prefix}_city": models.CharField(max_length=100, blank=True),
        f"{prefix}_region": models.CharField(max_length=100, blank=True),
        f"{prefix}_postal_code": models.CharField(max_length=20, blank=True),
        f"{prefix}_country": models.CharField(max_length=2, blank=True),
        f"{prefix}_phone": models.CharField(max_length=40, blank=True),
    }


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


def priority_rank() -> models.Case:
    """Rush before expedited before standard, as one expression: the queue sorts on it and
    order_queue_rank_idx indexes it, so both must be built here."""
    return models.Case(
        *[models.When(priority=p, then=models.Value(r)) for p, r in PRIORITY_RANK.items()],
        output_field=models.IntegerField(),
    )


QUEUE_ORDER = ("priority_rank", F("ship_by").asc(nulls_last=True), "placed_at", "pk")


class OrderQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("customer")

    def in_queue_order(self):
        """Priority, promise date, placing time: walked in order_queue_rank_idx, never sorted."""
        return self.annotate(priority_rank=priority_rank()).order_by(*QUEUE_ORDER)

    def awaiting_fulfillment(self):
        """Confirmed orders in queue order: priority, promise date, placing time."""
        return self.filter(status=OrderStatus.CONFIRMED).in_queue_order()


class Order(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PHONE)
    external_reference = models.CharField(
        max_length=100, blank=True, help_text="The order's id in the channel it came from (web shop, marketplace)."
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = FSMField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT, protected=True)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.STANDARD)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.CARD)
    currency = models.CharField(max_length=3, default="USD")
    customer_note = models.TextField(blank=True, help_text="Shown on the packing slip.")
    internal_note = models.TextField(blank=True)

    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    deliver_by = models.DateTimeField(null=True, blank=True)

    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_client = models.ForeignKey(
        "orders.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="orders",
        help_text="The web shop or marketplace that posted the order, for intake API orders.",
    )
    tags = models.ManyToManyField("orders.Tag", blank=True, related_name="orders")

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["status", "-created_at"], name="order_status_created_idx"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_idx"),
            models.Index(fields=["status", "priority", "ship_by"], name="order_queue_idx"),
            # The fulfillment queue's first page, read in its sort order instead of sorting the queue.
            # "ship_by" ascending is NULLS LAST in PostgreSQL's indexes already, which the queue's
            # ORDER BY ... NULLS LAST reads; SQLite refuses NULLS LAST in an index, so it is not spelled out.
            models.Index(priority_rank(), "ship_by", "placed_at", "id",
                         name="order_queue_rank_idx", condition=Q(status__in=QUEUE_STATUSES)),
            # The dashboard's panels and money figures, each a short walk or an index-only SUM.
            models.Index(fields=["ship_by", "id"], name="order_late_idx", condition=Q(status__in=LATE_STATUSES)),
            models.Index(fields=["placed_at", "id"], name="order_on_hold_idx", condition=Q(status=OrderStatus.ON_HOLD)),
            models.Index(fields=["placed_at"], include=["total"], name="order_sales_idx",
                         condition=~Q(status__in=NOT_SALES_STATUSES)),
            models.Index(fields=["status"], include=["total"], name="order_open_value_idx",
                         condition=Q(status__in=UNSHIPPED_STATUSES)),
            models.Index(fields=["placed_at"], name="order_placed_idx"),  # KPIs by placing period
            # The order list sorted by total or ship-by date (either way: an index scans backwards too).
            models.Index(fields=["total", "id"], name="order_total_idx"),
            models.Index(fields=["ship_by", "id"], name="order_ship_by_idx"),
            # The sweeps read only the orders still waiting on them, oldest first, never the history.
            models.Index(fields=["delivered_at", "id"], name="order_delivered_open_idx",
                         condition=Q(status=OrderStatus.DELIVERED)),
            models.Index(fields=["placed_at"], name="order_placed_unverified_idx",
                         condition=Q(status=OrderStatus.PLACED, hold_reason="")),
            models.Index(fields=["external_reference"], name="order_external_ref_idx",
                         condition=~Q(external_reference="")),
        ]
        constraints = [
            # An API client's references are its own (two marketplaces may both send "1001");
            # orders from a file or staff are unique per channel.
            models.UniqueConstraint(
                fields=["api_client", "external_reference"],
                condition=~Q(external_reference="") & Q(api_client__isnull=False),
                name="order_unique_client_reference",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_reference"],
                condition=~Q(external_reference="") & Q(api_client__isnull=True),
                name="order_unique_external_reference",
            ),
        ]
        permissions = [
            ("submit_order", "Can submit a draft order"),
            ("verify_order", "Can verify an order"),
            ("hold_order", "Can put an order on hold"),
            ("release_hold", "Can release an order from hold"),
            ("override_hold", "Can approve an order despite a credit or risk hold"),
            ("cancel_order", "Can cancel an order"),
            ("fulfill_order", "Can release, ship and deliver orders"),
            ("complete_order", "Can complete an order"),
            ("change_order_price", "Can change prices and discounts of a placed order"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", args=[self.number])

    @property
    def shipping_address(self) -> AddressSnapshot:
        return AddressSnapshot(**{f: getattr(self, f"ship_{f}") for f in ADDRESS_FIELDS})

    @property
    def billing_address(self) -> AddressSnapshot:
        return AddressSnapshot(**{f: getattr(self, f"bill_{f}") for f in ADDRESS_FIELDS})

    def set_shipping_address(self, address: AddressSnapshot) -> None:
        for f in ADDRESS_FIELDS:
            setattr(self, f"ship_{f}", getattr(address, f))

    def set_billing_address(self, address: AddressSnapshot) -> None:
        for f in ADDRESS_FIELDS:
            setattr(self, f"bill_{f}", getattr(address, f))

    @property
    def is_editable(self) -> bool:
        return self.status == OrderStatus.DRAFT

    # -- guards (no side effects) ------------------------------------------------------

    # Both read `lines.all()` so that a page that prefetched the lines asks no more queries.
    def has_lines(self) -> bool:
        return len(self.lines.all()) > 0

    def fully_allocated(self) -> bool:
        return all(line.quantity_allocated >= line.quantity for line in self.lines.all())

    def nothing_shipped(self) -> bool:
        return not any(line.quantity_shipped for line in self.lines.all())

    def payment_allows_release(self) -> bool:
        # payments: wire and ACH orders are paid before release to fulfillment.
        from payments.selectors import payment_allows_release

        return payment_allows_release(self)

    # -- transitions: in-memory only; services call them, save and record the event ----

    @transition(field=status, source=OrderStatus.DRAFT, target=OrderStatus.PLACED,
                permission="orders.submit_order", conditions=[has_lines])
    def submit(self):
        pass

    @transition(field=status, source=OrderStatus.PLACED,
                target=RETURN_VALUE(OrderStatus.CONFIRMED, OrderStatus.BACKORDERED, OrderStatus.ON_HOLD),
                permission="orders.verify_order")
    def verify(self, outcome: str) -> str:
        return outcome

    @transition(field=status, source=HOLDABLE_STATUSES, target=OrderStatus.ON_HOLD, permission="orders.hold_order")
    def hold(self):
        pass

    @transition(field=status, source=OrderStatus.ON_HOLD, target=OrderStatus.PLACED,
                permission="orders.release_hold")
    def release_hold(self):
        pass

    @transition(field=status, source=OrderStatus.BACKORDERED, target=OrderStatus.CONFIRMED,
                permission="orders.verify_order", conditions=[fully_allocated])
    def allocate(self):
        pass

    @transition(field=status, source=OrderStatus.CONFIRMED, target=OrderStatus.IN_FULFILLMENT,
                permission="orders.fulfill_order", conditions=[payment_allows_release])
    def release(self):
        pass

    @transition(field=status, source=[OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED],
                target=RETURN_VALUE(OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED),
                permission="orders.fulfill_order")
    def ship(self, fully_shipped: bool) -> str:
        return OrderStatus.SHIPPED if fully_shipped else OrderStatus.PARTIALLY_SHIPPED

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED,
                permission="orders.fulfill_order")
    def deliver(self):
        pass

    @transition(field=status, source=OrderStatus.DELIVERED, target=OrderStatus.COMPLETED,
                permission="orders.complete_order")
    def complete(self):
        pass

    @transition(field=status, source=CANCELLABLE_STATUSES, target=OrderStatus.CANCELLED,
                permission="orders.cancel_order", conditions=[nothing_shipped])
    def cancel(self):
        pass


# The shipping and billing addresses are snapshots kept on the order row (ship_*, bill_*):
# a later change to the customer's address book never rewrites a placed order.
for _prefix in ("ship", "bill"):
    for _name, _field in _address_columns(_prefix).items():
        Order.add_to_class(_name, _field)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="order_lines")
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    discount_amount = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    quantity_allocated = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["sku"], name="orderline_sku_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_allocated__lte=F("quantity")), name="orderline_alloc_lte_qty"),
            models.CheckConstraint(condition=Q(quantity_shipped__lte=F("quantity")), name="orderline_ship_lte_qty"),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")), name="orderline_return_lte_shipped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def tax_percent(self) -> Decimal:
        return (self.tax_rate * 100).normalize()

    @property
    def quantity_unshipped(self) -> int:
        return self.quantity - self.quantity_shipped


class OrderEvent(models.Model):
    """The order's timeline: immutable, one row per state change, note, or side effect."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=30, choices=OrderEventType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    customer_visible = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "system"


class OrderVersion(models.Model):
    """One change to a placed order (an edit or a cancelled line): what changed, before and after.

    Immutable; `changes` is a list of {"field", "label", "before", "after"} entries, one per
    changed field of the order or of a line, as the timeline and the admin show them.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=OrderChangeKind.choices)
    reason = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=list)
    total_before = models.DecimalField(max_digits=14, decimal_places=2)
    total_after = models.DecimalField(max_digits=14, decimal_places=2)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="orderversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.number} ({self.get_kind_display()})"


class OrderHoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)


class OrderHold(models.Model):
    """Why an order is on hold, and who cleared it; `override` approves the reason for re-verification."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=30, choices=HoldReason.choices)
    message = models.TextField(blank=True)
    check_name = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_note = models.TextField(blank=True)
    override = models.BooleanField(default=False)

    objects = OrderHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["order", "released_at"], name="orderhold_active_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.get_reason_display()}"


class ApiClient(models.Model):
    """A web shop or marketplace allowed to post orders to the intake API, on one channel."""

    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    key_prefix = models.CharField(max_length=8, help_text="The first characters of the key, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()}, {self.key_prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "oms_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Tag(models.Model):
    """A label staff put on orders to find and work on them together ("VIP", "gift", "check address")."""

    name = models.CharField(max_length=40, unique=True)
    # One of the site's badge colours (a class, not a style attribute: the Content-Security-Policy forbids those).
    colour = models.CharField(max_length=10, choices=TagColour.choices, default=TagColour.GREY)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named order list: its filter, columns and sort, kept by one staff member and shown as a tab
    on the order list, to its owner only or to everyone in one role (a group)."""

    name = models.CharField(max_length=60)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shared_with = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="A role whose members also see this view; empty keeps it private.",
    )
    # The filter as the order list's query string (only the filter's own parameters, checked when saved).
    query = models.CharField(max_length=1000, blank=True)
    columns = models.JSONField(default=list, blank=True, help_text="The optional columns shown, in order.")
    sort = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedview_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        params = [self.query] if self.query else []
        if self.sort:
            params.append(f"sort={self.sort}")
        params.append(f"view={self.pk}")
        return f"{reverse('orders:order_list')}?{'&'.join(params)}"


class WorkerJob(models.Model):
    """Work on many rows that a worker does after the request, with a page that follows its progress:
    `processed` of `total` done, `finished_at` once it is over."""

    status = models.CharField(max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.processed / self.total)


class BulkJob(WorkerJob):
    """One action run on many orders, each through its own service call; a worker runs it and the
    staff page follows its progress. Each order's outcome is a `BulkJobResult` row, so a job that is
    run twice (a redelivered task) never acts on an order twice."""

    action = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    order_ids = models.JSONField(default=list, editable=False)
    succeeded = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Bulk {self.action} #{self.pk} ({self.processed}/{self.total})"

    def get_absolute_url(self) -> str:
        return reverse("orders:bulk_job", args=[self.pk])

    @property
    def refused(self) -> int:
        return self.processed - self.succeeded


class BulkJobResult(models.Model):
    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="results")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    ok = models.BooleanField()
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["ok", "pk"]
        constraints = [models.UniqueConstraint(fields=["job", "order"], name="bulkjobresult_once_per_order")]


class IntakeRequest(models.Model):
    """The first request an API client sent for one external reference, and the answer it got.

    The external reference is the client's idempotency key: a replay of the same body gets the
    stored answer again; another body under the same key is refused (409) with what differs.
    """

    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="intake_requests")
    external_reference = models.CharField(max_length=100)
    body_hash = models.CharField(max_length=64, help_text="SHA-256 of the body as canonical JSON (sorted keys).")
    body = models.JSONField(help_text="The body as received, to name the fields a different replay changes.")
    order = models.ForeignKey("Order", on_delete=models.PROTECT, related_name="+")
    answer_status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_client", "external_reference"],
                                               name="intakerequest_unique_client_reference")]

    def __str__(self) -> str:
        return f"{self.api_client_id}: {self.external_reference}"


class ImportJob(WorkerJob):
    """A CSV file of orders that a worker imports in chunks; `total` and `processed` count its rows.

    The file is kept in the database, not in MEDIA storage: it commits with the job (there is never
    a job without its file, or a file without its job), and a worker on another machine reads it
    where it reads everything else, with no shared disk to set up. The upload's 5 MB cap keeps the
    row modest.

    `chunks_done` is how far the import got: each chunk of orders commits together with it, under
    a lock on this row, so a redelivered task (or two at once) never imports a chunk twice and a
    worker that dies mid-chunk leaves none of it behind. `heartbeat_at` is the job's last sign of
    life, for the sweep that re-queues a job whose task was lost.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(editable=False)
    orders_created = models.PositiveIntegerField(default=0)
    orders_skipped = models.PositiveIntegerField(default=0, help_text="Already imported: left as they were.")
    orders_failed = models.PositiveIntegerField(default=0, help_text="Not imported: their rows are in the errors.")
    error_count = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0, editable=False)
    # Times the sweep queued the job again since its last chunk committed (a chunk that always fails stops it).
    resumed = models.PositiveSmallIntegerField(default=0, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    class Meta(WorkerJob.Meta):
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="importjob_status_heartbeat")]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.file_name} ({self.processed}/{self.total} rows)"

    def get_absolute_url(self) -> str:
        return reverse("orders:import_job", args=[self.pk])


class ImportJobError(models.Model):
    """A problem with one row of an import: the row as a spreadsheet numbers it (the header is row 1)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField()
    external_reference = models.CharField(max_length=100, blank=True)
    column = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["row", "pk"]


class ImportJobOrder(models.Model):
    """An order a file named: created by this import, or already there and left alone."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="orders")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="import_links")
    created = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "order"], name="importjoborder_once_per_order")]
