"""Return screens: staff (list, detail with actions, a return from the order page) and the
customer's pages under the order's tracking link (file a return, follow it, print the label)."""

from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from oms.decorators import staff_required
from oms.customer_pages import customer_page
from oms.exceptions import DomainError, NotPermitted
from oms.fsm import offered_transitions
from oms.exports import CHUNK, export_response, path_columns
from orders.models import Order
from orders.selectors import order_for_customer
from payments.selectors import order_payment
from returns import forms, selectors, services
from returns.documents import return_label_pdf
from returns.enums import RefundStatus, ReturnSource, ReturnStatus
from returns.models import Refund, ReturnRequest
from returns.policy import shipping_left_to_refund, window_days, window_ends_at

PAGE_SIZE = 50
# A label is printed once the return is approved, and no longer once it is refused or withdrawn.
LABEL_STATUSES = {ReturnStatus.APPROVED, ReturnStatus.ITEMS_RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.REFUNDED,
                  ReturnStatus.EXCHANGED, ReturnStatus.CLOSED}


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


# -- staff ----------------------------------------------------------------------------


def _filtered_returns(request):
    form = forms.ReturnFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    return form, selectors.return_list(status="" if status == "open" else status, open_only=status == "open",
                                       reason=filters.get("reason", ""), query=filters.get("q", ""),
                                       older_than_days=filters.get("older_than_days"))


RETURN_COLUMNS = path_columns("number", "order__number", "order__customer__name", "status", "source", "resolution",
                              "free_return_shipping", "refund_amount", "refund_shipping", "created_at",
                              "approved_at", "received_at", "inspected_at", "resolved_at")


@staff_required("returns.view_returnrequest")
def return_export(request, fmt: str):
    """Every return the list's filter matches, as CSV or XLSX."""
    _, returns = _filtered_returns(request)
    return export_response(fmt, returns.select_related("order__customer").iterator(chunk_size=CHUNK),
                           RETURN_COLUMNS, "returns", title="Returns")


@staff_required("returns.view_returnrequest")
def return_list(request):
    form, returns = _filtered_returns(request)
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "returns/returnrequest_list.html", {"form": form, "page": page})


@dataclass(frozen=True)
class ReturnAction:
    """A button on the return page, shown when django-fsm offers its transition to the user."""

    name: str
    label: str
    style: str
    form: Callable  # (rma, data=None) -> bound or unbound form
    run: Callable  # (request, rma, form) -> message
    confirm: str = ""


def _lines(rma):
    return list(rma.lines.all())


def _one_field(service, field: str, done: str):
    """The run of an action whose form has one field (the staff note or the reason), passed on by name."""

    def run(request, rma, form) -> str:
        service(actor=request.user, return_request=rma, **{field: form.cleaned_data[field]})
        return done.format(number=rma.number)

    return run


def _receive(request, rma, form) -> str:
    services.return_receive(actor=request.user, return_request=rma, quantities=form.quantities())
    return f"Items of return {rma.number} received."


def _inspect(request, rma, form) -> str:
    services.return_inspect(actor=request.user, return_request=rma, decisions=form.decisions())
    return f"Return {rma.number} inspected."


def _refund(request, rma, form) -> str:
    data = form.cleaned_data
    rma = services.return_refund(actor=request.user, return_request=rma, amount=data["amount"],
                                 include_shipping=data["include_shipping"], reason=data["reason"])
    return f"Refunded {rma.refund_amount} {rma.order.currency} for return {rma.number}."


def _exchange(request, rma, form) -> str:
    rma = services.return_exchange(actor=request.user, return_request=rma, note=form.cleaned_data["note"])
    return f"Replacement order {rma.replacement_order.number} placed at no charge."


def _form(form_class, prefix: str, **kwargs):
    return lambda rma, data=None: form_class(data, prefix=prefix, **kwargs)


def _lines_form(form_class, prefix: str):
    return lambda rma, data=None: form_class(data, prefix=prefix, lines=_lines(rma))


