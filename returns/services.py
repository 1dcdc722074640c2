"""Returns own return requests (RMAs): what a customer sends back and why, the policy that
allows it, receiving and inspecting the goods, restocking or scrapping them, and settling
the return with a refund or a free replacement order. They also own refunds by line: finance
refunds units of an order's lines (putting back in stock what came back) without a return.

Every write is a function here: keyword-only, with the acting user (None for the customer
on the tracking page, or the system), inside `transaction.atomic()`. Status changes go
through the django-fsm transitions on `ReturnRequest`, are saved, and are written to the
order's timeline (`OrderEventType.RETURN`, with the RMA number in `data["rma"]`).
Each step requests its customer message (`notifications`) in the same transaction; it is sent after commit.

Locks: the order row, then the return row, then the order's lines in pk order. A refund
calls the payment gateway with no lock held: the return is claimed first (`refund_key`),
so two clicks refund once, and payments refuses anything beyond what was captured.
A refund by line is claimed the same way: its units are taken under the order's lock.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oms.actors import user_or_none
from oms.exceptions import DomainError, NotPermitted
from oms.fsm import transition_refusal
from oms.money import ZERO, quantize
from oms.sequences import sequence_next
from orders.enums import OrderEventType
from orders.locks import lock_order, lock_order_lines
from orders.models import Order, OrderLine
from orders.pricing import units_of_line
from payments.enums import TransactionOutcome
from payments.locks import lock_payment
from payments.models import Payment
from payments.services import payment_refund
from returns.enums import (
    InspectionOutcome,
    RefundStatus,
    Resolution,
    ReturnEmailKind,
    ReturnReason,
    ReturnSource,
    ReturnStatus,
)
from returns.locks import lock_refund, lock_return
from returns.models import Refund, RefundLine, ReturnLine, ReturnRequest
from returns.policy import (
    RequestedLine,
    free_return_shipping,
    policy_problems,
    refundable_quantities,
    returnable_quantities,
    shipping_left_to_refund,
    units_expected_back,
    units_kept_after_refund,
    units_settled,
)
from returns.stock import restock_refunded_units, restock_returned_units, scrap_returned_units


# What a transition does, in the words staff read when it is refused.
TRANSITION_VERBS = {
    "approve": "approved",
    "reject": "rejected",
    "receive": "received",
    "inspect": "inspected",
    "refund": "refunded",
    "exchange": "exchanged",
    "close": "closed",
    "cancel": "cancelled",
}


@dataclass(frozen=True)
class ReturnLineInput:
    order_line_id: int
    quantity: int
    reason: str
    comment: str = ""


@dataclass(frozen=True)
class InspectionDecision:
    outcome: str
    note: str = ""


def _ensure_can(rma: ReturnRequest, name: str, actor, *, conditions: bool = True, refusal: str | None = None
                ) -> None:
    """Refuse clearly a transition the return's state or the actor forbids (`conditions=False`:
    the state alone, for a transition whose guard reads input the caller applies next)."""
    transition_refusal(rma, name, actor=actor, noun="return", verb=TRANSITION_VERBS[name], conditions=conditions,
                       refusal=refusal)


def _event(rma: ReturnRequest, actor, message: str, *, customer_visible: bool = True, order: Order | None = None,
           **data) -> None:
    from orders.services import order_event_record

    order_event_record(order=order or rma.order, type=OrderEventType.RETURN, actor=actor, message=message,
                       data={"rma": rma.number, "status": rma.status, **data}, customer_visible=customer_visible)


def _email(rma: ReturnRequest, step: str) -> None:
    """Request the customer message about this step in the current transaction (sent after commit, once)."""
    from notifications.services import notification_request
    from returns.notifications import message_kind

    notification_request(kind=message_kind(step), recipient=rma.order.customer.email, about=rma, order=rma.order,
                         data={"rma": rma.number})


def _units(lines, attribute: str = "quantity") -> str:
    return ", ".join(f"{getattr(line, attribute)} × {line.order_line.sku}" for line in lines
                     if getattr(line, attribute))


# -- requesting ------------------------------------------------------------------------


def _clean_lines(lines: list[ReturnLineInput]) -> list[ReturnLineInput]:
    lines = [line for line in lines if line.quantity]
    if not lines:
        raise DomainError("Choose at least one item to return.")
    seen = set()
    for line in lines:
        if not isinstance(line.quantity, int) or line.quantity < 0:
            raise DomainError("Quantities are whole numbers of at least 1.")
        if line.reason not in ReturnReason.values:
            raise DomainError(f"Choose why the item is returned ({line.reason!r} is not a reason).")
        if line.order_line_id in seen:
            raise DomainError("Each order line can appear once in a return.")
        seen.add(line.order_line_id)
    return lines


def return_request_create(*, actor, order: Order, lines: list[ReturnLineInput], source: str = ReturnSource.STAFF,
                          note: str = "", override_note: str = "") -> ReturnRequest:
    """Open a return for shipped goods of `order` (actor None: the customer, from the tracking page).

    Quantities are checked under the order lock: never more than shipped, minus already
    returned, minus what other open returns expect. The policy (window, non-returnable
    products) refuses with its reasons unless a manager gives an override note.
    """
    lines = _clean_lines(lines)
    if actor is not None and not actor.has_perm("returns.add_returnrequest"):
        raise NotPermitted("You are not allowed to open returns.")
    override_note = override_note.strip()
    with transaction.atomic():
        locked = lock_order(order.pk)
        order_lines = {line.pk: line for line in lock_order_lines(locked.pk)}
        held, kept = units_expected_back(order_lines), units_kept_after_refund(order_lines)
        requested = []
        for line in lines:
            order_line = order_lines.get(line.order_line_id)
            if order_line is None:
                raise DomainError(f"Line {line.order_line_id} is not part of order {locked.number}.")
            kept_units = kept.get(order_line.pk, 0)
            left = (order_line.quantity_shipped - order_line.quantity_returned - held.get(order_line.pk, 0)
                    - kept_units)
            if line.quantity > left:
                raise DomainError(
                    f"{order_line.sku}: at most {max(left, 0)} can be returned ({order_line.quantity_shipped} shipped, "
                    f"{order_line.quantity_returned} returned, {held.get(order_line.pk, 0)} in open returns"
                    + (f", {kept_units} refunded and kept" if kept_units else "")
                    + f"), not {line.quantity}.", code="quantity_too_high")
            requested.append(RequestedLine(order_line, line.quantity, line.reason, line.comment.strip()))
        problems = policy_problems(locked, requested)
        if problems and not override_note:
            raise DomainError(" ".join(problems), code="outside_policy")
        if problems and (actor is None or not actor.has_perm("returns.override_policy")):
            raise NotPermitted("Only a manager can accept a return outside the policy.")
        rma = ReturnRequest.objects.create(
            number=f"RMA-{sequence_next(name='rma'):06d}", order=locked, source=source, note=note.strip(),
            free_return_shipping=free_return_shipping(line.reason for line in requested),
            policy_override_note=override_note if problems else "",
            policy_overridden_by=user_or_none(actor) if problems else None, created_by=user_or_none(actor),
        )
        ReturnLine.objects.bulk_create([
            ReturnLine(return_request=rma, order_line=line.order_line, quantity=line.quantity, reason=line.reason,
                       customer_comment=line.comment)
            for line in requested
        ])
        _event(rma, actor, f"Return {rma.number} requested: " + ", ".join(
            f"{line.quantity} × {line.order_line.sku} ({ReturnReason(line.reason).label})" for line in requested)
            + ".", source=source)
        if problems:
            _event(rma, actor, f"Return policy overridden for {rma.number}: {' '.join(problems)} "
                               f"Note: {override_note}", customer_visible=False, problems=problems)
        _email(rma, ReturnEmailKind.REQUESTED)
    return rma


# -- decisions -------------------------------------------------------------------------


def return_approve(*, actor, return_request: ReturnRequest, note: str = "") -> ReturnRequest:
    """Accept the request: the customer gets the RMA number and a return label."""
    return _move_and_stamp(actor=actor, return_request=return_request, name="approve", stamp="approved_at",
                           message="Return {number} approved; return label sent.", note=note,
                           email=ReturnEmailKind.APPROVED)


def _move_and_stamp(*, actor, return_request: ReturnRequest, name: str, stamp: str, message: str, note: str,
                    email: str, customer_visible: bool = True) -> ReturnRequest:
    """Under the return's lock: run transition `name`, set the timestamp field `stamp` to now, record
    `message` (with the staff note, if any) as an event and queue the customer's e-mail."""
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, name, actor)
        getattr(rma, name)()
        setattr(rma, stamp, timezone.now())
        rma.save(update_fields=["status", stamp, "updated_at"])
        _event(rma, actor, message.format(number=rma.number) + (f" {note.strip()}" if note.strip() else ""),
               customer_visible=customer_visible)
        _email(rma, email)
    return rma


