"""Orders own customers, their addresses, orders and lines, the order state machine,
the verification pipeline, holds, cancellation and the order timeline.

Every write is a function here: keyword-only, with the acting user (None for the
system), inside `transaction.atomic()`. Status changes go through the django-fsm
transitions on `Order`, are saved, and are written to the timeline as `OrderEvent`s.
Side effects (verification of a submitted order, e-mails) are scheduled on commit.
"""

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from inventory.models import Product
from inventory.services import (
    allocation_allocate_order,
    allocations_consume,
    allocations_release_for_order,
    allocations_release_lines,
)
from oms.actors import user_or_none
from oms.exceptions import DomainError, NotPermitted, TransitionRefused
from oms.fsm import transition_refusal
from oms.money import ZERO, minor_units
from oms.sequences import sequence_next
from oms.tasks import enqueue_on_commit
from orders.enums import (
    CHANGEABLE_STATUSES,
    HOLDABLE_STATUSES,
    BulkJobStatus,
    Channel,
    HoldReason,
    OrderChangeKind,
    OrderEventType,
    OrderStatus,
    Priority,
)
from orders import selectors
from orders.locks import lock_customer, lock_customer_email, lock_order, lock_order_lines
from orders.enums import TagColour
from orders.idempotency import IntakeReplayDiffers, body_hash, differing_fields
from orders.models import (
    ADDRESS_FIELDS,
    Address,
    AddressSnapshot,
    ApiClient,
    Customer,
    ImportJob,
    ImportJobError,
    ImportJobOrder,
    IntakeRequest,
    Order,
    OrderEvent,
    OrderHold,
    OrderLine,
    OrderVersion,
    Tag,
)
from orders.notifications import ORDER_CHANGED, STATUS_NOTIFICATIONS
from orders.pricing import MAX_ORDER_AMOUNT, TaxRates, line_amounts, line_priced, order_totals, tax_rate_for
from orders.verification import OVERRIDABLE_REASONS, PipelineRun, pipeline, run_pipeline
from payments.enums import PaymentMethod
from payments.services import payment_details_set, payment_open_for_order
from payments.tasks import (
    invoice_issue_for_order_task,
    payment_capture_for_order_task,
    payment_settle_cancelled_order_task,
)

if TYPE_CHECKING:
    from orders.intake import IntakeOrder


# Which stage timestamp a status stamps, the first time the order reaches it.
STAGE_TIMESTAMPS = {
    OrderStatus.PLACED: "placed_at",
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}

# What a refused transition was trying to do, for the message staff read.
TRANSITION_VERBS = {
    "submit": "submitted",
    "verify": "verified",
    "hold": "put on hold",
    "release_hold": "released from hold",
    "allocate": "confirmed from backorder",
    "release": "released to fulfillment",
    "ship": "shipped",
    "deliver": "marked delivered",
    "complete": "completed",
    "cancel": "cancelled",
}


# -- the timeline ---------------------------------------------------------------------


def order_event_record(
    *,
    order: Order,
    type: OrderEventType,
    actor=None,
    message: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
    customer_visible: bool = False,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        type=type,
        actor=user_or_none(actor),
        message=message,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        customer_visible=customer_visible,
    )


def order_note_add(*, actor, order: Order, message: str, customer_visible: bool = False) -> OrderEvent:
    message = message.strip()
    if not message:
        raise DomainError("A note cannot be empty.")
    with transaction.atomic():
        return order_event_record(
            order=order, type=OrderEventType.NOTE, actor=actor, message=message, customer_visible=customer_visible
        )


# -- tags and priority ----------------------------------------------------------------

# Orders whose priority (and so promise dates and queue place) may still change: nothing has left.
PRIORITY_CHANGEABLE = (OrderStatus.DRAFT, OrderStatus.PLACED, OrderStatus.ON_HOLD, OrderStatus.CONFIRMED,
                       OrderStatus.BACKORDERED, OrderStatus.IN_FULFILLMENT)


def tag_get_or_create(*, actor, name: str, colour: str = "") -> Tag:
    """The tag of that name (whatever its case), created if new."""
    name = " ".join(name.split())
    if not name or len(name) > 40 or "\x00" in name:
        raise DomainError("A tag is a name of 1 to 40 characters.")
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is not None:
        return tag
    tag = Tag(name=name, colour=colour or TagColour.GREY)
    try:
        tag.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:  # created meanwhile by someone else
        return Tag.objects.get(name__iexact=name)
    return tag


def order_tags_change(*, actor, order: Order, add: list[Tag] = (), remove: list[Tag] = ()) -> Order:
    """Put tags on an order and take them off, on the timeline; a tag it has already (or lacks) changes nothing."""
    with transaction.atomic():
        order = lock_order(order.pk)
        current = set(order.tags.values_list("pk", flat=True))
        added = [tag for tag in add if tag.pk not in current]
        removed = [tag for tag in remove if tag.pk in current]
        if added:
            order.tags.add(*added)
        if removed:
            order.tags.remove(*removed)
        if added or removed:
            words = [f"tagged {', '.join(t.name for t in added)}"] if added else []
            words += [f"untagged {', '.join(t.name for t in removed)}"] if removed else []
            order_event_record(order=order, type=OrderEventType.UPDATED, actor=actor,
                               message=f"{'; '.join(words)[:1].upper()}{'; '.join(words)[1:]}.",
                               data={"tags_added": [t.name for t in added], "tags_removed": [t.name for t in removed]})
    return order


def order_priority_set(*, actor, order: Order, priority: str) -> Order:
    """A new priority moves the order in the warehouse queue and its promise dates with it."""
    if priority not in Priority.values:
        raise DomainError(f"Unknown priority {priority!r}.")
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.status not in PRIORITY_CHANGEABLE:
            raise TransitionRefused(f"Order {order.number} is {order.get_status_display().lower()}; "
                                    "its priority can no longer change.")
        if order.priority == priority:
            return order
        before = order.get_priority_display()
        order.priority = priority
        if order.placed_at:
            _promise_dates(order)
        order.save(update_fields=["priority", "ship_by", "deliver_by", "updated_at"])
        order_event_record(order=order, type=OrderEventType.UPDATED, actor=actor,
                           message=f"Priority changed from {before} to {order.get_priority_display()}.",
                           data={"priority": [before, order.priority]})
    return order


# -- transitions ----------------------------------------------------------------------


def _ensure_can(order: Order, name: str, actor) -> None:
    """Refuse clearly, before any other rule, a transition the order's state or the actor forbids."""
    transition_refusal(order, name, actor=actor, noun="order", verb=TRANSITION_VERBS[name])


def _transition(order: Order, name: str, actor, *args) -> tuple[str, str]:
    """Run transition `name` on a locked order; returns (from, to)."""
    _ensure_can(order, name, actor)
    method = getattr(order, name)
    from_status = order.status
    method(*args)
    stamp = STAGE_TIMESTAMPS.get(order.status)
    if stamp and getattr(order, stamp) is None:
        setattr(order, stamp, timezone.now())
    return from_status, order.status


def _save_transition(order: Order, *extra_fields: str) -> None:
    fields = {"status", "updated_at", *STAGE_TIMESTAMPS.values(), *extra_fields}
    order.save(update_fields=sorted(fields))


def _status_event(order: Order, actor, change: tuple[str, str], message: str = "", **data) -> OrderEvent:
    event = order_event_record(
        order=order,
        type=OrderEventType.STATUS_CHANGED,
        actor=actor,
        from_status=change[0],
        to_status=change[1],
        message=message,
        data=data,
        customer_visible=True,
    )
    kind = STATUS_NOTIFICATIONS.get(change[1])
    if kind is not None and change[0] != change[1]:
        order_notify(order=order, kind=kind, actor=actor)
    return event


def order_notify(*, order: Order, kind: str, reference: str = "", actor=None, data: dict | None = None):
    """Request the customer message `kind` about the order inside the caller's transaction: the row
    exists if the change committed, and it is sent after commit, once per order, kind and reference
    (an order placed again after a hold is not "received" twice)."""
    from notifications.services import notification_request

    return notification_request(kind=kind, recipient=order.customer.email, about=order, order=order,
                                reference=reference, actor=actor, data=data)


