from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from inventory.enums import MovementKind, PurchaseOrderStatus, TaxClass
from oms.models import user_reference


class ProductSearchText(models.Func):
    """A product's SKU and name as product search reads them: UPPER(sku || ' ' || name). On
    PostgreSQL migration 0003 indexes this very expression (pg_trgm), so searches read the index."""

    template = "UPPER(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = models.TextField()

    def __init__(self):
        super().__init__(Cast("sku", models.TextField()), Cast("name", models.TextField()))


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_code(self, code: str):
        """Products whose SKU (case-insensitive) or barcode equals the scanned or typed code."""
        code = code.strip()
        return self.filter(models.Q(sku__iexact=code) | models.Q(barcode=code))

    def matching(self, term: str):
        """Products whose SKU starts with `term` (under three characters) or whose SKU or name
        holds it (three or more), in any case."""
        lookup = "startswith" if len(term) < 3 else "contains"
        return self.alias(search_text=ProductSearchText()).filter(**{f"search_text__{lookup}": term.upper()})


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, unique=True, null=True, blank=True, help_text="EAN/UPC/GTIN")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    weight_kg = models.DecimalField("weight (kg)", max_digits=8, decimal_places=3, default=Decimal("0"))
    tax_class = models.CharField(max_length=20, choices=TaxClass.choices, default=TaxClass.STANDARD)
    is_active = models.BooleanField(default=True)
    allow_backorder = models.BooleanField(
        default=True, help_text="Short stock backorders the order; otherwise it is held as out of stock."
    )
    supplier = models.ForeignKey(
        "inventory.Supplier", null=True, blank=True, on_delete=models.SET_NULL, related_name="products",
        help_text="Preferred supplier: purchase orders created from reorder alerts go to it.",
    )
    cost_price = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="What the supplier charges per unit; the default price of purchase order lines.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:product_stock", args=[self.pk])


class Warehouse(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")
    region = models.CharField("state / region", max_length=100, blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower ships first when several warehouses can.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class StockLevelQuerySet(models.QuerySet):
    def with_available(self):
        return self.annotate(available_qty=F("on_hand") - F("allocated"))

    def low(self):
        """At or below the reorder point (only levels that have one)."""
        return self.filter(reorder_point__gt=0, on_hand__lte=F("allocated") + F("reorder_point"))


class StockLevel(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    bin_location = models.CharField(max_length=40, blank=True)
    reorder_point = models.PositiveIntegerField(default=0, help_text="Alert when available + incoming falls below.")
    reorder_quantity = models.PositiveIntegerField(default=0, help_text="The usual quantity to order.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        ordering = ["product__sku", "warehouse__priority", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_unique_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stocklevel_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stocklevel_allocated_lte_on_hand"),
        ]
        permissions = [
            ("adjust_stock", "Can adjust and receive stock"),
            ("transfer_stock", "Can transfer stock between warehouses"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class Allocation(models.Model):
    """Stock of one warehouse reserved for one order line; shipped (consumed) or released later."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="allocations")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="allocations")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    quantity_consumed = models.PositiveIntegerField(default=0)
    quantity_released = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["order_line"], name="allocation_line_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity__gte=F("quantity_consumed") + F("quantity_released")),
                name="allocation_settled_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id} @ {self.warehouse_id}"

    @property
    def quantity_open(self) -> int:
        return self.quantity - self.quantity_consumed - self.quantity_released

    @property
    def status(self) -> str:
        if self.quantity_open:
            return "open"
        return "consumed" if self.quantity_consumed else "released"


class StockMovement(models.Model):
    """The stock ledger: immutable; on hand and allocated of a level are the sums of its deltas."""

    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    actor = user_reference()
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="movements")
    reference = models.CharField(max_length=100, blank=True, help_text="Return, transfer or document reference.")
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["stock_level", "created_at"], name="movement_level_idx"),
            models.Index(fields=["product", "kind", "created_at"], name="movement_demand_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.on_hand_delta:+d}/{self.allocated_delta:+d} {self.stock_level_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Stock movements are immutable; record a correcting movement instead.")
        super().save(*args, **kwargs)

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "system"


class Supplier(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    lead_time_days = models.PositiveIntegerField(default=7, help_text="Days from sending a PO to receiving it.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReorderAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class ReorderAlert(models.Model):
    """A stock level fell below its reorder point; open until replenishment lifts it again."""

    stock_level = models.ForeignKey(StockLevel, on_delete=models.CASCADE, related_name="reorder_alerts")
    raised_at = models.DateTimeField(auto_now_add=True)
    available = models.IntegerField(help_text="Available when raised.")
    incoming = models.IntegerField(help_text="Open purchase order quantity when raised.")
    reorder_point = models.PositiveIntegerField()
    suggested_quantity = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="alerts")

    objects = ReorderAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["stock_level"], condition=Q(resolved_at__isnull=True),
                                    name="reorderalert_one_open_per_level"),
        ]
        permissions = [("manage_reorder", "Can run the reorder check and order from alerts")]

    def __str__(self) -> str:
        return f"Reorder {self.stock_level}"


class PurchaseOrder(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="purchase_orders")
    status = FSMField(max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT,
                      protected=True)
    note = models.TextField(blank=True)
    expected_at = models.DateField(null=True, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("receive_purchaseorder", "Can receive goods against a purchase order")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inventory:purchase_order_detail", args=[self.pk])

    @property
    def is_receivable(self) -> bool:
        return self.status in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)

    @transition(field=status, source=PurchaseOrderStatus.DRAFT, target=PurchaseOrderStatus.SENT)
    def send(self):
        pass

    @transition(field=status, source=[PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED],
                target=RETURN_VALUE(PurchaseOrderStatus.PARTIALLY_RECEIVED, PurchaseOrderStatus.RECEIVED))
    def receive(self, complete: bool) -> str:
        return PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTIALLY_RECEIVED

    @transition(field=status, source=[PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT,
                                      PurchaseOrderStatus.PARTIALLY_RECEIVED],
                target=PurchaseOrderStatus.CANCELLED)
    def cancel(self):
        pass


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity_ordered = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"], name="poline_unique_product"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="poline_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity_ordered")),
                                   name="poline_received_lte_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity_ordered} × {self.product.sku}"

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received