def _decide(*, actor, return_request: ReturnRequest, name: str, reason: str, email: str) -> ReturnRequest:
    reason = reason.strip()
    if not reason:
        raise DomainError(f"Say why the return is {TRANSITION_VERBS[name]}.")
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, name, actor)
        getattr(rma, name)()
        rma.decision_note = reason[:255]
        rma.closed_at = timezone.now() if name == "cancel" else rma.closed_at
        rma.save(update_fields=["status", "decision_note", "closed_at", "updated_at"])
        _event(rma, actor, f"Return {rma.number} {TRANSITION_VERBS[name]}: {reason}")
        _email(rma, email)
    return rma


def return_reject(*, actor, return_request: ReturnRequest, reason: str) -> ReturnRequest:
    return _decide(actor=actor, return_request=return_request, name="reject", reason=reason,
                   email=ReturnEmailKind.REJECTED)


def return_cancel(*, actor, return_request: ReturnRequest, reason: str) -> ReturnRequest:
    """Withdraw a return before its items arrive; the units it held can be returned again."""
    return _decide(actor=actor, return_request=return_request, name="cancel", reason=reason,
                   email=ReturnEmailKind.CANCELLED)


# -- receiving and inspection ----------------------------------------------------------


def return_scan_item(*, actor, return_request: ReturnRequest, code: str) -> ReturnLine:
    """One unit arrived: the scanned barcode or typed SKU counts it on its line of the return."""
    code = (code or "").strip()
    if not code:
        raise DomainError("Scan a barcode or type a SKU.")
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "receive", actor, conditions=False, refusal="only an approved return is scanned in")
        lines = [line for line in rma.lines.select_related("order_line__product")
                 if code.lower() in (line.order_line.sku.lower(), (line.order_line.product.barcode or "").lower())]
        if not lines:
            raise DomainError(f"{code} is not part of return {rma.number}.")
        line = next((line for line in lines if line.quantity_received < line.quantity), None)
        if line is None:
            raise DomainError(f"All {sum(x.quantity for x in lines)} × {lines[0].order_line.sku} of return "
                              f"{rma.number} are already scanned.")
        ReturnLine.objects.filter(pk=line.pk).update(quantity_received=F("quantity_received") + 1)
        line.refresh_from_db(fields=["quantity_received"])
    return line