# -- customers ------------------------------------------------------------------------


def customer_create(
    *,
    actor,
    name: str,
    email: str,
    phone: str = "",
    company: str = "",
    credit_limit: Decimal | None = None,
    address: AddressSnapshot | None = None,
) -> Customer:
    customer = Customer(name=name.strip(), email=email.strip().lower(), phone=phone, company=company,
                        credit_limit=credit_limit)
    customer.full_clean()
    with transaction.atomic():
        lock_customer_email(customer.email)
        customer_email_ensure_free(customer.email)
        customer.save()
        if address is not None:
            customer_address_add(actor=actor, customer=customer, address=address, is_default=True)
    return customer


def customer_address_add(*, actor, customer: Customer, address: AddressSnapshot, is_default: bool = False) -> Address:
    row = Address(customer=customer, is_default=is_default, **address.as_dict())
    row.full_clean()
    with transaction.atomic():
        if is_default:
            Address.objects.filter(customer=customer, is_default=True).update(is_default=False)
        row.save()
    return row


def customer_email_ensure_free(email: str, *, customer: Customer | None = None) -> None:
    """One customer per e-mail address (kept lower-case): refuse one that another customer has.
    Services call it with the address claimed (`lock_customer_email`)."""
    other = selectors.customer_with_email(email=email, other_than=customer)
    if other is not None:
        raise ValidationError({"email": [f"The e-mail {email} is already the one of customer {other.name} "
                                         f"(#{other.pk}): choose that customer instead."]})


# What a customer edit names in the customer's history, per field it changed.
CUSTOMER_FIELD_LABELS = {"name": "name", "email": "e-mail", "phone": "phone", "company": "company",
                         "credit_limit": "credit limit"}
KEEP = object()  # an argument left as it is


def customer_update(
    *,
    actor,
    customer: Customer,
    name: str,
    email: str,
    phone: str = "",
    company: str = "",
    credit_limit: "Decimal | None | object" = KEEP,
    address: AddressSnapshot | None = None,
) -> Customer:
    """Correct a customer's details and default address; each change is kept in the customer's
    history (who, when, what). Orders already entered keep the address copied onto them.

    Refuses an e-mail another customer has, and account terms (the credit limit) from anyone not
    allowed to set them. A form sent twice changes nothing the second time.
    """
    email = email.strip().lower()
    with transaction.atomic():
        lock_customer_email(email)
        locked = lock_customer(customer.pk)
        values = {"name": name.strip(), "email": email, "phone": phone.strip(), "company": company.strip()}
        if credit_limit is not KEEP:
            if (credit_limit != locked.credit_limit and actor is not None
                    and not actor.has_perm("orders.hold_customer")):
                raise NotPermitted("Account terms (the credit limit) are set by finance.")
            values["credit_limit"] = credit_limit
        changed = [CUSTOMER_FIELD_LABELS[f] for f, value in values.items() if getattr(locked, f) != value]
        for field, value in values.items():
            setattr(locked, field, value)
        locked.full_clean()
        if "e-mail" in changed:
            customer_email_ensure_free(email, customer=locked)
        if address is not None and _default_address_set(customer=locked, address=address):
            changed.append("default address")
        if changed:
            locked._history_user = user_or_none(actor)
            locked._change_reason = f"Changed {', '.join(changed)}"[:100]
            locked.save()
    return locked


def _default_address_set(*, customer: Customer, address: AddressSnapshot) -> bool:
    """Make `address` the customer's default (the one the entry form fills in); False when it already is."""
    current = Address.objects.filter(customer=customer).order_by("-is_default", "pk").first()
    if current is None:
        customer_address_add(actor=None, customer=customer, address=address, is_default=True)
        return True
    if current.is_default and current.snapshot() == address:
        return False
    for field, value in address.as_dict().items():
        setattr(current, field, value)
    current.is_default = True
    current.full_clean()
    current.save()
    return True


def customer_set_hold(*, actor, customer: Customer, on_hold: bool, note: str = "") -> Customer:
    """Hold (or stop holding) the customer's new orders for review; kept in the customer's history."""
    with transaction.atomic():
        locked = lock_customer(customer.pk)
        locked.on_hold, locked.hold_note = on_hold, note if on_hold else ""
        locked._history_user = user_or_none(actor)
        locked._change_reason = "Put on hold" if on_hold else "Hold lifted"
        locked.save(update_fields=["on_hold", "hold_note"])
    customer.refresh_from_db()
    return customer


# -- capture --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: int
    unit_price: Decimal | None = None  # None: the product's current price
    discount: Decimal = ZERO


def _validate_order_input(*, currency: str, lines: list[LineInput], shipping_total: Decimal) -> None:
    errors: dict[str, list[str]] = {}
    try:
        minor_units(currency)
    except ValueError as exc:
        errors.setdefault("currency", []).append(str(exc))
    if not lines:
        errors.setdefault("lines", []).append("An order needs at least one line.")
    for index, line in enumerate(lines, start=1):
        if line.quantity is None or line.quantity <= 0:
            errors.setdefault("lines", []).append(f"Line {index}: the quantity must be at least 1.")
        if not line.product.is_active:
            errors.setdefault("lines", []).append(f"Line {index}: {line.product.sku} is no longer sold.")
        if line.unit_price is not None and line.unit_price < 0:
            errors.setdefault("lines", []).append(f"Line {index}: the price cannot be negative.")
        if line.discount is not None and line.discount < 0:
            errors.setdefault("lines", []).append(f"Line {index}: the discount cannot be negative.")
        price = line.product.unit_price if line.unit_price is None else line.unit_price
        if line.quantity and price is not None and price * line.quantity > MAX_ORDER_AMOUNT:
            errors.setdefault("lines", []).append(f"Line {index}: the amount is larger than an order can hold.")
    if shipping_total is not None and shipping_total < 0:
        errors.setdefault("shipping_total", []).append("Shipping cannot be negative.")
    if shipping_total is not None and shipping_total > MAX_ORDER_AMOUNT:
        errors.setdefault("shipping_total", []).append("Shipping is larger than an order can hold.")
    if errors:
        raise ValidationError(errors)


def _build_lines(order: Order, lines: list[LineInput]) -> list[OrderLine]:
    built, amounts = [], []
    rates = TaxRates(country=order.ship_country)
    for position, line in enumerate(lines, start=1):
        product = line.product
        try:
            priced = line_priced(product=product, quantity=line.quantity, unit_price=line.unit_price,
                                 discount=line.discount, rates=rates, currency=order.currency)
        except (ValueError, ArithmeticError) as exc:
            raise ValidationError({"lines": [f"Line {position}: {exc}"]}) from exc
        amount = priced.amounts
        amounts.append(amount)
        built.append(
            OrderLine(
                order=order, product=product, position=position, sku=product.sku, name=product.name,
                unit_price=priced.unit_price, quantity=line.quantity, discount_amount=amount.discount,
                tax_rate=priced.tax_rate, tax_amount=amount.tax, line_total=amount.total,
            )
        )
    totals = order_totals(lines=amounts, shipping=order.shipping_total, currency=order.currency)
    for field, value in vars(totals).items():
        setattr(order, field, value)
    return built


def _promise_dates(order: Order) -> None:
    placed = order.placed_at or timezone.now()
    order.ship_by = placed + timedelta(hours=settings.OMS_SHIP_BY_HOURS[order.priority])
    order.deliver_by = order.ship_by + timedelta(days=settings.OMS_TRANSIT_DAYS[order.priority])


