"""Inventory owns products, warehouses, stock levels, allocations of stock to order
lines, the stock movement ledger, reorder alerts, suppliers and purchase orders.

Every change of on-hand or allocated stock writes an immutable `StockMovement`, so a
level's on hand and allocated always equal the sums of its movements
(`manage.py check_stock_ledger` verifies it). Stock rows are locked in primary-key
order (`inventory.locks`) and quantities move with conditional UPDATEs backed by
database check constraints: overselling is impossible, not unlikely.

Inventory never calls the orders services. When stock becomes available again it
sends `inventory.signals.stock_replenished` after commit; the orders app listens and
allocates waiting backorders.

`OrderLine.quantity_allocated` (an orders column) is kept here, with F() updates,
because allocation is the only writer of it: it counts the units allocated to the
line, shipped ones included; a release subtracts what was released.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inventory.enums import MovementKind
from inventory.forecast import daily_demand_by_level, forecast
from inventory.locks import (
    lock_purchase_order,
    lock_purchase_order_lines,
    lock_stock_levels,
)
from inventory.models import (
    Allocation,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderAlert,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory.selectors import incoming_by_level
from inventory.signals import stock_replenished
from inventory.sql import (
    execute_guarded_writes,
    insert_rows_sql,
    lock_stock_levels_for_allocation,
    update_per_row,
    update_per_row_sql,
)
from oms.actors import user_or_none
from oms.exceptions import DomainError
from oms.fsm import transition_refusal
from oms.sequences import sequence_next

logger = logging.getLogger(__name__)


class StockConflict(DomainError):
    """A conditional stock update found less than it was promised: nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message, code="stock_conflict")


def _movement(level: StockLevel, kind: str, *, actor, on_hand: int = 0, allocated: int = 0, order=None,
              purchase_order=None, reference: str = "", reason: str = "") -> StockMovement:
    return StockMovement(
        stock_level=level, product_id=level.product_id, warehouse_id=level.warehouse_id, kind=kind,
        on_hand_delta=on_hand, allocated_delta=allocated, actor=user_or_none(actor), order=order,
        purchase_order=purchase_order, reference=reference[:100], reason=reason[:255],
    )


def _announce_replenished(product_ids: Iterable[int]) -> None:
    ids = sorted(set(product_ids))
    if not ids:
        return

    def send():
        for receiver, result in stock_replenished.send_robust(sender=StockMovement, product_ids=ids):
            if isinstance(result, Exception):
                logger.error("stock_replenished receiver %r failed: %s", receiver, result)

    transaction.on_commit(send)


def _level_for_update(*, product: Product, warehouse: Warehouse) -> StockLevel:
    level, _ = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
    return lock_stock_levels(pks=[level.pk])[0]


def _reorder_alerts_resolve(level_ids: Iterable[int]) -> int:
    """Close the open alerts of levels whose available stock is back at the reorder point."""
    return ReorderAlert.objects.open().filter(
        stock_level_id__in=list(level_ids),
        stock_level__on_hand__gte=F("stock_level__allocated") + F("stock_level__reorder_point"),
    ).update(resolved_at=timezone.now())


# -- receipts, adjustments, transfers ---------------------------------------------------------


def _add_stock(*, actor, level: StockLevel, quantity: int, kind: str, order=None, purchase_order=None,
               reference: str = "", reason: str = "") -> StockMovement:
    """Add to a locked level: the UPDATE and its ledger row."""
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + quantity, updated_at=timezone.now())
    level.on_hand += quantity
    movement = _movement(level, kind, actor=actor, on_hand=quantity, order=order, purchase_order=purchase_order,
                         reference=reference, reason=reason)
    movement.save()
    return movement


def _positive(quantity: int) -> int:
    if not isinstance(quantity, int) or quantity <= 0:
        raise DomainError("The quantity must be a whole number of at least 1.")
    return quantity


def stock_receive(*, actor, product: Product, warehouse: Warehouse, quantity: int, reference: str = "",
                  reason: str = "", order=None) -> StockMovement:
    """Goods arrived outside a purchase order (or a manual receipt): on hand goes up."""
    return _stock_in(actor=actor, product=product, warehouse=warehouse, quantity=quantity, kind=MovementKind.RECEIPT,
                     reference=reference, reason=reason, order=order)