def return_receive(*, actor, return_request: ReturnRequest, quantities: dict[int, int] | None = None
                   ) -> ReturnRequest:
    """The parcel is in: the received units (scanned, or `quantities` per return line id) count as
    returned on the order; units that did not come back are no longer expected."""
    with transaction.atomic():
        lock_order(return_request.order_id)
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "receive", actor, conditions=False)
        lines = list(rma.lines.select_related("order_line").order_by("pk"))
        if quantities is not None:
            by_id = {line.pk: line for line in lines}
            for line_id, qty in quantities.items():
                line = by_id.get(line_id)
                if line is None:
                    raise DomainError(f"Line {line_id} is not part of return {rma.number}.")
                if not isinstance(qty, int) or qty < 0 or qty > line.quantity:
                    raise DomainError(f"{line.order_line.sku}: received 0 to {line.quantity}, not {qty}.")
                line.quantity_received = qty
        rma._prefetched_objects_cache = {"lines": _cached(rma, lines)}
        if not rma.has_received_items():
            raise DomainError(f"Nothing of return {rma.number} was received; scan the items or enter quantities.")
        _ensure_can(rma, "receive", actor)
        lock_order_lines(rma.order_id)
        rma.receive()
        rma.received_at = timezone.now()
        rma.save(update_fields=["status", "received_at", "updated_at"])
        for line in lines:
            ReturnLine.objects.filter(pk=line.pk).update(quantity_received=line.quantity_received)
            if line.quantity_received:
                OrderLine.objects.filter(pk=line.order_line_id).update(
                    quantity_returned=F("quantity_returned") + line.quantity_received)
        short = [line for line in lines if line.quantity_received < line.quantity]
        _event(rma, actor, f"Return {rma.number}: items received ({_units(lines, 'quantity_received')})."
               + (" Not received: " + ", ".join(f"{line.quantity - line.quantity_received} × {line.order_line.sku}"
                                               for line in short) + "." if short else ""))
        _email(rma, ReturnEmailKind.RECEIVED)
    return rma