def order_create(
    *,
    actor,
    customer: Customer,
    lines: list[LineInput],
    shipping_address: AddressSnapshot,
    billing_address: AddressSnapshot | None = None,
    channel: str = Channel.PHONE,
    priority: str = Priority.STANDARD,
    payment_method: str = PaymentMethod.CARD,
    currency: str | None = None,
    shipping_total: Decimal = ZERO,
    customer_note: str = "",
    internal_note: str = "",
    external_reference: str = "",
    api_client: ApiClient | None = None,
    submit: bool = False,
) -> Order:
    """Capture an order as a draft (or submit it at once); totals come from the lines."""
    currency = currency or settings.OMS_DEFAULT_CURRENCY
    _validate_order_input(currency=currency, lines=lines, shipping_total=shipping_total)
    with transaction.atomic():
        order = Order(
            customer=customer, channel=channel, priority=priority, payment_method=payment_method,
            currency=currency, shipping_total=shipping_total or ZERO, customer_note=customer_note,
            internal_note=internal_note, external_reference=external_reference, api_client=api_client,
            created_by=user_or_none(actor),
        )
        order.set_shipping_address(shipping_address)
        order.set_billing_address(billing_address or shipping_address)
        order_lines = _build_lines(order, lines)
        order.number = f"SO-{sequence_next(name='order'):06d}"
        order.save()
        _remember_lines(order, OrderLine.objects.bulk_create(order_lines))
        order_event_record(order=order, type=OrderEventType.CREATED, actor=actor,
                           message=f"Order captured via {order.get_channel_display()}.",
                           to_status=order.status, customer_visible=False)
        if submit:
            order = _submit_locked(order=order, actor=actor)
    return order


def order_update_draft(
    *,
    actor,
    order: Order,
    lines: list[LineInput],
    shipping_address: AddressSnapshot,
    billing_address: AddressSnapshot | None = None,
    customer: Customer | None = None,
    channel: str | None = None,
    priority: str | None = None,
    payment_method: str | None = None,
    shipping_total: Decimal | None = None,
    customer_note: str | None = None,
    internal_note: str | None = None,
) -> Order:
    """Replace a draft's lines, addresses and terms; refused once the order is submitted."""
    _validate_order_input(currency=order.currency, lines=lines,
                          shipping_total=order.shipping_total if shipping_total is None else shipping_total)
    with transaction.atomic():
        order = lock_order(order.pk)
        if not order.is_editable:
            raise TransitionRefused(f"Order {order.number} is {order.get_status_display().lower()}; "
                                    "only drafts can be edited.")
        for field, value in {"customer": customer, "channel": channel, "priority": priority,
                             "payment_method": payment_method,
                             "shipping_total": shipping_total, "customer_note": customer_note,
                             "internal_note": internal_note}.items():
            if value is not None:
                setattr(order, field, value)
        order.set_shipping_address(shipping_address)
        order.set_billing_address(billing_address or shipping_address)
        order_lines = _build_lines(order, lines)
        order.save()
        OrderLine.objects.filter(order=order).delete()
        OrderLine.objects.bulk_create(order_lines)
        order_event_record(order=order, type=OrderEventType.UPDATED, actor=actor, message="Draft updated.")
    return order


def _remember_lines(order: Order, lines: list[OrderLine]) -> None:
    """Keep the lines just inserted as the order's prefetched `lines` (what prefetch_related
    would have loaded), so the has_lines guard of the submit right after needs no query."""
    cached = OrderLine.objects.filter(order=order)
    cached._result_cache, cached._prefetch_done = list(lines), True
    order._prefetched_objects_cache = {"lines": cached}


def _submit_locked(*, order: Order, actor) -> Order:
    if "lines" not in getattr(order, "_prefetched_objects_cache", {}):
        # One query for the lines, which the has_lines guard then reads for free (it runs twice).
        prefetch_related_objects([order], "lines")
    change = _transition(order, "submit", actor)
    _promise_dates(order)
    _save_transition(order, "ship_by", "deliver_by")
    _status_event(order, actor, change, "Order placed.")
    payment_open_for_order(order=order)  # payments: every placed order has its payment row
    if settings.OMS_AUTO_VERIFY:
        from orders.tasks import order_verify_task

        enqueue_on_commit(order_verify_task, order_id=order.pk)
    return order


def order_submit(*, actor, order: Order) -> Order:
    """Place a draft: it gets its promise dates and is verified right after commit."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        return _submit_locked(order=locked, actor=actor)


@dataclass(frozen=True)
class NewCustomer:
    """A customer entered with the order (staff entry), created with the order's shipping address."""

    name: str
    email: str
    phone: str = ""
    company: str = ""


def order_enter(
    *,
    actor,
    order: Order | None = None,
    customer: Customer | NewCustomer,
    lines: list[LineInput],
    shipping_address: AddressSnapshot,
    channel: str,
    priority: str,
    payment_method: str,
    shipping_total: Decimal,
    customer_note: str = "",
    internal_note: str = "",
    card=None,
    submit: bool = False,
) -> Order:
    """Staff order entry as one operation: the customer (a new one is created), the draft
    (created, or `order` updated), its card and, with `submit`, the placing; all or nothing.

    `card` is what `payments.services.payment_card_tokenize` returned: the gateway is called
    by the caller before this transaction opens, never inside it.
    """
    with transaction.atomic():
        if isinstance(customer, NewCustomer):
            customer = customer_create(actor=actor, name=customer.name, email=customer.email, phone=customer.phone,
                                       company=customer.company, address=shipping_address)
        terms = {"customer": customer, "lines": lines, "shipping_address": shipping_address, "channel": channel,
                 "priority": priority, "payment_method": payment_method, "shipping_total": shipping_total,
                 "customer_note": customer_note, "internal_note": internal_note}
        if order is None:
            order = order_create(actor=actor, **terms)
        else:
            order = order_update_draft(actor=actor, order=order, **terms)
        if card is not None:
            payment_details_set(actor=actor, order=order, card=card)
        if submit:
            order = order_submit(actor=actor, order=order)
    return order


# -- verification and holds -----------------------------------------------------------


class _ApprovedOverrides:
    """The hold reasons a manager approved; read only when a check holds (most orders never do)."""

    def __init__(self, order: Order):
        self.order = order
        self._reasons: set[str] | None = None

    def __contains__(self, reason: str) -> bool:
        if self._reasons is None:
            self._reasons = set(
                OrderHold.objects.filter(order=self.order, override=True, reason__in=OVERRIDABLE_REASONS)
                .values_list("reason", flat=True)
            )
        return reason in self._reasons


def _approved_overrides(order: Order) -> _ApprovedOverrides:
    return _ApprovedOverrides(order)


def _apply_verification(order: Order, actor, run: PipelineRun) -> Order:
    hold = run.hold
    if hold is not None:
        outcome, message = OrderStatus.ON_HOLD, f"On hold: {hold.message}"
    elif run.backordered:
        outcome, message = OrderStatus.BACKORDERED, "Verified; waiting for stock (backordered)."
    else:
        outcome, message = OrderStatus.CONFIRMED, "Verified and confirmed."
    change = _transition(order, "verify", actor, outcome)
    extra = ()
    if hold is not None:
        order.hold_reason = hold.reason
        extra = ("hold_reason",)
        OrderHold.objects.create(order=order, reason=hold.reason, message=hold.message,
                                 check_name=run.hold_check.name, created_by=user_or_none(actor))
    _save_transition(order, *extra)
    _status_event(order, actor, change, message, checks=run.summary(), overridden=run.overridden)
    return order