def stock_return_restock(*, actor, product: Product, warehouse: Warehouse, quantity: int, order=None,
                         reference: str = "", reason: str = "") -> StockMovement:
    """Returned goods fit to sell again go back on the shelf (the returns app calls this)."""
    return _stock_in(actor=actor, product=product, warehouse=warehouse, quantity=quantity,
                     kind=MovementKind.RETURN_RESTOCK, reference=reference, reason=reason, order=order)


def _stock_in(*, actor, product, warehouse, quantity, kind, reference, reason, order) -> StockMovement:
    _positive(quantity)
    with transaction.atomic():
        level = _level_for_update(product=product, warehouse=warehouse)
        movement = _add_stock(actor=actor, level=level, quantity=quantity, kind=kind, order=order,
                              reference=reference, reason=reason)
        _reorder_alerts_resolve([level.pk])
        _announce_replenished([product.pk])
    return movement


def stock_adjust(*, actor, stock_level: StockLevel, quantity_delta: int, reason: str,
                 kind: str = MovementKind.ADJUSTMENT) -> StockMovement:
    """Correct on hand after a count, damage or find; never below what is allocated."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the stock is adjusted.")
    if not isinstance(quantity_delta, int) or quantity_delta == 0:
        raise DomainError("The adjustment must change the quantity (a whole number, not 0).")
    if kind not in (MovementKind.ADJUSTMENT, MovementKind.SCRAP):
        raise DomainError(f"Unknown adjustment kind {kind!r}.")
    if kind == MovementKind.SCRAP and quantity_delta > 0:
        raise DomainError("Scrapping removes stock: the quantity must be negative.")
    with transaction.atomic():
        level = lock_stock_levels(pks=[stock_level.pk])[0]
        if level.on_hand + quantity_delta < level.allocated:
            raise DomainError(f"{level}: only {level.available} are not allocated; "
                              f"cannot remove {-quantity_delta}.")
        updated = StockLevel.objects.filter(pk=level.pk, on_hand__gte=F("allocated") - quantity_delta).update(
            on_hand=F("on_hand") + quantity_delta, updated_at=timezone.now())
        if not updated:
            raise StockConflict(f"{level}: the stock changed meanwhile; nothing was adjusted.")
        level.on_hand += quantity_delta
        movement = _movement(level, kind, actor=actor, on_hand=quantity_delta, reason=reason)
        movement.save()
        if quantity_delta > 0:
            _reorder_alerts_resolve([level.pk])
            _announce_replenished([level.product_id])
    stock_level.on_hand = level.on_hand
    return movement


def stock_transfer(*, actor, product: Product, source: Warehouse, destination: Warehouse, quantity: int,
                   reason: str = "") -> tuple[StockMovement, StockMovement]:
    """Move available (unallocated) stock from one warehouse to another."""
    _positive(quantity)
    if source.pk == destination.pk:
        raise DomainError("Choose two different warehouses.")
    with transaction.atomic():
        StockLevel.objects.get_or_create(product=product, warehouse=destination)
        levels = lock_stock_levels(product_ids=[product.pk])
        by_warehouse = {level.warehouse_id: level for level in levels}
        src, dst = by_warehouse.get(source.pk), by_warehouse[destination.pk]
        if src is None or src.available < quantity:
            have = src.available if src else 0
            raise DomainError(f"{product.sku} @ {source.code}: only {have} available; cannot transfer {quantity}.")
        updated = StockLevel.objects.filter(pk=src.pk, on_hand__gte=F("allocated") + quantity).update(
            on_hand=F("on_hand") - quantity, updated_at=timezone.now())
        if not updated:
            raise StockConflict(f"{src}: the stock changed meanwhile; nothing was transferred.")
        StockLevel.objects.filter(pk=dst.pk).update(on_hand=F("on_hand") + quantity, updated_at=timezone.now())
        reference = f"{source.code} -> {destination.code}"
        out, into = StockMovement.objects.bulk_create([
            _movement(src, MovementKind.TRANSFER_OUT, actor=actor, on_hand=-quantity, reference=reference,
                      reason=reason),
            _movement(dst, MovementKind.TRANSFER_IN, actor=actor, on_hand=quantity, reference=reference,
                      reason=reason),
        ])
        _reorder_alerts_resolve([dst.pk])
        _announce_replenished([product.pk])
    return out, into


def stock_level_configure(*, actor, product: Product, warehouse: Warehouse, bin_location: str = "",
                          reorder_point: int = 0, reorder_quantity: int = 0) -> StockLevel:
    """Stock a product in a warehouse (or change where it is kept and its reorder rule).

    Only settings: quantities move through the ledger, never here.
    """
    if reorder_point < 0 or reorder_quantity < 0:
        raise DomainError("Reorder point and quantity cannot be negative.")
    with transaction.atomic():
        level, _ = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
        StockLevel.objects.filter(pk=level.pk).update(
            bin_location=bin_location.strip(), reorder_point=reorder_point, reorder_quantity=reorder_quantity,
            updated_at=timezone.now())
    level.refresh_from_db()
    return level


# -- allocation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAllocation:
    line: object  # orders.OrderLine
    level: StockLevel
    quantity: int


@dataclass
class AllocationOutcome:
    allocations: list[Allocation] = field(default_factory=list)  # as inserted (without their ids)
    short: list[tuple[object, int]] = field(default_factory=list)  # (order line, units missing)
    held: list[tuple[object, int]] = field(default_factory=list)  # short lines that may not backorder
    warehouses: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.short

    def describe(self, lines: list[tuple[object, int]]) -> str:
        return ", ".join(f"{line.sku} ({missing} of {line.quantity} short)" for line, missing in lines)


def _warehouse_rank(warehouse: Warehouse, country: str, region: str) -> tuple:
    """Routing preference: warehouse priority, then closeness to the ship-to region, then code."""
    same_country = bool(country) and warehouse.country.upper() == country.upper()
    same_region = same_country and bool(region) and warehouse.region.lower() == region.lower()
    return (warehouse.priority, 0 if same_region else 1 if same_country else 2, warehouse.code)


def allocation_plan(*, needs: list[tuple[object, int]], levels: list[StockLevel], country: str = "",
                    region: str = "") -> tuple[list[PlannedAllocation], list[tuple[object, int]]]:
    """Route the needed quantities (pure: no queries).

    One warehouse that can ship the whole order wins (by priority, then region); else
    each line takes what it can from the warehouses in the same order of preference.
    Returns the plan and the lines left short with the units missing.
    """
    warehouses = sorted({level.warehouse_id: level.warehouse for level in levels}.values(),
                        key=lambda w: _warehouse_rank(w, country, region))
    level_at = {(level.warehouse_id, level.product_id): level for level in levels}
    available = {level.pk: max(level.available, 0) for level in levels}
    per_product: dict[int, int] = defaultdict(int)
    for line, quantity in needs:
        per_product[line.product_id] += quantity

    for warehouse in warehouses:
        chosen = {pid: level_at.get((warehouse.pk, pid)) for pid in per_product}
        if all(level is not None and available[level.pk] >= qty
               for level, qty in ((chosen[pid], qty) for pid, qty in per_product.items())):
            return [PlannedAllocation(line, chosen[line.product_id], qty) for line, qty in needs], []

    plan, short = [], []
    for line, quantity in needs:
        remaining = quantity
        for warehouse in warehouses:
            level = level_at.get((warehouse.pk, line.product_id))
            take = min(available[level.pk], remaining) if level is not None else 0
            if take > 0:
                plan.append(PlannedAllocation(line, level, take))
                available[level.pk] -= take
                remaining -= take
            if not remaining:
                break
        if remaining:
            short.append((line, remaining))
    return plan, short


def allocation_allocate_order(*, actor, order, lines=None) -> AllocationOutcome:
    """Allocate the unallocated remainder of the order's lines (idempotent on re-verification).

    Call with the order row locked (the verification pipeline and the backorder release
    do): an order's allocations only change under its lock. Stock levels are locked in
    pk order, then moved with one conditional UPDATE (with the allocation rows, the
    ledger rows and the lines' allocated counts: one statement on PostgreSQL). Policy: lines that are short and
    may backorder keep what could be allocated; if a short line's product does not allow
    backorders, nothing new is allocated and the outcome lists it in `held`.
    """
    from orders.models import OrderLine  # the model only: inventory never calls orders services

    lines = list(order.lines.all()) if lines is None else lines
    needs = [(line, line.quantity - line.quantity_allocated) for line in lines
             if line.quantity > line.quantity_allocated]
    outcome = AllocationOutcome()
    if not needs:
        return outcome
    levels = lock_stock_levels_for_allocation({line.product_id for line, _ in needs})
    plan, outcome.short = allocation_plan(needs=needs, levels=levels, country=order.ship_country,
                                          region=order.ship_region)
    outcome.held = [(line, missing) for line, missing in outcome.short if not line.product.allow_backorder]
    if outcome.held or not plan:
        return outcome

    per_level: dict[int, int] = defaultdict(int)
    per_line: dict[int, int] = defaultdict(int)
    for item in plan:
        per_level[item.level.pk] += item.quantity
        per_line[item.line.pk] += item.quantity
    outcome.allocations = [
        Allocation(order=order, order_line=item.line, stock_level=item.level, warehouse_id=item.level.warehouse_id,
                   quantity=item.quantity)
        for item in plan
    ]
    movements = [_movement(item.level, MovementKind.ALLOCATION, actor=actor, allocated=item.quantity, order=order,
                           reference=order.number) for item in plan]
    updated = execute_guarded_writes(
        update_per_row_sql(StockLevel, per_level, {"allocated": "allocated + {n}"},
                            guard="on_hand - allocated >= {n}"),
        [insert_rows_sql(outcome.allocations), insert_rows_sql(movements),
         update_per_row_sql(OrderLine, per_line, {"quantity_allocated": "quantity_allocated + {n}"})])
    if updated != len(per_level):
        raise StockConflict("Stock changed while it was being allocated; nothing was allocated.")
    for line, _ in needs:
        line.quantity_allocated += per_line.get(line.pk, 0)
    for level_pk, quantity in per_level.items():
        level = next(level for level in levels if level.pk == level_pk)
        level.allocated += quantity
    outcome.warehouses = sorted({item.level.warehouse.code for item in plan})
    return outcome


def _open_allocations(order, line_ids: Iterable[int] | None = None,
                      warehouse_id: int | None = None) -> list[Allocation]:
    qs = Allocation.objects.filter(order=order, quantity__gt=F("quantity_consumed") + F("quantity_released"))
    if line_ids is not None:
        qs = qs.filter(order_line_id__in=list(line_ids))
    if warehouse_id is not None:
        qs = qs.filter(stock_level__warehouse_id=warehouse_id)
    return list(qs.select_related("order_line").order_by("pk"))


def allocations_release_for_order(*, actor, order, reason: str = "") -> int:
    """Give back every open allocation of an order (it was cancelled); returns the units released.

    Call with the order row locked. Released stock may serve waiting backorders.
    """
    with transaction.atomic():
        return _release(actor=actor, order=order, taken=[(a, a.quantity_open) for a in _open_allocations(order)],
                        reason=reason)


def allocations_release_lines(*, actor, order, quantities: dict[int, int], reason: str = "") -> int:
    """Give back `quantities` (order line id -> units) of the lines' open allocations, newest
    first (the order shrank or a line was cancelled); returns the units released.

    Call with the order row locked. Refuses (changing nothing) to release more than is allocated.
    """
    with transaction.atomic():
        by_line: dict[int, list[Allocation]] = defaultdict(list)
        for allocation in _open_allocations(order, line_ids=quantities):
            by_line[allocation.order_line_id].append(allocation)
        taken: list[tuple[Allocation, int]] = []
        for line_id, quantity in quantities.items():
            remaining = quantity
            for allocation in reversed(by_line.get(line_id, [])):
                take = min(allocation.quantity_open, remaining)
                if take:
                    taken.append((allocation, take))
                    remaining -= take
            if remaining:
                raise StockConflict(f"Line {line_id} has fewer units allocated than the {quantity} to release.")
        return _release(actor=actor, order=order, taken=taken, reason=reason)


def _release(*, actor, order, taken: list[tuple[Allocation, int]], reason: str) -> int:
    from orders.models import OrderLine

    if not taken:
        return 0
    per_level: dict[int, int] = defaultdict(int)
    per_line: dict[int, int] = defaultdict(int)
    for allocation, quantity in taken:
        per_level[allocation.stock_level_id] += quantity
        per_line[allocation.order_line_id] += quantity
    levels = lock_stock_levels(pks=per_level)
    updated = update_per_row(StockLevel, per_level, {"allocated": "allocated - {n}"}, guard="allocated >= {n}")
    if updated != len(per_level):
        raise StockConflict("Allocated stock does not match the order's allocations; nothing was released.")
    update_per_row(Allocation, {a.pk: n for a, n in taken}, {"quantity_released": "quantity_released + {n}"})
    by_pk = {level.pk: level for level in levels}
    StockMovement.objects.bulk_create([
        _movement(by_pk[a.stock_level_id], MovementKind.RELEASE, actor=actor, allocated=-quantity,
                  order=order, reference=order.number, reason=reason)
        for a, quantity in taken
    ])
    update_per_row(OrderLine, per_line, {"quantity_allocated": "quantity_allocated - {n}"})
    _announce_replenished({level.product_id for level in levels})
    return sum(per_level.values())


def allocations_consume(*, actor, order, quantities: dict[int, int],
                        warehouse_id: int | None = None) -> list[StockMovement]:
    """Ship allocated stock: `quantities` maps order line id -> units leaving the warehouse.

    Takes the line's open allocations oldest first, only those in `warehouse_id` when given
    (a parcel leaves one warehouse: a line split across two must not use up the other's
    allocation); on hand and allocated both go down. Call with the order row locked. Refuses
    (changing nothing) if a line has fewer units allocated there than it ships.
    """
    with transaction.atomic():
        allocations = _open_allocations(order, line_ids=quantities, warehouse_id=warehouse_id)
        by_line: dict[int, list[Allocation]] = defaultdict(list)
        for allocation in allocations:
            by_line[allocation.order_line_id].append(allocation)
        taken: list[tuple[Allocation, int]] = []
        for line_id, quantity in quantities.items():
            remaining = quantity
            for allocation in by_line.get(line_id, []):
                take = min(allocation.quantity_open, remaining)
                if take:
                    taken.append((allocation, take))
                    remaining -= take
            if remaining:
                open_units = sum(a.quantity_open for a in by_line.get(line_id, []))
                sku = by_line[line_id][0].order_line.sku if by_line.get(line_id) else f"line {line_id}"
                raise DomainError(f"{sku}: only {open_units} allocated; cannot ship {quantity}.")
        if not taken:
            return []
        per_level: dict[int, int] = defaultdict(int)
        for allocation, take in taken:
            per_level[allocation.stock_level_id] += take
        levels = {level.pk: level for level in lock_stock_levels(pks=per_level)}
        updated = update_per_row(StockLevel, per_level,
                                  {"on_hand": "on_hand - {n}", "allocated": "allocated - {n}"},
                                  guard="allocated >= {n}")
        if updated != len(per_level):
            raise StockConflict("Allocated stock does not match the order's allocations; nothing was shipped.")
        update_per_row(Allocation, {a.pk: n for a, n in taken},
                        {"quantity_consumed": "quantity_consumed + {n}"})
        return StockMovement.objects.bulk_create([
            _movement(levels[a.stock_level_id], MovementKind.SHIPMENT, actor=actor, on_hand=-take, allocated=-take,
                      order=order, reference=order.number)
            for a, take in taken
        ])


# -- reorder alerts ---------------------------------------------------------------------------


@dataclass
class ReorderScan:
    raised: list[ReorderAlert] = field(default_factory=list)
    resolved: int = 0


def reorder_suggestion(*, level: StockLevel, incoming: int, daily_demand: float):
    supplier = level.product.supplier
    return forecast(daily_demand=daily_demand, available=level.available, incoming=incoming,
                    reorder_point=level.reorder_point, reorder_quantity=level.reorder_quantity,
                    lead_time_days=supplier.lead_time_days if supplier else 7)


def reorder_alerts_scan(*, actor=None) -> ReorderScan:
    """Raise an alert for each level whose available + incoming fell below its reorder point.

    Once per episode: a level with an open alert gets no second one; the alert closes
    when replenishment brings available stock back to the reorder point. New alerts are
    requested as one message per manager in the same transaction, sent after commit.
    """
    from inventory.notifications import REORDER_ALERT, manager_addresses
    from notifications.services import notification_request

    scan = ReorderScan()
    with transaction.atomic():
        scan.resolved = _reorder_alerts_resolve(
            ReorderAlert.objects.open().values_list("stock_level_id", flat=True))
        levels = list(StockLevel.objects.filter(reorder_point__gt=0, warehouse__active=True)
                      .select_related("product__supplier", "warehouse"))
        incoming = incoming_by_level(levels)
        open_levels = set(ReorderAlert.objects.open().values_list("stock_level_id", flat=True))
        below = [level for level in levels if level.pk not in open_levels
                 and level.available + incoming.get(level.pk, 0) < level.reorder_point]
        demand = daily_demand_by_level([level.pk for level in below])
        for level in below:
            suggestion = reorder_suggestion(level=level, incoming=incoming.get(level.pk, 0),
                                            daily_demand=demand.get(level.pk, 0.0))
            try:
                with transaction.atomic():
                    scan.raised.append(ReorderAlert.objects.create(
                        stock_level=level, available=level.available, incoming=incoming.get(level.pk, 0),
                        reorder_point=level.reorder_point, suggested_quantity=suggestion.suggested_quantity))
            except IntegrityError:  # a concurrent scan raised it first: still one per episode
                continue
        if scan.raised:
            recipients = manager_addresses()
            if not recipients:
                logger.warning("Reorder alerts %s: no manager with an e-mail address", [a.pk for a in scan.raised])
            for recipient in recipients:
                notification_request(kind=REORDER_ALERT, recipient=recipient, about=scan.raised[0], actor=actor,
                                     data={"alert_ids": [alert.pk for alert in scan.raised]})
    return scan


# -- suppliers and purchase orders ------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseLineInput:
    product: Product
    quantity: int
    unit_cost: object = None  # Decimal; None: the product's cost price


def purchase_order_create(*, actor, supplier: Supplier, warehouse: Warehouse, lines: list[PurchaseLineInput],
                          note: str = "", expected_at: date | None = None) -> PurchaseOrder:
    if not lines:
        raise DomainError("A purchase order needs at least one line.")
    merged: dict[int, PurchaseLineInput] = {}
    for line in lines:
        _positive(line.quantity)
        if line.product.pk in merged:
            prior = merged[line.product.pk]
            line = PurchaseLineInput(line.product, prior.quantity + line.quantity, prior.unit_cost)
        merged[line.product.pk] = line
    if not supplier.active:
        raise DomainError(f"Supplier {supplier} is inactive.")
    with transaction.atomic():
        po = PurchaseOrder(supplier=supplier, warehouse=warehouse, note=note.strip(), expected_at=expected_at,
                           created_by=user_or_none(actor))
        po.number = f"PO-{sequence_next(name='po'):06d}"
        po.save()
        PurchaseOrderLine.objects.bulk_create([
            PurchaseOrderLine(purchase_order=po, product=line.product, quantity_ordered=line.quantity,
                              unit_cost=line.product.cost_price if line.unit_cost is None else line.unit_cost)
            for line in merged.values()
        ])
    return po


def purchase_orders_create_from_alerts(*, actor, alerts: Iterable[ReorderAlert],
                                       supplier: Supplier | None = None) -> list[PurchaseOrder]:
    """One click from reorder alerts to draft POs: one per supplier and warehouse.

    Each product goes to its preferred supplier (or `supplier` when given); the quantity
    is the alert's suggestion. Alerts that already have a PO are skipped.
    """
    alerts = [a for a in alerts if a.purchase_order_id is None and a.resolved_at is None]
    if not alerts:
        raise DomainError("No open alerts without a purchase order were selected.")
    missing = sorted({a.stock_level.product.sku for a in alerts
                      if (supplier or a.stock_level.product.supplier) is None})
    if missing:
        raise DomainError(f"No supplier for {', '.join(missing)}: set the product's supplier or choose one.")
    groups: dict[tuple[int, int], list[ReorderAlert]] = defaultdict(list)
    for alert in alerts:
        chosen = supplier or alert.stock_level.product.supplier
        groups[(chosen.pk, alert.stock_level.warehouse_id)].append(alert)
    created = []
    with transaction.atomic():
        for (_, _), group in sorted(groups.items()):
            level = group[0].stock_level
            po = purchase_order_create(
                actor=actor, supplier=supplier or level.product.supplier, warehouse=level.warehouse,
                note="Created from reorder alerts.",
                lines=[PurchaseLineInput(a.stock_level.product,
                                         max(a.suggested_quantity, a.stock_level.reorder_quantity, 1))
                       for a in group])
            ReorderAlert.objects.filter(pk__in=[a.pk for a in group], purchase_order__isnull=True).update(
                purchase_order=po)
            created.append(po)
    return created


def _po_transition(po: PurchaseOrder, name: str, verb: str, *args) -> None:
    transition_refusal(po, name, noun="purchase order", verb=verb)
    getattr(po, name)(*args)


def _po_move(purchase_order: PurchaseOrder, name: str, verb: str, stamp: str) -> PurchaseOrder:
    """Under the purchase order's lock: run transition `name` and set its timestamp field `stamp` to now."""
    with transaction.atomic():
        po = lock_purchase_order(purchase_order.pk)
        _po_transition(po, name, verb)
        setattr(po, stamp, timezone.now())
        po.save(update_fields=["status", stamp, "updated_at"])
    return po


def purchase_order_send(*, actor, purchase_order: PurchaseOrder) -> PurchaseOrder:
    return _po_move(purchase_order, "send", "sent", "sent_at")


def purchase_order_cancel(*, actor, purchase_order: PurchaseOrder) -> PurchaseOrder:
    """Cancel what is still outstanding; goods already received stay received."""
    return _po_move(purchase_order, "cancel", "cancelled", "cancelled_at")


def purchase_order_receive(*, actor, purchase_order: PurchaseOrder, quantities: dict[int, int]) -> PurchaseOrder:
    """Receive goods (partially, too): `quantities` maps PO line id -> units arrived now.

    Stock goes up through the ledger (receipt movements referencing the PO), the PO
    becomes partially received or received, and waiting backorders are served.
    """
    quantities = {int(k): v for k, v in quantities.items() if v}
    if not quantities:
        raise DomainError("Enter the quantity received for at least one line.")
    with transaction.atomic():
        po = lock_purchase_order(purchase_order.pk)
        transition_refusal(po, "receive", noun="purchase order", verb="received",
                           refusal="only sent purchase orders can be received")
        lines = {line.pk: line for line in lock_purchase_order_lines(po.pk)}
        for line_id, quantity in quantities.items():
            line = lines.get(line_id)
            if line is None:
                raise DomainError(f"Line {line_id} is not part of purchase order {po.number}.")
            if not isinstance(quantity, int) or quantity <= 0 or quantity > line.quantity_outstanding:
                raise DomainError(f"{line.product.sku}: receive 1 to {line.quantity_outstanding}, not {quantity}.")
        for line_id in quantities:
            StockLevel.objects.get_or_create(product=lines[line_id].product, warehouse=po.warehouse)
        levels = lock_stock_levels(product_ids={lines[line_id].product_id for line_id in quantities},
                                   warehouse_id=po.warehouse_id)
        level_of = {level.product_id: level for level in levels}
        for line_id, quantity in sorted(quantities.items()):
            line = lines[line_id]
            _add_stock(actor=actor, level=level_of[line.product_id], quantity=quantity, kind=MovementKind.RECEIPT,
                       purchase_order=po, reference=po.number)
            PurchaseOrderLine.objects.filter(pk=line_id).update(quantity_received=F("quantity_received") + quantity)
            line.quantity_received += quantity
        level_ids = [level.pk for level in levels]
        complete = all(line.quantity_outstanding == 0 for line in lines.values())
        _po_transition(po, "receive", "received", complete)
        if complete:
            po.received_at = timezone.now()
        po.save(update_fields=["status", "received_at", "updated_at"])
        _reorder_alerts_resolve(level_ids)
        _announce_replenished(lines[line_id].product_id for line_id in quantities)
    return po


def purchase_order_receive_code(*, actor, purchase_order: PurchaseOrder, code: str,
                                quantity: int = 1) -> PurchaseOrderLine:
    """Receive by scanning (or typing) a barcode or SKU: finds the PO line of that product."""
    code = (code or "").strip()
    if not code:
        raise DomainError("Scan or type a barcode or SKU.")
    product = Product.objects.by_code(code).first()
    line = product and PurchaseOrderLine.objects.filter(purchase_order=purchase_order, product=product).first()
    if not line:
        raise DomainError(f"{code} is not on purchase order {purchase_order.number}.")
    purchase_order_receive(actor=actor, purchase_order=purchase_order, quantities={line.pk: quantity})
    line.refresh_from_db()
    return line