def _cached(rma: ReturnRequest, lines: list[ReturnLine]):
    """The lines as `rma.lines.all()` would return them, so the transition guards read them for free."""
    cached = ReturnLine.objects.filter(return_request=rma)
    cached._result_cache, cached._prefetch_done = list(lines), True
    return cached


def return_inspect(*, actor, return_request: ReturnRequest, decisions: dict[int, InspectionDecision]
                   ) -> ReturnRequest:
    """Decide per received line: restock (back to sellable stock through the ledger) or scrap."""
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "inspect", actor, conditions=False)
        lines = list(rma.lines.select_related("order_line__product").order_by("pk"))
        for line in lines:
            if not line.quantity_received:
                continue
            decision = decisions.get(line.pk)
            if decision is None or decision.outcome not in InspectionOutcome.values:
                raise DomainError(f"{line.order_line.sku}: choose restock or scrap.")
            line.outcome, line.inspection_note = decision.outcome, decision.note.strip()[:255]
        rma._prefetched_objects_cache = {"lines": _cached(rma, lines)}
        _ensure_can(rma, "inspect", actor)
        rma.inspect()
        rma.inspected_at = timezone.now()
        rma.save(update_fields=["status", "inspected_at", "updated_at"])
        for line in lines:
            if not line.quantity_received:
                continue
            ReturnLine.objects.filter(pk=line.pk).update(outcome=line.outcome, inspection_note=line.inspection_note)
            stock_move = restock_returned_units if line.outcome == InspectionOutcome.RESTOCK else scrap_returned_units
            stock_move(actor=actor, return_request=rma, line=line, quantity=line.quantity_received)
        restocked = [line for line in lines if line.outcome == InspectionOutcome.RESTOCK]
        scrapped = [line for line in lines if line.outcome == InspectionOutcome.SCRAP]
        parts = [f"restocked {_units(restocked, 'quantity_received')}" if restocked else "",
                 f"scrapped {_units(scrapped, 'quantity_received')}" if scrapped else ""]
        _event(rma, actor, f"Return {rma.number} inspected: {'; '.join(p for p in parts if p)}.",
               customer_visible=False, restocked=[line.order_line.sku for line in restocked],
               scrapped=[line.order_line.sku for line in scrapped])
        _email(rma, ReturnEmailKind.INSPECTED)
    return rma


# -- resolution: refund or exchange ----------------------------------------------------


@dataclass(frozen=True)
class RefundSuggestion:
    items: Decimal
    shipping: Decimal

    @property
    def total(self) -> Decimal:
        return self.items + self.shipping


def refund_suggestion(return_request: ReturnRequest) -> RefundSuggestion:
    """The received units at what the customer paid for them; the order's shipping too when the
    reason is the seller's fault and no other return (nor a refund by line) has refunded it."""
    order = return_request.order
    items = sum((line.order_line.line_total * line.quantity_received / line.order_line.quantity
                 for line in return_request.lines.all()), ZERO)
    shipping = ZERO
    if return_request.free_return_shipping:
        shipping = shipping_left_to_refund(order, exclude_return_id=return_request.pk)
    return RefundSuggestion(items=quantize(items, order.currency), shipping=shipping)


def return_refund(*, actor, return_request: ReturnRequest, amount=None, include_shipping: bool = True,
                  reason: str = "") -> ReturnRequest:
    """Pay back the return through the order's payment (a credit note follows if it was invoiced).

    `amount` defaults to the suggestion; a smaller amount is a partial refund. Never more
    than the suggestion, and payments refuses anything beyond what was captured.
    """
    suggestion = refund_suggestion(ReturnRequest.objects.select_related("order").get(pk=return_request.pk))
    shipping = suggestion.shipping if include_shipping else ZERO
    ceiling = suggestion.items + shipping
    if amount is None or amount == "":
        amount = ceiling
    from payments.models import Payment
    from payments.services import clean_amount, payment_refund

    amount = clean_amount(amount, return_request.order.currency)
    if amount > ceiling:
        raise DomainError(f"At most {ceiling} {return_request.order.currency} can be refunded for return "
                          f"{return_request.number}, not {amount}.", code="amount_too_high")
    payment = Payment.objects.filter(order_id=return_request.order_id).first()
    if payment is None or not payment.captured_amount:
        # Nothing was paid yet (account terms, cash on delivery): the invoice is credited instead.
        return _credit_unpaid_invoice(actor=actor, return_request=return_request, amount=amount,
                                      shipping=min(shipping, amount), reason=reason)
    key = _refund_claim(actor=actor, return_request=return_request, amount=amount, shipping=min(shipping, amount))
    rma = ReturnRequest.objects.get(pk=return_request.pk)
    try:
        # The return's own message tells the customer about this refund: one event, one message.
        row = payment_refund(actor=actor, payment=payment, amount=rma.refund_amount, idempotency_key=key,
                             reason=(reason.strip() or f"Return {rma.number}")[:255], notify_customer=False)
    except DomainError:
        _refund_release(return_request, key)
        raise
    return _refund_record(actor=actor, return_request=return_request, row=row, key=key)