def order_verify(*, actor, order: Order) -> Order:
    """Run the verification pipeline on a placed order: confirm it, backorder it, or hold it.

    Checks that allocate stock run with the order locked. Checks that call out (a payment
    gateway) run after that transaction commits, with no lock held; the outcome is then
    applied under a fresh lock, refusing if someone else changed the order meanwhile.
    """
    with transaction.atomic():
        locked = lock_order(order.pk)
        _ensure_can(locked, "verify", actor)
        external = [check for check in pipeline(external=True) if check.applies_to(locked)]
        overrides = _approved_overrides(locked)
        # The checks share one read of the lines with their products (data check, allocation).
        prefetch_related_objects([locked], Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
        run = run_pipeline(locked, actor=actor, checks=pipeline(external=False), overrides=overrides,
                           run=PipelineRun())
        if run.hold is not None or not external:
            return _apply_verification(locked, actor, run)
        seen = locked.updated_at
    run = run_pipeline(locked, actor=actor, checks=external, overrides=overrides, run=run)
    with transaction.atomic():
        locked = lock_order(order.pk)
        if locked.updated_at != seen:
            # Held and released (or otherwise changed) while the gateway answered: these results
            # are of an order that no longer is; the verification the release started decides.
            raise TransitionRefused(f"Order {locked.number} changed while it was being verified; "
                                    "its latest verification decides.")
        return _apply_verification(locked, actor, run)


def order_hold(*, actor, order: Order, reason: str = HoldReason.MANUAL, message: str) -> Order:
    message = message.strip()
    if not message:
        raise DomainError("Say why the order is put on hold.")
    if reason not in HoldReason.values:
        raise DomainError(f"Unknown hold reason {reason!r}.")
    with transaction.atomic():
        locked = lock_order(order.pk)
        change = _transition(locked, "hold", actor)
        locked.hold_reason = reason
        _save_transition(locked, "hold_reason")
        OrderHold.objects.create(order=locked, reason=reason, message=message, created_by=user_or_none(actor))
        _status_event(locked, actor, change, f"Put on hold ({HoldReason(reason).label}): {message}")
    return locked


def order_release_hold(*, actor, order: Order, note: str = "", override: bool = False,
                       reverify: bool = True) -> Order:
    """Clear the order's holds and place it again; with `override`, approve the held reason.

    The order is then verified again (unless `reverify` is off), outside this transaction,
    so a problem that is still there puts it back on hold with a fresh reason.
    """
    with transaction.atomic():
        locked = lock_order(order.pk)
        _ensure_can(locked, "release_hold", actor)
        if override and actor is not None and not actor.has_perm("orders.override_hold"):
            raise NotPermitted("You are not allowed to approve a held reason.")
        if override and locked.hold_reason not in OVERRIDABLE_REASONS:
            raise DomainError(f"A hold for '{HoldReason(locked.hold_reason).label}' cannot be overridden; "
                              "fix the cause and release it.")
        held_reason = locked.hold_reason
        change = _transition(locked, "release_hold", actor)
        OrderHold.objects.active().filter(order=locked).update(
            released_at=timezone.now(), released_by=user_or_none(actor), release_note=note.strip(),
            override=override,
        )
        locked.hold_reason = ""
        _save_transition(locked, "hold_reason")
        verb = "approved and released" if override else "released"
        _status_event(locked, actor, change, f"Hold {verb}" + (f": {note.strip()}" if note.strip() else "."),
                      reason=held_reason, override=override)
    if reverify:
        # The system re-runs the checks: whoever may release a hold need not hold the verify right.
        return order_verify(actor=None, order=locked)
    return locked


def order_allocate_backorder(*, actor, order: Order) -> Order:
    """A backordered order whose lines are now all allocated becomes confirmed."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        # Say which stock it waits for, before the transition's own guard refuses it less clearly.
        short = [line.sku for line in locked.lines.all() if line.quantity_allocated < line.quantity]
        if locked.status == OrderStatus.BACKORDERED and short:
            raise DomainError(f"Order {locked.number} still waits for stock of {', '.join(short)}.")
        change = _transition(locked, "allocate", actor)
        _save_transition(locked)
        _status_event(locked, actor, change, "Stock allocated; order confirmed.")
    return locked


def backorders_allocate(*, actor, product_ids: list[int]) -> list[Order]:
    """Stock of these products arrived: allocate waiting backorders in queue order.

    Queue order is priority, then promise date (ship_by), then placing time. Each order is
    allocated in its own short transaction under its row lock; the ones now fully
    allocated are confirmed (a customer-visible timeline event). Returns those confirmed.
    Safe to run twice: allocation only covers what is still unallocated.
    """
    waiting = (
        Order.objects.filter(
            status=OrderStatus.BACKORDERED,
            pk__in=OrderLine.objects.filter(product_id__in=list(product_ids), quantity_allocated__lt=F("quantity"))
            .values("order_id"),
        )
        .in_queue_order()
        .values_list("pk", flat=True)
    )
    confirmed = []
    for order_id in list(waiting):
        with transaction.atomic():
            locked = lock_order(order_id)
            if locked.status != OrderStatus.BACKORDERED:
                continue  # cancelled or confirmed meanwhile
            outcome = allocation_allocate_order(actor=actor, order=locked)
            if outcome.allocations:
                order_event_record(order=locked, type=OrderEventType.STOCK, actor=actor,
                                   message=f"Stock allocated from {', '.join(outcome.warehouses)}.",
                                   data={"short": {line.sku: n for line, n in outcome.short}})
            if outcome.allocations and outcome.complete:
                confirmed.append(order_allocate_backorder(actor=actor, order=locked))
    return confirmed


# -- fulfillment stages ---------------------------------------------------------------


def _plain_transition(*, actor, order: Order, name: str, message: str, guard=None) -> Order:
    """A transition with no rule beyond the state machine's own (and `guard`): lock, move, save, record."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        if guard is not None:
            guard(locked)
        change = _transition(locked, name, actor)
        _save_transition(locked)
        _status_event(locked, actor, change, message)
    return locked


def _paid_before_release(order: Order) -> None:  # payments
    """Wire and ACH orders are paid before the warehouse sees them; say so, not just "cannot"."""
    if order.status == OrderStatus.CONFIRMED and not order.payment_allows_release():
        raise DomainError(f"Order {order.number} waits for its {order.get_payment_method_display()} "
                          "payment; record it before releasing the order.")


def order_release_to_fulfillment(*, actor, order: Order) -> Order:
    return _plain_transition(actor=actor, order=order, name="release", message="Released to the warehouse.",
                             guard=_paid_before_release)


def order_ship(*, actor, order: Order, quantities: dict[int, int] | None = None,
               warehouse_id: int | None = None) -> Order:
    """Record shipped quantities per line id (all that is left when None), from `warehouse_id`
    when the parcel leaves one warehouse (its allocations there are consumed).

    The order becomes `shipped` when every line is fully shipped, else `partially_shipped`.
    """
    with transaction.atomic():
        locked = lock_order(order.pk)
        _ensure_can(locked, "ship", actor)
        lines = lock_order_lines(locked.pk)
        if quantities is None:
            quantities = {line.pk: line.quantity_unshipped for line in lines if line.quantity_unshipped}
        by_id = {line.pk: line for line in lines}
        shipped_now = []
        for line_id, qty in quantities.items():
            line = by_id.get(line_id)
            if line is None:
                raise DomainError(f"Line {line_id} is not part of order {locked.number}.")
            if qty <= 0 or qty > line.quantity_unshipped:
                raise DomainError(f"{line.sku}: can ship 1 to {line.quantity_unshipped}, not {qty}.")
            line.quantity_shipped += qty
            shipped_now.append({"sku": line.sku, "quantity": qty})
        if not shipped_now:
            raise DomainError(f"Order {locked.number} has nothing left to ship.")
        fully = all(line.quantity_shipped == line.quantity for line in lines)
        change = _transition(locked, "ship", actor, fully)
        # inventory: shipped units leave the warehouse, consuming their allocations.
        allocations_consume(actor=actor, order=locked, quantities=quantities, warehouse_id=warehouse_id)
        for line_id, qty in quantities.items():
            OrderLine.objects.filter(pk=line_id).update(quantity_shipped=F("quantity_shipped") + qty)
        _save_transition(locked)
        _status_event(locked, actor, change, "Shipped." if fully else "Partially shipped.", lines=shipped_now)
        _payments_after_shipment(locked)  # payments: capture, invoice (after commit)
    return locked


def order_deliver(*, actor, order: Order) -> Order:
    """Delivered; once invoiced and paid too it completes (checked after commit, see below)."""
    from orders.tasks import order_complete_if_settled_task

    with transaction.atomic():
        delivered = _plain_transition(actor=actor, order=order, name="deliver", message="Delivered.")
        enqueue_on_commit(order_complete_if_settled_task, order_id=delivered.pk)
    return delivered


def order_complete_if_settled(*, order_id: int) -> bool:
    """The lifecycle's last rule: a delivered order that is invoiced and paid (payments says whether
    it is settled) is completed. True if it was completed now; safe to run any time, any number of times."""
    from payments.selectors import order_is_settled

    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.DELIVERED or not order_is_settled(order):
        return False
    try:
        order_complete(actor=None, order=order)
    except TransitionRefused:
        return False  # completed (or changed) by someone else meanwhile
    return True


def orders_complete_settled(*, limit: int = 500) -> int:
    """Safety net for a lost completion task: complete up to `limit` delivered orders that are settled,
    oldest delivery first. Only settled orders are fetched (over the delivered orders' own index) and
    each leaves the set once completed, so the next run starts where this one stopped."""
    from payments.selectors import settled_orders_filter

    ids = list(Order.objects.filter(status=OrderStatus.DELIVERED).filter(settled_orders_filter())
               .order_by("delivered_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(order_complete_if_settled(order_id=order_id) for order_id in ids)


def order_complete(*, actor, order: Order) -> Order:
    return _plain_transition(actor=actor, order=order, name="complete", message="Order completed.")


def order_cancel(*, actor, order: Order, reason: str) -> Order:
    """Cancel an order that has shipped nothing; the reason is kept and shown."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the order is cancelled.")
    with transaction.atomic():
        locked = lock_order(order.pk)
        change = _transition(locked, "cancel", actor)
        locked.cancel_reason = reason[:255]
        locked.hold_reason = ""
        OrderHold.objects.active().filter(order=locked).update(
            released_at=timezone.now(), released_by=user_or_none(actor), release_note="Order cancelled."
        )
        _save_transition(locked, "cancel_reason", "hold_reason")
        # inventory: allocated stock is given back (and may serve waiting backorders).
        allocations_release_for_order(actor=actor, order=locked, reason=f"Order cancelled: {reason}"[:255])
        _status_event(locked, actor, change, f"Cancelled: {reason}")
        enqueue_on_commit(payment_settle_cancelled_order_task, order_id=locked.pk)  # payments: void or refund
    return locked


# -- payments: the gateway is called after commit, never under the order lock -----------


def _payments_after_shipment(order: Order) -> None:
    enqueue_on_commit(payment_capture_for_order_task, order_id=order.pk)
    if order.status == OrderStatus.SHIPPED:
        enqueue_on_commit(invoice_issue_for_order_task, order_id=order.pk)


# -- intake from other channels -------------------------------------------------------


def _intake_replay_check(*, api_client: ApiClient | None, external_reference: str, request_body) -> None:
    """Refuse a replay whose body differs from the first request's (requests stored since hashing began)."""
    if api_client is None or request_body is None:
        return
    first = IntakeRequest.objects.filter(api_client=api_client, external_reference=external_reference).first()
    if first is not None and first.body_hash != body_hash(request_body):
        raise IntakeReplayDiffers(differing_fields(first.body, request_body))


def order_intake(*, actor, channel: str, intake: "IntakeOrder", api_client: ApiClient | None = None,
                 request_body=None) -> tuple[Order, bool]:
    """Create and submit an order from a web shop, marketplace or file; (order, created).

    Idempotent per API client (or, for files, per channel) and external reference: a replay
    returns the order made the first time, also when two copies of the same request race (the
    unique constraint decides). With the API's `request_body`, the body's hash is kept with the
    order and a replay with another body raises IntakeReplayDiffers. Outside channels never put
    an order on account terms.
    """
    if intake.payment_method == PaymentMethod.TERMS:
        raise ValidationError({"payment_method": ["Account terms are set by staff, not by an outside channel."]})
    same = (Q(api_client=api_client) if api_client is not None else Q(channel=channel, api_client__isnull=True))
    existing = Order.objects.filter(same, external_reference=intake.external_reference).first()
    if existing is not None:
        _intake_replay_check(api_client=api_client, external_reference=intake.external_reference,
                             request_body=request_body)
        return existing, False
    try:
        with transaction.atomic():
            lock_customer_email(intake.customer_email.lower())  # one customer for two orders racing in
            customer = Customer.objects.filter(email=intake.customer_email.lower()).order_by("pk").first()
            if customer is None:
                customer = customer_create(
                    actor=actor, name=intake.customer_name, email=intake.customer_email,
                    phone=intake.customer_phone, company=intake.customer_company, address=intake.shipping_address,
                )
            order = order_create(
                actor=actor, customer=customer, lines=intake.lines, shipping_address=intake.shipping_address,
                billing_address=intake.billing_address, channel=channel, priority=intake.priority,
                payment_method=intake.payment_method, currency=intake.currency or None,
                shipping_total=intake.shipping_total, customer_note=intake.customer_note,
                external_reference=intake.external_reference, api_client=api_client, submit=True,
            )
            if api_client is not None and request_body is not None:
                IntakeRequest.objects.create(api_client=api_client, external_reference=intake.external_reference,
                                             body_hash=body_hash(request_body), body=request_body, order=order)
    except IntegrityError:
        existing = Order.objects.filter(same, external_reference=intake.external_reference).first()
        if existing is None:
            raise
        _intake_replay_check(api_client=api_client, external_reference=intake.external_reference,
                             request_body=request_body)
        return existing, False
    return order, True


def intake_answer_record(*, actor, order: Order, api_client: ApiClient, status: int, answer: dict) -> None:
    """Keep the answer the intake API gave when it created `order`, for replays of the same request."""
    with transaction.atomic():
        IntakeRequest.objects.filter(api_client=api_client, order=order, answer__isnull=True).update(
            answer_status=status, answer=answer)


# -- CSV import jobs ---------------------------------------------------------------------

IMPORT_CHUNK = 50  # orders per transaction, and per progress update
IMPORT_STALLED_AFTER = timedelta(minutes=1)
IMPORT_MAX_RESUMES = 5  # queued again this many times without a chunk committing: the import is stopped


def import_job_create(*, actor, channel: str, file_name: str, text: str) -> ImportJob:
    """Accept a CSV file of orders whose shape is right (readable, the columns, not too many rows)
    and queue its import; its rows are checked as a worker imports them."""
    from orders.intake import csv_shape_problems
    from orders.tasks import import_job_run_task

    if not actor.has_perm("orders.add_order"):
        raise NotPermitted("You are not allowed to import orders.")
    if channel not in Channel.values:
        raise ValidationError({"channel": [f"Unknown channel {channel!r}."]})
    rows, problems = csv_shape_problems(text)
    if problems:
        raise ValidationError({"file": problems})
    with transaction.atomic():
        job = ImportJob.objects.create(channel=channel, file_name=file_name[:255], content=text, total=rows,
                                       created_by=actor)
        enqueue_on_commit(import_job_run_task, job_id=job.pk)
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a job's orders chunk by chunk: an order whose rows are all fine is created (or, already
    imported on the channel, skipped); one with a problem is not, and its rows are reported.

    Safe to run twice, at once or one after the other: each chunk commits with the job's
    `chunks_done` under a lock on the job row, so the second run finds it done and moves on."""
    from orders.intake import csv_orders

    job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.status == BulkJobStatus.DONE:
        return job
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk, status=BulkJobStatus.PENDING).update(
        status=BulkJobStatus.RUNNING, started_at=now, heartbeat_at=now)
    orders, stray_rows = csv_orders(job.content)
    chunks = [orders[start:start + IMPORT_CHUNK] for start in range(0, len(orders), IMPORT_CHUNK)] or [[]]
    for index, chunk in enumerate(chunks):
        _import_chunk(job, index, chunk, stray_rows if index == 0 else [], last=index == len(chunks) - 1)
    job.refresh_from_db()
    return job


def _import_chunk(job: ImportJob, index: int, chunk: list, stray_rows: list, *, last: bool) -> None:
    from orders.intake import csv_order_problems, csv_orders_parse

    with transaction.atomic():
        if ImportJob.objects.select_for_update().values_list("chunks_done", flat=True).get(pk=job.pk) != index:
            return  # another run of this job imported this chunk
        # Orders imported before are skipped unchecked: a product since taken off sale is no reason to report them.
        existing = dict(Order.objects.filter(channel=job.channel, api_client__isnull=True, external_reference__in=[
            order.external_reference for order in chunk]).values_list("external_reference", "pk"))
        links = [ImportJobOrder(job=job, order_id=existing[order.external_reference], created=False)
                 for order in chunk if order.external_reference in existing]
        problems, failed = list(stray_rows), len(stray_rows)
        new = [order for order in chunk if order.external_reference not in existing]
        for order, intake, order_problems in csv_orders_parse(new):
            if intake is not None:
                try:
                    with transaction.atomic():
                        imported, created = order_intake(actor=job.created_by, channel=job.channel, intake=intake)
                except ValidationError as exc:  # a rule only the services know (a discount above the price)
                    order_problems = csv_order_problems(
                        order, exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
                except DomainError as exc:
                    order_problems = csv_order_problems(order, {"__all__": [exc.message]})
                else:
                    links.append(ImportJobOrder(job=job, order=imported, created=created))
                    continue
            problems += order_problems
            failed += 1
        ImportJobError.objects.bulk_create(
            ImportJobError(job=job, row=p.row, column=p.column, message=p.message[:500],
                           external_reference=p.external_reference[:100]) for p in problems)
        ImportJobOrder.objects.bulk_create(links)
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            chunks_done=F("chunks_done") + 1, heartbeat_at=now, resumed=0,
            processed=F("processed") + len(stray_rows) + sum(len(order.rows) for order in chunk),
            orders_created=F("orders_created") + sum(link.created for link in links),
            orders_skipped=F("orders_skipped") + sum(not link.created for link in links),
            orders_failed=F("orders_failed") + failed, error_count=F("error_count") + len(problems),
            **({"status": BulkJobStatus.DONE, "finished_at": now} if last else {}))


def import_jobs_resume_stalled(*, stalled_after: timedelta = IMPORT_STALLED_AFTER) -> int:
    """Queue again the import jobs with no sign of life for `stalled_after`: their task was lost
    (a broker that was down or lost its queue, a worker that died). A job a worker is importing
    right now holds its row lock and is passed over."""
    from orders.tasks import import_job_run_task

    with transaction.atomic():
        stalled = list(ImportJob.objects.filter(
            status__in=[BulkJobStatus.PENDING, BulkJobStatus.RUNNING],
            heartbeat_at__lt=timezone.now() - stalled_after,
        ).order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True)[:100])
        given_up = list(ImportJob.objects.filter(pk__in=stalled, resumed__gte=IMPORT_MAX_RESUMES).values_list(
            "pk", "processed"))
        for job_id, processed in given_up:
            _import_job_stop(job_id=job_id, processed=processed)
        stalled = [job_id for job_id in stalled if job_id not in {pk for pk, _ in given_up}]
        ImportJob.objects.filter(pk__in=stalled).update(heartbeat_at=timezone.now(), resumed=F("resumed") + 1)
        for job_id in stalled:
            enqueue_on_commit(import_job_run_task, job_id=job_id)
    return len(stalled)


def _import_job_stop(*, job_id: int, processed: int) -> None:
    """An import that makes no progress however often it is queued again (a fault no retry cures) ends,
    saying where: what came before is imported, and importing the same file again skips it."""
    now = timezone.now()
    ImportJobError.objects.create(
        job_id=job_id, row=processed + 2, column="", external_reference="",
        message=f"The import stopped here after {IMPORT_MAX_RESUMES} attempts that all failed; the orders above are "
                "imported. Fix or remove this part of the file and import it again: imported orders are skipped.")
    ImportJob.objects.filter(pk=job_id).update(status=BulkJobStatus.DONE, finished_at=now, heartbeat_at=now,
                                               error_count=F("error_count") + 1)


def api_client_create(*, actor, name: str, channel: str) -> tuple[ApiClient, str]:
    """A channel's API client; returns it and its key, which is shown once and stored hashed."""
    if channel not in Channel.values:
        raise DomainError(f"Unknown channel {channel!r}.")
    key = ApiClient.new_key()
    with transaction.atomic():
        client = ApiClient.objects.create(name=name, channel=channel, key_hash=ApiClient.hash_key(key),
                                          key_prefix=key[:8])
    return client, key


# -- changes after placement: edits and cancelled lines --------------------------------


@dataclass(frozen=True)
class LineChange:
    """One line of an edit: an existing line (`line_id`) or a new one (`product`); quantity 0 removes it.
    A price or discount of None keeps the line's own (a new line takes the product's price)."""

    quantity: int
    line_id: int | None = None
    product: Product | None = None
    unit_price: Decimal | None = None
    discount: Decimal | None = None


@dataclass(frozen=True)
class OrderChange:
    """What an edit asks for; None leaves that part of the order as it is (lines not named stay)."""

    shipping_address: AddressSnapshot | None = None
    billing_address: AddressSnapshot | None = None
    lines: tuple[LineChange, ...] = ()
    priority: str | None = None
    shipping_total: Decimal | None = None


@dataclass
class _PlannedLine:
    line: OrderLine  # an unsaved row for a new line
    new: bool = False
    removed: bool = False
    release: int = 0  # allocated units no longer needed


@dataclass
class ChangePlan:
    """An edit worked out against the order as it is: the rows as they would become, and the diff."""

    order: Order
    lines: list[_PlannedLine]
    changes: list[dict]
    total_before: Decimal

    @property
    def total_after(self) -> Decimal:
        return self.order.total

    @property
    def kept_lines(self) -> list[OrderLine]:
        return [p.line for p in self.lines if not p.removed]


def _money_text(value) -> str:
    return "" if value is None else str(value)


def _address_text(address: AddressSnapshot) -> str:
    return ", ".join(address.lines())


def _line_label(line: OrderLine) -> str:
    return f"{line.sku} {line.name}".strip()


def _plan_change(order: Order, lines: list[OrderLine], change: OrderChange) -> ChangePlan:
    """Apply `change` in memory to a copy of the order and its lines, re-priced; nothing is saved."""
    before, draft = order, copy.copy(order)
    changes: list[dict] = []

    def note(field: str, label: str, old, new) -> None:
        if old != new:
            changes.append({"field": field, "label": label, "before": old, "after": new})

    if change.shipping_address is not None:
        note("shipping_address", "Shipping address", _address_text(draft.shipping_address),
             _address_text(change.shipping_address))
        draft.set_shipping_address(change.shipping_address)
    if change.billing_address is not None:
        note("billing_address", "Billing address", _address_text(draft.billing_address),
             _address_text(change.billing_address))
        draft.set_billing_address(change.billing_address)
    if change.priority is not None and change.priority != draft.priority:
        note("priority", "Priority", Priority(draft.priority).label, Priority(change.priority).label)
        draft.priority = change.priority
    if change.shipping_total is not None:
        note("shipping_total", "Shipping", _money_text(draft.shipping_total), _money_text(change.shipping_total))
        draft.shipping_total = change.shipping_total

    country_changed = draft.ship_country != before.ship_country
    by_id = {line.pk: line for line in lines}
    planned: dict = {line.pk: _PlannedLine(line=copy.copy(line)) for line in lines}
    position = max((line.position for line in lines), default=0)
    for item in change.lines:
        if item.line_id is not None:
            if item.line_id not in by_id:
                raise DomainError(f"Line {item.line_id} is not part of order {order.number}.")
            plan = planned[item.line_id]
            line = plan.line
            if item.quantity <= 0:
                plan.removed, plan.release = True, line.quantity_allocated
                changes.append({"field": f"line:{line.pk}", "label": _line_label(line),
                                "before": f"{line.quantity} × {line.unit_price}", "after": "removed"})
                continue
        else:
            if item.product is None or item.quantity <= 0:
                continue
            position += 1
            line = OrderLine(order=draft, product=item.product, position=position, sku=item.product.sku,
                             name=item.product.name, unit_price=item.product.unit_price, quantity=item.quantity,
                             tax_rate=tax_rate_for(tax_class=item.product.tax_class, country=draft.ship_country))
            plan = _PlannedLine(line=line, new=True)
            planned[f"new-{position}"] = plan
        old = (line.quantity, line.unit_price, line.discount_amount)
        line.quantity = item.quantity
        if item.unit_price is not None:
            line.unit_price = item.unit_price
        if item.discount is not None:
            line.discount_amount = item.discount
        plan.release = max(line.quantity_allocated - line.quantity, 0)
        if plan.new:
            changes.append({"field": f"line:new:{line.sku}", "label": _line_label(line), "before": "",
                            "after": f"{line.quantity} × {line.unit_price}"
                                     + (f" − {line.discount_amount}" if line.discount_amount else "")})
        else:
            for index, label in enumerate(("quantity", "unit price", "discount")):
                note(f"line:{line.pk}:{label.replace(' ', '_')}", f"{_line_label(line)}: {label}",
                     _money_text(old[index]), _money_text((line.quantity, line.unit_price,
                                                           line.discount_amount)[index]))

    kept = [p for p in planned.values() if not p.removed]
    if not kept:
        raise DomainError("An order needs at least one line; cancel the order instead.")
    if country_changed:  # tax follows the destination
        for plan in kept:
            rate = tax_rate_for(tax_class=plan.line.product.tax_class, country=draft.ship_country)
            if not plan.new:
                note(f"line:{plan.line.pk}:tax_rate", f"{_line_label(plan.line)}: tax rate",
                     str(plan.line.tax_rate), str(rate))
            plan.line.tax_rate = rate
    amounts = []
    for index, plan in enumerate(kept, start=1):
        line = plan.line
        if line.unit_price < 0 or line.discount_amount < 0:
            raise DomainError(f"{line.sku}: prices and discounts cannot be negative.")
        if line.unit_price * line.quantity > MAX_ORDER_AMOUNT:
            raise DomainError(f"{line.sku}: the amount is larger than an order can hold.")
        try:
            amount = line_amounts(unit_price=line.unit_price, quantity=line.quantity, discount=line.discount_amount,
                                  tax_rate=line.tax_rate, currency=draft.currency)
        except (ValueError, ArithmeticError) as exc:
            raise DomainError(f"{line.sku}: {exc}") from exc
        line.discount_amount, line.tax_amount, line.line_total = amount.discount, amount.tax, amount.total
        amounts.append(amount)
    totals = order_totals(lines=amounts, shipping=draft.shipping_total, currency=draft.currency)
    for field, value in vars(totals).items():
        setattr(draft, field, value)
    if draft.total > MAX_ORDER_AMOUNT:
        raise DomainError("The order total is larger than an order can hold.")
    note("total", "Total", _money_text(before.total), _money_text(draft.total))
    return ChangePlan(order=draft, lines=list(planned.values()), changes=changes, total_before=before.total)


def _ensure_changeable(order: Order) -> None:
    """Refuse, with the reason, an order that can no longer change: packed, shipped, or closed."""
    from fulfillment.enums import ShipmentStatus  # fulfillment: a started shipment freezes the order
    from fulfillment.models import Shipment

    if order.status not in CHANGEABLE_STATUSES:
        raise TransitionRefused(f"Order {order.number} is {order.get_status_display().lower()}; "
                                "it can no longer be changed.")
    if Shipment.objects.filter(order_id=order.pk).exclude(status=ShipmentStatus.CANCELLED).exists():
        raise TransitionRefused(f"Packing of order {order.number} has started; it can no longer be changed. "
                                "Cancel the shipment first, or return the goods after delivery.")


def _ensure_price_permission(actor, change: OrderChange) -> None:
    priced = any(item.unit_price is not None or item.discount is not None for item in change.lines)
    if priced and actor is not None and not actor.has_perm("orders.change_order_price"):
        raise NotPermitted("You are not allowed to change prices or discounts.")


def _validate_change(change: OrderChange) -> None:
    for item in change.lines:
        if item.quantity is None or item.quantity < 0:
            raise DomainError("A quantity cannot be negative.")
        if item.product is not None and item.line_id is None and not item.product.is_active:
            raise DomainError(f"{item.product.sku} is no longer sold.")
    if change.priority is not None and change.priority not in Priority.values:
        raise DomainError(f"Unknown priority {change.priority!r}.")
    if change.shipping_total is not None and change.shipping_total < 0:
        raise DomainError("Shipping cannot be negative.")
    if change.shipping_address is not None and change.shipping_address.missing_fields():
        raise DomainError(f"The shipping address is missing: {', '.join(change.shipping_address.missing_fields())}.")


def order_change_preview(*, actor, order: Order, change: OrderChange) -> ChangePlan:
    """What `order_edit` would change, worked out and checked, with nothing saved."""
    _validate_change(change)
    _ensure_price_permission(actor, change)
    _ensure_changeable(order)
    return _plan_change(order, list(order.lines.select_related("product")), change)


def _extra_authorization(order: Order, new_total: Decimal) -> Decimal:
    """How much more must be authorized on the card before the order may grow to `new_total`."""
    from payments.enums import PaymentStatus
    from payments.models import Payment

    payment = Payment.objects.filter(order_id=order.pk).first()
    if payment is None or payment.status != PaymentStatus.AUTHORIZED:
        return ZERO  # not authorized yet: verification authorizes the new total
    return max(new_total - payment.authorized_amount, ZERO)


def _hold_declined_change(*, actor, order: Order, message: str) -> None:
    """A declined extra authorization holds the order (as it stands, old lines allocated), if it may be held."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        if locked.status not in HOLDABLE_STATUSES:
            return
        change = _transition(locked, "hold", None)
        locked.hold_reason = HoldReason.PAYMENT_DECLINED
        _save_transition(locked, "hold_reason")
        OrderHold.objects.create(order=locked, reason=HoldReason.PAYMENT_DECLINED, message=message,
                                 check_name="order_change", created_by=user_or_none(actor))
        _status_event(locked, actor, change, f"Put on hold ({HoldReason.PAYMENT_DECLINED.label}): {message}")


def order_edit(*, actor, order: Order, change: OrderChange, reason: str = "",
               expected_version: int | None = None) -> Order:
    """Change a placed order that has not started packing: addresses, lines, prices, shipping, priority.

    The order is locked, then its lines, then stock. The change is re-priced and the checks it
    concerns run again (the address check for an address, credit for a terms order that grows);
    only the difference in stock moves (released first, then allocated; a confirmed order must
    be fully allocated again, or nothing changes). A card order that grows beyond its
    authorization is authorized for the difference first, with no lock held; a decline
    changes nothing and holds the order. What becomes surplus is given back after commit
    (a partial void or a refund). `expected_version` is the version the form was opened on:
    a change made meanwhile refuses this one. Each edit is a numbered `OrderVersion`.
    """
    _validate_change(change)
    _ensure_price_permission(actor, change)
    if actor is not None and not actor.has_perm("orders.change_order"):
        raise NotPermitted("You are not allowed to change orders.")
    with transaction.atomic():
        locked = lock_order(order.pk)
        _ensure_order_version(locked, expected_version)
        _ensure_changeable(locked)
        plan = _plan_locked(actor, locked, change)
        if not [c for c in plan.changes if c["field"] != "total"]:
            raise DomainError("Nothing to change: the order already reads like this.")
        extra = _extra_authorization(locked, plan.total_after)
        if not extra:
            return _apply_change(actor=actor, order=locked, plan=plan, reason=reason)
        _rehearse_change(actor=actor, order=locked, plan=plan, reason=reason)  # stock and credit, before money
        seen = (locked.updated_at, _version_count(locked))
    _authorize_extra(actor=actor, order=locked, amount=extra, version=seen[1] + 1, total=plan.total_after)
    try:
        with transaction.atomic():
            locked = lock_order(order.pk)
            if (locked.updated_at, _version_count(locked)) != seen:
                raise TransitionRefused(f"Order {locked.number} changed while the payment was being authorized; "
                                        "open it again and repeat the change.")
            plan = _plan_locked(actor, locked, change)
            return _apply_change(actor=actor, order=locked, plan=plan, reason=reason)
    except DomainError:
        # Nothing changed, so the extra authorization is surplus: the settlement gives it back.
        _settle_payment_after_change(order)
        raise


class _Rehearsed(Exception):
    pass


def _rehearse_change(*, actor, order: Order, plan: ChangePlan, reason: str) -> None:
    """Make the change in a savepoint and roll it back: a change that stock or credit would refuse
    is refused before the card is charged more. (Callbacks registered inside are discarded too.)"""
    try:
        with transaction.atomic():
            _apply_change(actor=actor, order=copy.copy(order), plan=plan, reason=reason)
            raise _Rehearsed
    except _Rehearsed:
        pass
    order.refresh_from_db()


def _plan_locked(actor, order: Order, change: OrderChange) -> ChangePlan:
    """Plan the change on the locked order, check credit if a terms order grows, then lock the lines
    (in the project's lock order: order, customer, lines; the order lock already keeps them still)."""
    plan = _plan_change(order, list(order.lines.select_related("product")), change)
    new = plan.order
    if new.payment_method == PaymentMethod.TERMS and new.total > order.total:
        from orders.checks import check_customer_credit

        result = check_customer_credit(new, actor=actor)
        if result.reason:
            raise DomainError(f"The change was not made: {result.message}", code="credit_limit")
    lock_order_lines(order.pk)
    return plan


def _version_count(order: Order) -> int:
    return order.versions.count()


def _ensure_order_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and _version_count(order) != expected_version:
        raise TransitionRefused(f"Order {order.number} was changed by someone else meanwhile; "
                                "look at it again before changing it.")


def _authorize_extra(*, actor, order: Order, amount: Decimal, version: int, total: Decimal) -> None:
    from payments.models import Payment
    from payments.services import payment_authorize_increase

    payment = Payment.objects.get(order_id=order.pk)
    row = payment_authorize_increase(actor=actor, payment=payment, amount=amount,
                                     idempotency_key=f"payment-{payment.pk}:authorize-increase:v{version}:{total}")
    if row.success:
        return
    cause = row.error_message or ("The payment gateway did not answer." if not row.is_final else "Declined.")
    message = (f"An extra {amount} {order.currency} for a change of the order was not authorized: {cause} "
               "The order was not changed.")
    _hold_declined_change(actor=actor, order=order, message=message)
    if not row.is_final:
        # Unanswered: if the gateway later says yes, the settlement gives the surplus back.
        _settle_payment_after_change(order)
    raise DomainError(message, code="payment_declined")


def _apply_change(*, actor, order: Order, plan: ChangePlan, reason: str) -> Order:
    """Write a worked-out change on the locked order: stock difference, rows, version, timeline, settlement."""
    new = plan.order
    release = {p.line.pk: p.release for p in plan.lines if p.release and not p.new}
    if release:
        allocations_release_lines(actor=actor, order=order, quantities=release,
                                  reason=f"Order changed: {reason}"[:255] if reason else "Order changed.")
    for field in [*(f"ship_{f}" for f in ADDRESS_FIELDS), *(f"bill_{f}" for f in ADDRESS_FIELDS), "priority",
                  "shipping_total", "subtotal", "discount_total", "tax_total", "total"]:
        setattr(order, field, getattr(new, field))
    if any(c["field"] == "priority" for c in plan.changes):
        _promise_dates(order)
    order.save()
    removed = [p.line.pk for p in plan.lines if p.removed]
    if removed:
        OrderLine.objects.filter(pk__in=removed).delete()  # their allocations were released above
    for p in plan.lines:
        if p.removed:
            continue
        line = p.line
        if p.new:
            line.order = order
            line.save()
        else:
            OrderLine.objects.filter(pk=line.pk).update(
                quantity=line.quantity, unit_price=line.unit_price, discount_amount=line.discount_amount,
                tax_rate=line.tax_rate, tax_amount=line.tax_amount, line_total=line.line_total)
    _reallocate_after_change(actor=actor, order=order)
    version = _record_version(actor=actor, order=order, plan=plan, reason=reason)
    _settle_payment_after_change(order)
    _notify_customer_of_change(order, version)
    return order


def _reallocate_after_change(*, actor, order: Order) -> None:
    """Allocate what the change added, for an order whose stock was already allocated."""
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT, OrderStatus.BACKORDERED):
        return  # placed or held: verification allocates the order as it then is
    lines = list(OrderLine.objects.filter(order=order).select_related("product").order_by("pk"))
    outcome = allocation_allocate_order(actor=actor, order=order, lines=lines)
    short = [f"{line.sku} (short {n})" for line, n in outcome.short]
    if order.status != OrderStatus.BACKORDERED and short:
        raise DomainError(f"The change was not made: not enough stock for {', '.join(short)}.", code="short")
    if outcome.held:
        raise DomainError(f"The change was not made: {', '.join(l.sku for l, _ in outcome.held)} "
                          "cannot be backordered.", code="short")
    if outcome.allocations:
        order_event_record(order=order, type=OrderEventType.STOCK, actor=actor,
                           message=f"Stock allocated from {', '.join(outcome.warehouses)}.",
                           data={"short": {line.sku: n for line, n in outcome.short}})
    if order.status == OrderStatus.BACKORDERED and all(l.quantity_allocated >= l.quantity for l in lines):
        change = _transition(order, "allocate", None)
        _save_transition(order)
        _status_event(order, actor, change, "Stock allocated after a change; order confirmed.")


def _record_version(*, actor, order: Order, plan: ChangePlan, reason: str, kind=None) -> OrderVersion:
    number = _version_count(order) + 1
    version = OrderVersion.objects.create(
        order=order, number=number, kind=kind or OrderChangeKind.EDIT, reason=reason.strip()[:255],
        changes=plan.changes, total_before=plan.total_before, total_after=plan.total_after,
        actor=user_or_none(actor))
    # The timeline shows the changes as a table from `data`; the message says who and why.
    order_event_record(order=order, type=OrderEventType.CHANGED, actor=actor,
                       message=f"Version {number} ({version.get_kind_display().lower()})"
                               + (f": {reason.strip()}." if reason.strip() else "."),
                       data={"version": number, "changes": plan.changes}, customer_visible=True)
    return version


def _settle_payment_after_change(order: Order) -> None:
    from payments.tasks import payment_settle_order_change_task

    enqueue_on_commit(payment_settle_order_change_task, order_id=order.pk)


def _notify_customer_of_change(order: Order, version) -> None:
    """The customer hears of each change once (the e-mail is sent after commit)."""
    order_notify(order=order, kind=ORDER_CHANGED, reference=f"version-{version.number}", actor=version.actor)


def order_line_cancel(*, actor, order: Order, line_id: int, reason: str) -> Order:
    """Cancel one line that has not shipped: its stock is released, the order re-priced and the
    money settled; the last line cannot be cancelled (cancel the order instead)."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the line is cancelled.")
    if actor is not None and not actor.has_perm("orders.change_order"):
        raise NotPermitted("You are not allowed to change orders.")
    with transaction.atomic():
        locked = lock_order(order.pk)
        _ensure_changeable(locked)
        lines = list(locked.lines.select_related("product"))
        if line_id not in {line.pk for line in lines}:
            raise DomainError(f"That line is not part of order {locked.number}.")
        if len(lines) == 1:
            raise DomainError("This is the order's only line; cancel the order instead.")
        plan = _plan_change(locked, lines, OrderChange(lines=(LineChange(line_id=line_id, quantity=0),)))
        lock_order_lines(locked.pk)

        release = {p.line.pk: p.release for p in plan.lines if p.removed and p.release}
        if release:
            allocations_release_lines(actor=actor, order=locked, quantities=release,
                                      reason=f"Line cancelled: {reason}"[:255])
        for field in ("subtotal", "discount_total", "tax_total", "total"):
            setattr(locked, field, getattr(plan.order, field))
        locked.save()
        OrderLine.objects.filter(pk=line_id).delete()
        _reallocate_after_change(actor=actor, order=locked)  # a backorder waiting only for this line is confirmed
        version = _record_version(actor=actor, order=locked, plan=plan, reason=reason,
                                  kind=OrderChangeKind.LINE_CANCEL)
        _settle_payment_after_change(locked)
        _notify_customer_of_change(locked, version)
    return locked