ACTIONS = {action.name: action for action in [
    ReturnAction("approve", "Approve", "success", _form(forms.NoteForm, "approve"),
                 _one_field(services.return_approve, "note", "Return {number} approved; the customer gets the label."),
                 confirm="Approve this return and e-mail the label?"),
    ReturnAction("reject", "Reject", "outline-danger", _form(forms.ReasonForm, "reject"),
                 _one_field(services.return_reject, "reason", "Return {number} rejected.")),
    ReturnAction("receive", "Confirm receipt", "primary", _lines_form(forms.ReceiveForm, "receive"), _receive),
    ReturnAction("inspect", "Record inspection", "primary", _lines_form(forms.InspectForm, "inspect"), _inspect),
    ReturnAction("refund", "Refund", "success", _form(forms.RefundForm, "refund"), _refund,
                 confirm="Refund this return to the customer's payment?"),
    ReturnAction("exchange", "Exchange", "outline-success", _form(forms.NoteForm, "exchange"), _exchange,
                 confirm="Send the items again as a free replacement order?"),
    ReturnAction("close", "Close", "outline-secondary", _form(forms.NoteForm, "close"),
                 _one_field(services.return_close, "note", "Return {number} closed.")),
    ReturnAction("cancel", "Cancel return", "outline-danger", _form(forms.ReasonForm, "cancel"),
                 _one_field(services.return_cancel, "reason", "Return {number} cancelled.")),
]}


@staff_required("returns.view_returnrequest")
def return_detail(request, number: str):
    try:
        rma = selectors.return_detail(number=number)
    except ReturnRequest.DoesNotExist:
        raise Http404("No such return") from None
    offered = offered_transitions(rma, request.user)
    actions = [(action, action.form(rma)) for action in ACTIONS.values() if action.name in offered]
    return render(request, "returns/returnrequest_detail.html", {
        "rma": rma,
        "order": rma.order,
        "lines": rma.lines.all(),
        "actions": actions,
        "scan_form": forms.ScanForm() if "receive" in offered else None,
        "suggestion": services.refund_suggestion(rma) if rma.status == ReturnStatus.INSPECTED else None,
        "events": selectors.return_events(rma),
    })