def _refund_claim(*, actor, return_request: ReturnRequest, amount: Decimal, shipping: Decimal) -> str:
    """Mark the return as being refunded (under its lock) and return the payment request key.

    A refund already with the gateway is refused, unless the gateway never answered: then the
    same key asks again, and payments makes sure that is never paid twice.
    """
    from payments.enums import TransactionOutcome
    from payments.models import PaymentTransaction

    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "refund", actor)
        if rma.refund_key:
            row = PaymentTransaction.objects.filter(idempotency_key=rma.refund_key).first()
            if row is not None and row.outcome == TransactionOutcome.UNKNOWN:
                return rma.refund_key
            raise DomainError(f"A refund of return {rma.number} is already in progress.", code="in_progress")
        rma.refund_key = f"return-{rma.pk}:refund:{uuid.uuid4().hex[:12]}"
        rma.refund_amount, rma.refund_shipping = amount, shipping
        rma.save(update_fields=["refund_key", "refund_amount", "refund_shipping", "updated_at"])
    return rma.refund_key


def _refund_release(return_request: ReturnRequest, key: str) -> None:
    with transaction.atomic():
        ReturnRequest.objects.filter(pk=return_request.pk, refund_key=key).update(
            refund_key="", refund_amount=ZERO, refund_shipping=ZERO)


def _refund_record(*, actor, return_request: ReturnRequest, row, key: str) -> ReturnRequest:
    from payments.enums import TransactionOutcome

    if row.outcome == TransactionOutcome.FAILED:
        _refund_release(return_request, key)
        raise DomainError(f"The payment gateway refused the refund: {row.error_message or row.error_code}.")
    if row.outcome != TransactionOutcome.SUCCEEDED:
        raise DomainError("The payment gateway did not answer; refund again in a moment (it is never paid twice).",
                          code="in_progress")
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        if rma.status == ReturnStatus.REFUNDED:
            return rma  # recorded by a retry that got the answer first
        _ensure_can(rma, "refund", None)
        rma.refund()
        rma.resolution, rma.resolved_at, rma.refund_transaction = Resolution.REFUND, timezone.now(), row
        rma.save(update_fields=["status", "resolution", "resolved_at", "refund_transaction", "updated_at"])
        shipping = f" (shipping {rma.refund_shipping} included)" if rma.refund_shipping else ""
        _event(rma, actor, f"Return {rma.number} refunded: {rma.refund_amount} {rma.order.currency}{shipping}.",
               amount=str(rma.refund_amount))
        _email(rma, ReturnEmailKind.REFUNDED)
    return rma


def _credit_unpaid_invoice(*, actor, return_request: ReturnRequest, amount: Decimal, shipping: Decimal,
                           reason: str) -> ReturnRequest:
    from payments.enums import InvoiceStatus
    from payments.models import Invoice
    from payments.services import credit_note_issue

    invoice = Invoice.objects.filter(order_id=return_request.order_id).exclude(status=InvoiceStatus.VOID).first()
    if invoice is None:
        raise DomainError(f"Order {return_request.order.number} has nothing paid nor invoiced to refund.")
    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "refund", actor)
        if rma.refund_key:
            raise DomainError(f"A refund of return {rma.number} is already in progress.", code="in_progress")
        note = credit_note_issue(actor=actor, invoice=invoice, amount=amount,
                                 reason=(reason.strip() or f"Return {rma.number}")[:255])
        rma.refund()
        rma.refund_amount, rma.refund_shipping = amount, shipping
        rma.resolution, rma.resolved_at = Resolution.REFUND, timezone.now()
        rma.save(update_fields=["status", "refund_amount", "refund_shipping", "resolution", "resolved_at",
                                "updated_at"])
        _event(rma, actor, f"Return {rma.number} credited: {amount} {rma.order.currency} off invoice "
                           f"{invoice.number} (credit note {note.number}).", amount=str(amount),
               credit_note=note.number)
        _email(rma, ReturnEmailKind.REFUNDED)
    return rma


# The replacement is free: no card to authorize, nothing to collect. Cash on delivery of a zero
# total passes verification without a gateway call and needs no payment before release.
EXCHANGE_PAYMENT_METHOD = "cod"


def return_exchange(*, actor, return_request: ReturnRequest, note: str = "") -> ReturnRequest:
    """Send the received items again as a new order at no charge, linked to the return both ways.

    The replacement is placed through the order services and verified (stock allocated)
    like any order, right after commit.
    """
    from orders.services import LineInput, order_create, order_submit

    with transaction.atomic():
        rma = lock_return(return_request.pk)
        _ensure_can(rma, "exchange", actor)
        order = rma.order
        lines = [line for line in rma.lines.select_related("order_line__product").order_by("pk")
                 if line.quantity_received]
        try:
            replacement = order_create(
                actor=actor, customer=order.customer, channel=order.channel, priority=order.priority,
                lines=[LineInput(product=line.order_line.product, quantity=line.quantity_received, unit_price=ZERO)
                       for line in lines],
                shipping_address=order.shipping_address, billing_address=order.billing_address,
                payment_method=EXCHANGE_PAYMENT_METHOD, currency=order.currency, shipping_total=ZERO,
                customer_note=f"Replacement for return {rma.number} (order {order.number}).",
                internal_note=note.strip(),
            )
        except ValidationError as exc:
            raise DomainError(" ".join(m for messages in exc.message_dict.values() for m in messages)) from None
        # The return's permission covers placing its replacement: staff who may exchange need not
        # be allowed to submit orders in general.
        replacement = order_submit(actor=None, order=replacement)
        rma.exchange()
        rma.resolution, rma.resolved_at, rma.replacement_order = Resolution.EXCHANGE, timezone.now(), replacement
        rma.save(update_fields=["status", "resolution", "resolved_at", "replacement_order", "updated_at"])
        _event(rma, actor, f"Return {rma.number} exchanged: replacement order {replacement.number} placed at no "
                           "charge.", replacement=replacement.number)
        _event(rma, actor, f"Replacement for return {rma.number} of order {order.number}.", order=replacement,
               original=order.number)
        _email(rma, ReturnEmailKind.EXCHANGED)
    return rma


def return_close(*, actor, return_request: ReturnRequest, note: str = "") -> ReturnRequest:
    return _move_and_stamp(actor=actor, return_request=return_request, name="close", stamp="closed_at",
                           message="Return {number} closed.", note=note, email=ReturnEmailKind.CLOSED,
                           customer_visible=False)


# -- refund by line --------------------------------------------------------------------

# Refunding by line is refunding money: the permission that guards refunds by amount.
REFUND_PERMISSION = "payments.refund_payment"


@dataclass(frozen=True)
class RefundLineInput:
    order_line_id: int
    quantity: int
    restock: bool = False