@require_POST
@staff_required("returns.view_returnrequest")
def return_action(request, number: str, action: str):
    rma = get_object_or_404(ReturnRequest.objects.select_related("order"), number=number)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    form = spec.form(rma, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(rma)
    try:
        messages.success(request, spec.run(request, rma, form))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(rma)


@require_POST
@staff_required("returns.receive_return")
def return_scan(request, number: str):
    rma = get_object_or_404(ReturnRequest, number=number)
    form = forms.ScanForm(request.POST)
    if form.is_valid():
        try:
            line = services.return_scan_item(actor=request.user, return_request=rma, code=form.cleaned_data["code"])
            messages.success(request, f"{line.order_line.sku}: {line.quantity_received} of {line.quantity} scanned.")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return redirect(rma)


@staff_required("returns.add_returnrequest")
def return_create(request, order_number: str):
    """A return taken by staff (phone, e-mail) from the order page."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=order_number)
    returnable = selectors.returnable_lines(order)
    form = forms.ReturnRequestForm(request.POST or None, returnable=returnable, staff=True)
    if request.method == "POST" and form.is_valid():
        try:
            rma = services.return_request_create(
                actor=request.user, order=order, lines=form.line_inputs(), source=ReturnSource.STAFF,
                note=form.cleaned_data["note"], override_note=form.cleaned_data["override_note"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Return {rma.number} opened.")
            return redirect(rma)
    return render(request, "returns/returnrequest_form.html", {"order": order, "form": form, "staff": True})


@staff_required(services.REFUND_PERMISSION)
def refund_create(request, order_number: str):
    """Refund by line: the units chosen come back first as a preview of the amounts (priced here,
    never typed), then, confirmed, as the refund. Bad input answers 400 with the form's errors."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=order_number)
    form = forms.RefundByLineForm(request.POST or None, order=order, refundable=selectors.refundable_lines(order),
                                  shipping=shipping_left_to_refund(order))
    plan, error = None, ""
    if request.method == "POST" and form.is_valid():
        data, lines = form.cleaned_data, form.line_inputs()
        shipping = data.get("refund_shipping", False)
        try:
            if "confirm" in request.POST:
                refund = services.refund_issue(
                    actor=request.user, order=order, lines=lines, refund_shipping=shipping, reason=data["reason"],
                    request_key=data["request_key"], expected_total=data["previewed_total"])
                _report_refund(request, refund)
                return redirect(order)
            plan = services.refund_preview(order=order, lines=lines, refund_shipping=shipping)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            error = exc.message
            if exc.code == "amount_changed":
                plan = services.refund_preview(order=order, lines=lines, refund_shipping=shipping)
    return render(request, "returns/refund_form.html", {
        "order": order, "form": form, "plan": plan, "error": error,
        "payment": order_payment(order),
        "refunds": selectors.refunds_for_order(order),
    }, status=400 if request.method == "POST" and (form.errors or error) else 200)


def _report_refund(request, refund: Refund) -> None:
    if refund.status == RefundStatus.SUCCEEDED:
        messages.success(request, f"Refund {refund.number}: {refund.amount} {refund.currency} refunded.")
    elif refund.status == RefundStatus.FAILED:
        messages.error(request, f"Refund {refund.number} was refused: {refund.failure_message}")
    else:
        messages.warning(request, f"Refund {refund.number} ({refund.amount} {refund.currency}) is with the payment "
                                  "gateway, which has not answered yet; it is finished as soon as it does, and never "
                                  "paid twice.")


@staff_required("returns.view_returnrequest")
def return_label(request, number: str):
    rma = get_object_or_404(ReturnRequest.objects.select_related("order"), number=number)
    return _label_response(rma)


def _label_response(rma: ReturnRequest) -> HttpResponse:
    if rma.status not in LABEL_STATUSES:
        raise Http404("The return is not approved")
    response = HttpResponse(return_label_pdf(rma), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{rma.number}-label.pdf"'
    return response


# -- the customer, through the order's tracking link ----------------------------------


def _order_for_customer(token: str) -> Order:
    order = order_for_customer(token)
    if order is None:
        raise Http404("No such order")
    return order


@customer_page
def customer_return_create(request, token: str):
    order = _order_for_customer(token)
    returnable = selectors.returnable_lines(order)
    form = forms.ReturnRequestForm(request.POST or None, returnable=returnable)
    if request.method == "POST" and form.is_valid():
        try:
            rma = services.return_request_create(actor=None, order=order, lines=form.line_inputs(),
                                                 source=ReturnSource.CUSTOMER)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Thank you: your return {rma.number} is registered. We e-mailed you the "
                                      "details and send the return label once it is approved.")
            return redirect("returns:customer_return_detail", token=token, number=rma.number)
    return render(request, "returns/customer_return_form.html", {
        "order": order, "form": form, "returns": selectors.returns_for_order(order),
        "window_days": window_days(), "window_ends": window_ends_at(order)})


def _customer_return(token: str, number: str) -> ReturnRequest:
    """The return `number` of the order whose tracking link carries `token`; 404 for any other."""
    rma = selectors.return_for_customer(tracking_token=token, number=number)
    if rma is None:
        raise Http404("No such return")
    return rma


@customer_page
def customer_return_detail(request, token: str, number: str):
    rma = _customer_return(token, number)
    return render(request, "returns/customer_return_detail.html", {
        "rma": rma, "order": rma.order, "lines": rma.lines.all(), "label": rma.status in LABEL_STATUSES,
        "events": selectors.return_events(rma, customer_only=True)})


@customer_page
def customer_return_label(request, token: str, number: str):
    rma = _customer_return(token, number)
    return _label_response(rma)


@require_POST
@customer_page
def customer_return_cancel(request, token: str, number: str):
    """The customer withdraws a return they no longer want to send (before the items are on their way)."""
    rma = _customer_return(token, number)
    try:
        services.return_cancel(actor=None, return_request=rma, reason="Withdrawn by the customer.")
        messages.success(request, f"Your return {rma.number} is cancelled.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("returns:customer_return_detail", token=token, number=number)