@dataclass(frozen=True)
class PlannedRefundLine:
    order_line: OrderLine
    quantity: int
    restock: bool
    amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class RefundPlan:
    """A refund by line worked out against the order as it is: the amounts come from the order's
    prices, never from what was typed."""

    lines: tuple[PlannedRefundLine, ...]
    shipping: Decimal
    currency: str

    @property
    def items(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.items + self.shipping


def _clean_refund_lines(lines: list[RefundLineInput]) -> list[RefundLineInput]:
    for line in lines:
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 0:
            raise DomainError("Quantities are whole numbers, 0 or more.")
    lines = [line for line in lines if line.quantity]
    if not lines:
        raise DomainError("Choose at least one unit to refund.")
    if len({line.order_line_id for line in lines}) < len(lines):
        raise DomainError("Each order line can appear once in a refund.")
    return lines


def _plan_refund(order: Order, order_lines: list[OrderLine], lines: list[RefundLineInput],
                 refund_shipping: bool) -> RefundPlan:
    """Check the units asked for against what is left and price them; nothing is saved."""
    lines = _clean_refund_lines(lines)
    by_id = {line.pk: line for line in order_lines}
    for line in lines:
        if line.order_line_id not in by_id:
            raise DomainError(f"Line {line.order_line_id} is not part of order {order.number}.")
    left = refundable_quantities(order, order_lines)
    settled = units_settled(by_id)
    restockable = returnable_quantities(order_lines)
    planned = []
    for line in lines:
        order_line = by_id[line.order_line_id]
        if line.quantity > left[order_line.pk]:
            raise DomainError(
                f"{order_line.sku}: at most {left[order_line.pk]} can be refunded ({order_line.quantity} ordered, "
                f"{order_line.quantity_shipped} shipped, {settled[order_line.pk]} refunded or in returns), "
                f"not {line.quantity}.", code="quantity_too_high")
        if line.restock and line.quantity > restockable[order_line.pk]:
            raise DomainError(
                f"{order_line.sku}: only {restockable[order_line.pk]} shipped unit(s) can come back into stock, not "
                f"{line.quantity}; a unit that never shipped (or came back already) has nothing to restock.",
                code="nothing_to_restock")
        before = units_of_line(order_line, settled[order_line.pk], order.currency)
        after = units_of_line(order_line, settled[order_line.pk] + line.quantity, order.currency)
        planned.append(PlannedRefundLine(order_line, line.quantity, line.restock, after.total - before.total,
                                         after.tax - before.tax))
    shipping = ZERO
    if refund_shipping:
        shipping = shipping_left_to_refund(order)
        if not shipping:
            raise DomainError(f"The shipping of order {order.number} was refunded already (or cost nothing).")
    plan = RefundPlan(lines=tuple(planned), shipping=shipping, currency=order.currency)
    if plan.total <= 0:
        raise DomainError("These units cost the customer nothing; there is no money to refund.")
    return plan


def _refuse_beyond_payment(order: Order, payment: Payment | None, plan: RefundPlan | None = None) -> None:
    if payment is None or not payment.captured_amount:
        raise DomainError(f"Nothing of order {order.number} was paid; there is no money to refund.")
    if plan is not None and plan.total > payment.refundable:
        raise DomainError(f"{plan.total} {plan.currency} is more than the {payment.refundable} {payment.currency} "
                          "left to refund on the payment.", code="amount_too_high")


def refund_preview(*, order: Order, lines: list[RefundLineInput], refund_shipping: bool = False) -> RefundPlan:
    """What `refund_issue` would refund, worked out and checked, with nothing saved."""
    plan = _plan_refund(order, list(order.lines.select_related("product").order_by("position", "pk")), lines,
                        refund_shipping)
    _refuse_beyond_payment(order, Payment.objects.filter(order_id=order.pk).first(), plan)
    return plan


def refund_issue(*, actor, order: Order, lines: list[RefundLineInput], refund_shipping: bool = False,
                 reason: str = "", request_key: str, expected_total: Decimal | None = None) -> Refund:
    """Refund units of the order's lines (and its shipping, if chosen) at what the customer paid.

    As every money movement here, in three steps: one transaction locks the order, its payment
    and its lines, checks what is left (a refusal changes nothing), records the refund and its
    lines and counts the units that came back as returned; the payment's one refund path pays
    it with no lock held (gateway, idempotency key, credit note, the customer's e-mail); one
    transaction then puts those units back in stock through the ledger and writes the timeline
    event, or, if the gateway refused, gives the units back. The form's `request_key` makes a
    double submit the same refund; a refund the gateway has not answered stays pending and is
    finished by `refund_settle` (a retry, or the sweep). `expected_total` is the amount the
    person confirmed: if the refund now comes to another one, it is refused.
    """
    request_key = (request_key or "").strip()
    if not request_key or len(request_key) > 80:
        raise DomainError("The form's request key is missing or broken; open the form again.")
    if actor is not None and not actor.has_perm(REFUND_PERMISSION):
        raise NotPermitted("You are not allowed to refund payments.")
    refund = _line_refund_claim(actor=actor, order=order, lines=lines, refund_shipping=refund_shipping,
                                reason=reason.strip(), request_key=request_key, expected_total=expected_total)
    if refund.status != RefundStatus.PENDING:
        return refund  # the same form again: done before, nothing more happens
    return refund_settle(actor=actor, refund=refund)


def _line_refund_claim(*, actor, order: Order, lines: list[RefundLineInput], refund_shipping: bool, reason: str,
                       request_key: str, expected_total: Decimal | None) -> Refund:
    with transaction.atomic():
        locked = lock_order(order.pk)
        existing = Refund.objects.filter(request_key=request_key).first()
        if existing is not None:
            if existing.order_id != locked.pk:
                raise DomainError("That form was used for another order; open it again.",
                                  code="idempotency_conflict")
            return existing
        payment = Payment.objects.filter(order_id=locked.pk).first()
        _refuse_beyond_payment(locked, payment)
        payment = lock_payment(payment.pk)
        plan = _plan_refund(locked, lock_order_lines(locked.pk), lines, refund_shipping)
        _refuse_beyond_payment(locked, payment, plan)
        if expected_total is not None and plan.total != expected_total:
            raise DomainError(f"The refund now comes to {plan.total} {plan.currency}, not the {expected_total} shown; "
                              "check the amounts and confirm again.", code="amount_changed")
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    number=f"RF-{sequence_next(name='refund'):06d}", order=locked, currency=plan.currency,
                    amount=plan.total, shipping_amount=plan.shipping, reason=reason[:255], request_key=request_key,
                    created_by=user_or_none(actor))
        except IntegrityError:  # the same key, at the same moment, on another order
            raise DomainError("That form was used for another order; open it again.",
                              code="idempotency_conflict") from None
        RefundLine.objects.bulk_create([
            RefundLine(refund=refund, order_line=line.order_line, quantity=line.quantity, amount=line.amount,
                       tax_amount=line.tax_amount, restock=line.restock)
            for line in plan.lines
        ])
        for line in plan.lines:
            if line.restock:  # back with us: no return can claim these units any more
                OrderLine.objects.filter(pk=line.order_line.pk).update(
                    quantity_returned=F("quantity_returned") + line.quantity)
    return refund


def refund_settle(*, actor, refund: Refund) -> Refund:
    """Pay a pending refund by line through the payment and record how it ended; safe to run
    again (the payment's key asks the gateway once). Still pending while the gateway has not
    answered."""
    payment = Payment.objects.get(order_id=refund.order_id)
    try:
        row = payment_refund(actor=actor, payment=payment, amount=refund.amount, idempotency_key=refund.payment_key,
                             reason=(refund.reason or f"Refund {refund.number}")[:255])
    except DomainError as exc:
        if exc.code == "in_progress":
            return Refund.objects.get(pk=refund.pk)
        return _line_refund_close(actor=actor, refund=refund, failure=exc.message)
    if row.outcome == TransactionOutcome.SUCCEEDED:
        return _line_refund_close(actor=actor, refund=refund, row=row)
    if row.outcome == TransactionOutcome.FAILED:
        return _line_refund_close(actor=actor, refund=refund, row=row,
                                  failure=row.error_message or row.error_code or "declined")
    return Refund.objects.get(pk=refund.pk)


def _line_refund_close(*, actor, refund: Refund, row=None, failure: str = "") -> Refund:
    """Refunded: restock what came back and write the timeline event. Refused: give the units back."""
    with transaction.atomic():
        lock_order(refund.order_id)
        locked = lock_refund(refund.pk)
        if locked.status != RefundStatus.PENDING:
            return locked  # finished by a retry or the sweep first
        lines = list(locked.lines.select_related("order_line__product"))
        locked.completed_at = timezone.now()
        if failure:
            for line in lines:
                if line.restock:
                    OrderLine.objects.filter(pk=line.order_line_id, quantity_returned__gte=line.quantity).update(
                        quantity_returned=F("quantity_returned") - line.quantity)
            locked.fail()
            locked.failure_message, locked.transaction = failure[:255], row
            locked.save(update_fields=["status", "failure_message", "transaction", "completed_at"])
            return locked
        for line in lines:
            if line.restock:
                restock_refunded_units(actor=actor, refund=locked, line=line)
        locked.succeed()
        locked.transaction = row
        locked.save(update_fields=["status", "transaction", "completed_at"])
        _line_refund_event(locked, lines, actor)
    return locked


def _line_refund_event(refund: Refund, lines: list[RefundLine], actor) -> None:
    from orders.services import order_event_record

    units = ", ".join(f"{line.quantity} × {line.order_line.sku}" + (" (back in stock)" if line.restock else "")
                      for line in lines)
    shipping = f", shipping {refund.shipping_amount}" if refund.shipping_amount else ""
    reason = f" Reason: {refund.reason}" if refund.reason else ""
    order_event_record(
        order=refund.order, type=OrderEventType.PAYMENT, actor=actor,
        message=f"Refund {refund.number} by line: {units}{shipping}; {refund.amount} {refund.currency}.{reason}",
        data={"refund": refund.number, "amount": str(refund.amount), "shipping": str(refund.shipping_amount),
              "lines": [{"sku": line.order_line.sku, "quantity": line.quantity, "amount": str(line.amount),
                         "restock": line.restock} for line in lines]})
