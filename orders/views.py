from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, SingleTableMixin

from inventory.models import Product
from oms.decorators import staff_required
from oms.exceptions import DomainError, NotPermitted
from oms.exports import export_response
from orders import forms as order_forms
from orders import bulk, saved_views, selectors, services
from orders import exports as order_exports
from orders.enums import CHANGEABLE_STATUSES, BulkJobStatus, OrderStatus, Priority
from orders.filters import OrderFilter
from orders.models import BulkJob, Customer, ImportJob, Order
from orders.pricing import entry_quote
from orders.tables import OPTIONAL_COLUMNS, OrderTable
from payments.selectors import payment_statuses_for
from payments.services import payment_card_tokenize


# -- dashboard and list ---------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    counts = selectors.order_status_tally()
    late = selectors.orders_late()
    return render(request, "orders/dashboard.html", {
        "counts": [(status, label, counts[status]) for status, label in OrderStatus.choices],
        "sales": selectors.sales_figures(),
        "on_hold": list(selectors.orders_on_hold()[:10]),
        "on_hold_count": counts[OrderStatus.ON_HOLD],
        "late": list(late[:10]),
        "late_count": selectors.order_count(late),
    })


class OrderListView(LoginRequiredMixin, PermissionRequiredMixin, SingleTableMixin, FilterView):
    permission_required = "orders.view_order"
    model = Order
    table_class = OrderTable
    filterset_class = OrderFilter
    template_name = "orders/order_list.html"
    # No COUNT(*) over a million orders: the paginator only asks whether a next page exists.
    paginator_class = LazyPaginator
    table_pagination = {"per_page": 50}
    strict = False

    def get_queryset(self):
        return Order.objects.for_list().prefetch_related("tags")

    def get(self, request, *args, **kwargs):
        # A page number that is not one (or past any real page: an OFFSET beyond bigint fails in
        # the database) is sent to the first page rather than answered with an error.
        page = request.GET.get("page")
        if page is not None and not (page.isdecimal() and page.isascii() and 1 <= int(page) <= MAX_LIST_PAGE):
            params = request.GET.copy()
            params["page"] = "1"
            return redirect(f"{request.path}?{params.urlencode()}")
        self.saved_view = saved_views.saved_view_visible(request.user, request.GET.get("view"))
        return super().get(request, *args, **kwargs)

    def get_table_kwargs(self):
        columns = self.saved_view.columns if self.saved_view else OPTIONAL_COLUMNS
        return {"exclude": [c for c in OPTIONAL_COLUMNS if c not in columns]}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        rows = [row.record for row in table.page.object_list] if hasattr(table, "page") else []
        if "payment_status" not in table.exclude:
            table.payment_statuses = payment_statuses_for(rows)
        if "fulfillment_status" not in table.exclude:
            table.fulfillment_statuses = selectors.fulfillment_statuses_for(rows)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["bulk_actions"] = bulk.actions_for(self.request.user)
        context["priorities"] = Priority.choices
        context["count"] = selectors.order_count(context["filter"].qs)
        context["saved_views"] = saved_views.saved_views_for(self.request.user)
        context["current_view"] = self.saved_view
        shown = self.saved_view.columns if self.saved_view else OPTIONAL_COLUMNS
        headers = OrderTable(Order.objects.none()).columns
        context["column_choices"] = [(name, headers[name].header, name in shown) for name in OPTIONAL_COLUMNS]
        context["share_roles"] = (Group.objects.order_by("name") if self.request.user.is_superuser
                                  else self.request.user.groups.order_by("name"))
        return context

    def get_template_names(self):
        if self.request.htmx:
            return ["orders/partials/order_table.html"]
        return [self.template_name]


# -- many orders at once ---------------------------------------------------------------


def _bulk_selection(request: HttpRequest) -> list[int]:
    """The orders a bulk form names: the ticked rows, or everything its filter matches."""
    if request.POST.get("scope") == "filter":
        matching = OrderFilter(QueryDict(request.POST.get("query", "")), queryset=Order.objects.all()).qs
        return list(matching.order_by().values_list("pk", flat=True)[:bulk.MAX_BULK_ORDERS + 1])
    numbers = [n for n in request.POST.getlist("orders") if n and "\x00" not in n][:bulk.MAX_BULK_ORDERS + 1]
    return list(Order.objects.filter(number__in=numbers).values_list("pk", flat=True))


@staff_required("orders.view_order")
def order_jump(request: HttpRequest) -> HttpResponse:
    """The navigation bar's "go to order": the order with that number, else the list searched for it."""
    number = " ".join(request.GET.get("number", "").split())[:40]
    order = Order.objects.filter(number__iexact=number).only("number").first() if number else None
    if order is not None:
        return redirect(order)
    return redirect(f"{reverse('orders:order_list')}?q={quote(number)}" if number else reverse("orders:order_list"))


@require_POST
@staff_required("orders.view_order")
def order_bulk(request: HttpRequest) -> HttpResponse:
    back = f"{reverse('orders:order_list')}?{request.POST.get('query', '')}"
    action = request.POST.get("action", "")
    try:
        ids = _bulk_selection(request)
        if action in bulk.ACTIONS and bulk.ACTIONS[action].prints:
            orders = list(Order.objects.filter(pk__in=ids[:bulk.MAX_PRINT_ORDERS + 1]).order_by("pk"))
            pdf = bulk.bulk_print(actor=request.user, action=action, orders=orders)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{action}.pdf"'
            return response
        job = bulk.bulk_job_create(actor=request.user, action=action, order_ids=ids,
                                   params={"message": request.POST.get("message", ""),
                                           "priority": request.POST.get("priority", ""),
                                           "tag": request.POST.get("tag", "")})
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(job)


@staff_required("orders.view_order")
def order_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every order line the list's filter matches (not only the page), as CSV or XLSX."""
    orders = OrderFilter(request.GET, queryset=Order.objects.all()).qs
    return export_response(fmt, order_exports.order_export_rows(orders), order_exports.ORDER_COLUMNS, "orders",
                           title="Orders")


@require_POST
@staff_required("orders.view_order")
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the list on screen (its filter, the ticked columns and its sort) as a tab."""
    params = QueryDict(request.POST.get("query", ""))
    back = f"{reverse('orders:order_list')}?{params.urlencode()}"
    group_id = request.POST.get("shared_with", "")
    shared_with = None
    if group_id:
        shared_with = Group.objects.filter(pk=int(group_id)).first() if group_id.isdecimal() and len(group_id) < 10 \
            else None
        if shared_with is None:
            messages.error(request, "That role does not exist.")
            return redirect(back)
    try:
        view = saved_views.saved_view_save(actor=request.user, name=request.POST.get("name", ""), params=params,
                                           columns=request.POST.getlist("columns"), sort=params.get("sort", ""),
                                           shared_with=shared_with)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, f"Saved the view “{view.name}”"
                     + (f", shared with {shared_with.name}." if shared_with else " (only you see it)."))
    return redirect(view)


@require_POST
@staff_required("orders.view_order")
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = saved_views.saved_views_for(request.user).filter(pk=pk).first()
    if view is None:
        messages.info(request, "That view is already gone.")
        return redirect("orders:order_list")
    try:
        saved_views.saved_view_delete(actor=request.user, view=view)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("orders:order_list")


def _own_job(request: HttpRequest, jobs, pk: int):
    """A worker job's page is for the one who started it (and superusers); to anyone else there is no such job."""
    job = get_object_or_404(jobs.select_related("created_by"), pk=pk)
    if job.created_by_id != request.user.pk and not request.user.is_superuser:
        raise Http404("No such job.")
    return job


def _job_page(request: HttpRequest, kind: str, context: dict) -> HttpResponse:
    """The page of a `kind` ("bulk", "import") of job, or (polled by htmx) only its progress part."""
    template = f"orders/partials/{kind}_job_progress.html" if request.htmx else f"orders/{kind}_job.html"
    return render(request, template, {**context, "kind": kind})


@staff_required("orders.view_order")
def bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, BulkJob.objects.all(), pk)
    return _job_page(request, "bulk", {
        "job": job, "action": bulk.ACTIONS.get(job.action),
        "results": job.results.select_related("order")[:1000] if job.status == BulkJobStatus.DONE else []})


# -- detail and transitions -----------------------------------------------------------


MAX_LIST_PAGE = 100_000


def _query_text(request: HttpRequest, name: str) -> str:
    """A text query parameter, without the NUL characters PostgreSQL cannot compare."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:200]


@dataclass(frozen=True)
class OrderAction:
    """A button on the order page: the transition it takes, and the service that takes it.

    The service is called as `service(actor=user, order=order, **form.cleaned_data)`.
    """

    transition: str
    label: str
    style: str
    service: Callable[..., Order]
    form: type[forms.Form] | None = None
    confirm: str = ""
    done: str = ""

    def run(self, user, order: Order, data: dict) -> Order:
        return self.service(actor=user, order=order, **data)


def _verified_message(order: Order) -> str:
    if order.status == OrderStatus.ON_HOLD:
        return f"Order {order.number} is on hold: {order.get_hold_reason_display()}."
    return f"Order {order.number} is {order.get_status_display().lower()}."


ORDER_ACTIONS: dict[str, OrderAction] = {a.transition: a for a in [
    OrderAction("submit", "Submit", "primary", services.order_submit,
                confirm="Submit this order? It is verified right away.", done="Order {number} submitted."),
    OrderAction("verify", "Verify", "primary", services.order_verify, confirm="Run the verification checks now?"),
    OrderAction("allocate", "Confirm (stock allocated)", "primary", services.order_allocate_backorder,
                confirm="Confirm this backorder now that its stock is allocated?"),
    OrderAction("release", "Release to warehouse", "primary", services.order_release_to_fulfillment,
                confirm="Release this order to the warehouse?"),
    # Shipping and delivery happen on fulfillment's screens (the order page's fulfillment panel).
    OrderAction("complete", "Complete", "success", services.order_complete,
                confirm="Close this order as completed?"),
    OrderAction("release_hold", "Release hold", "warning", services.order_release_hold,
                form=order_forms.ReleaseHoldForm),
    OrderAction("hold", "Put on hold", "outline-warning", services.order_hold, form=order_forms.HoldForm),
    OrderAction("cancel", "Cancel order", "outline-danger", services.order_cancel, form=order_forms.CancelForm),
]}


def available_actions(order: Order, user) -> list[OrderAction]:
    allowed = {t.name for t in order.get_available_user_status_transitions(user)}
    return [action for name, action in ORDER_ACTIONS.items() if name in allowed]


@staff_required("orders.view_order")
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.order_detail(number=number)
    except Order.DoesNotExist:
        raise Http404("No such order") from None
    actions = available_actions(order, request.user)
    return render(request, "orders/order_detail.html", {
        "order": order,
        "lines": order.lines.all(),
        "events": order.events.all(),
        "holds": order.holds.all(),
        "active_holds": [h for h in order.holds.all() if h.released_at is None],
        "actions": [(a, a.form(prefix=a.transition) if a.form else None) for a in actions],
        "note_form": order_forms.NoteForm(),
        "can_edit": order.is_editable and request.user.has_perm("orders.change_order"),
        "can_change": order.status in CHANGEABLE_STATUSES and request.user.has_perm("orders.change_order"),
        "can_release": any(action.transition == "release_hold" for action in actions),
        "declined_payment": _declined_payment(order),
    })


def _declined_payment(order: Order):
    """The payment a held order's "Enter a new card" opens, when a declined payment holds it."""
    from orders.enums import HoldReason

    if order.hold_reason != HoldReason.PAYMENT_DECLINED:
        return None
    return order.payments.first()


@require_POST
@staff_required("orders.view_order")
def order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    spec = ORDER_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    data = {}
    if spec.form is not None:
        form = spec.form(request.POST, prefix=spec.transition)
        if not form.is_valid():
            errors = "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
            messages.error(request, f"{spec.label}: {errors}")
            return redirect(order)
        data = form.cleaned_data
    try:
        order = spec.run(request.user, order, data)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(order)
    order.refresh_from_db()
    if spec.done:
        messages.success(request, spec.done.format(number=order.number))
    else:
        messages.success(request, _verified_message(order))
    return redirect(order)


@require_POST
@staff_required("orders.view_order")
def order_note(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    form = order_forms.NoteForm(request.POST)
    if form.is_valid() and form.cleaned_data["customer_visible"] and not request.user.has_perm("orders.change_order"):
        raise PermissionDenied("Only staff who may change orders write to the customer.")
    if form.is_valid():
        services.order_note_add(actor=request.user, order=order, message=form.cleaned_data["message"],
                                customer_visible=form.cleaned_data["customer_visible"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note needs some text.")
    return redirect(order)


# -- staff order entry ----------------------------------------------------------------


def _entry_forms(request: HttpRequest, *, order: Order | None = None):
    data = request.POST if request.method == "POST" else None
    if order is None:
        # "New order for this customer" (the customer page): that customer, shipped to their default address.
        customer = selectors.customer_for_entry(pk=_query_text(request, "customer")) if data is None else None
        address = customer.default_address if customer else None
        header = order_forms.OrderEntryForm(data, initial={"customer": customer.pk} if customer else None)
        shipping = order_forms.AddressForm(data, prefix="ship",
                                           initial=address.snapshot().as_dict() if address else None)
        lines = order_forms.OrderLineFormSet(data, prefix="lines")
    else:
        header = order_forms.OrderEntryForm(data, allow_new_customer=False, initial={
            "customer": order.customer_id, "channel": order.channel, "priority": order.priority,
            "payment_method": order.payment_method, "shipping_total": order.shipping_total,
            "customer_note": order.customer_note, "internal_note": order.internal_note,
        })
        shipping = order_forms.AddressForm(data, prefix="ship", initial=order.shipping_address.as_dict())
        lines = order_forms.OrderLineFormSet(data, prefix="lines", initial=[
            {"code": line.sku, "quantity": line.quantity, "unit_price": line.unit_price,
             "discount": line.discount_amount or None}
            for line in order.lines.all()
        ])
    return header, shipping, lines


def _entry_saved(request: HttpRequest, order: Order, *, submit: bool) -> HttpResponse:
    order.refresh_from_db()  # verification may already have run after the commit
    if submit:
        messages.success(request, f"Order {order.number} submitted. " + _verified_message(order))
    else:
        messages.success(request, f"Draft {order.number} saved.")
    return redirect(order)


def _chosen_customer(header) -> Customer | None:
    value = header["customer"].value()
    return Customer.objects.filter(pk=value).first() if str(value or "").isdecimal() else None


def _render_entry(request, header, shipping, lines, order=None, status=200):
    return render(request, "orders/order_form.html", {
        "form": header, "shipping_form": shipping, "formset": lines, "order": order,
        "customer": _chosen_customer(header),
    }, status=status)


def _enter(request: HttpRequest, header, shipping, lines, *, order: Order | None = None) -> Order:
    """Tokenize the card (the gateway is called before any transaction or lock), then enter the
    order in one service call."""
    data = header.cleaned_data
    card = payment_card_tokenize(card_number=data.get("card_number", ""),
                                 payment_method=data.get("payment_method_id", ""))
    customer = data["customer"]
    if customer is None:
        customer = services.NewCustomer(name=data["new_customer_name"], email=data["new_customer_email"],
                                        phone=data["new_customer_phone"], company=data["new_customer_company"])
    return services.order_enter(
        actor=request.user, order=order, customer=customer, lines=lines.line_inputs(),
        shipping_address=shipping.snapshot(), channel=data["channel"], priority=data["priority"],
        payment_method=data["payment_method"], shipping_total=data["shipping_total"],
        customer_note=data["customer_note"], internal_note=data["internal_note"], card=card,
        submit=request.POST.get("submit_action") == "submit",
    )


@staff_required("orders.add_order")
def order_create(request: HttpRequest) -> HttpResponse:
    header, shipping, lines = _entry_forms(request)
    if request.method != "POST" or not (header.is_valid() & shipping.is_valid() & lines.is_valid()):
        return _render_entry(request, header, shipping, lines, status=400 if request.method == "POST" else 200)
    try:
        order = _enter(request, header, shipping, lines)
    except ValidationError as exc:
        header.add_error(None, exc.messages)
        return _render_entry(request, header, shipping, lines, status=400)
    except DomainError as exc:
        header.add_error(None, exc.message)
        return _render_entry(request, header, shipping, lines, status=400)
    return _entry_saved(request, order, submit=request.POST.get("submit_action") == "submit")


@staff_required("orders.change_order")
def order_edit(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    if not order.is_editable:
        messages.error(request, f"Order {order.number} is {order.get_status_display().lower()}; "
                                "only drafts can be edited.")
        return redirect(order)
    header, shipping, lines = _entry_forms(request, order=order)
    if request.method != "POST" or not (header.is_valid() & shipping.is_valid() & lines.is_valid()):
        return _render_entry(request, header, shipping, lines, order=order,
                             status=400 if request.method == "POST" else 200)
    try:
        order = _enter(request, header, shipping, lines, order=order)
    except ValidationError as exc:
        header.add_error(None, exc.messages)
        return _render_entry(request, header, shipping, lines, order=order, status=400)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(order)
    return _entry_saved(request, order, submit=request.POST.get("submit_action") == "submit")


@staff_required("orders.view_customer")
def customer_search(request: HttpRequest) -> HttpResponse:
    customers = selectors.customer_search(term=_query_text(request, "q"))
    return render(request, "orders/partials/customer_results.html", {"customers": customers})


@staff_required("inventory.view_product")
def product_lookup(request: HttpRequest) -> HttpResponse:
    code = _query_text(request, "code")
    product = Product.objects.active().by_code(code).first() if code else None
    return render(request, "orders/partials/product_lookup.html", {"product": product, "code": code})


@staff_required("inventory.view_product")
def product_suggest(request: HttpRequest) -> HttpResponse:
    """The products an order line's code box lists as staff type part of a SKU or name."""
    term = _query_text(request, "q")
    return render(request, "orders/partials/product_suggestions.html", {
        "products": selectors.product_suggestions(term=term), "term": term,
        "listbox": _query_text(request, "listbox")[:80],
    })


@require_POST
@staff_required("orders.view_order")
def order_entry_totals(request: HttpRequest) -> HttpResponse:
    """The entry form's running total: the posted lines priced the way entering the order prices them;
    a line that is not (yet) valid is left out and said so."""
    header, shipping, lines = _entry_forms(request)
    header.is_valid()  # only the fields that are valid are read below
    shipping.is_valid()
    priced, left_out = lines.lines_for_quote()
    draft = Order.objects.filter(number=_query_text(request, "order")).only("currency").first()
    quote = entry_quote(lines=priced, left_out=left_out, shipping=header.cleaned_data.get("shipping_total"),
                        country=shipping.cleaned_data.get("country", ""),
                        currency=draft.currency if draft else settings.OMS_DEFAULT_CURRENCY)
    return render(request, "orders/partials/entry_totals.html", {
        "quote": quote, "prices_include_tax": settings.OMS_PRICES_INCLUDE_TAX})


@staff_required("orders.add_order")
def order_import(request: HttpRequest) -> HttpResponse:
    """CSV import: the file's shape is checked here and a worker imports its rows (`import_job_run`)."""
    from orders.intake import CSV_COLUMNS, CSV_REQUIRED

    form = order_forms.OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(actor=request.user, channel=form.cleaned_data["channel"],
                                             file_name=request.FILES["file"].name, text=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(job)
    return render(request, "orders/order_import.html", {
        "form": form, "columns": CSV_COLUMNS, "required": CSV_REQUIRED,
        "recent": ImportJob.objects.filter(created_by=request.user).defer("content")[:5],
    }, status=400 if request.method == "POST" else 200)


@staff_required("orders.add_order")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, ImportJob.objects.defer("content"), pk)
    return _job_page(request, "import", {
        "job": job, "errors": job.errors.all()[:1000] if job.status == BulkJobStatus.DONE else []})


@staff_required("orders.add_order")
def import_job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """Every problem of the file as CSV, to fix the rows in a spreadsheet and upload them again."""
    job = _own_job(request, ImportJob.objects.defer("content"), pk)
    return export_response("csv", order_exports.import_error_rows(job), order_exports.IMPORT_ERROR_COLUMNS,
                           f"import-{job.pk}-errors")


# -- customers ------------------------------------------------------------------------


@staff_required("orders.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    search = _query_text(request, "q")
    page = Paginator(selectors.customer_list(search=search), 50).get_page(request.GET.get("page"))
    return render(request, "orders/customer_list.html", {"page": page, "q": search})


@staff_required("orders.view_customer")
def customer_export(request: HttpRequest, fmt: str) -> HttpResponse:
    customers = selectors.customer_list(search=_query_text(request, "q"))
    return export_response(fmt, order_exports.customer_export_rows(customers), order_exports.CUSTOMER_COLUMNS,
                           "customers", title="Customers")


def _customer_or_404(pk: int) -> Customer:
    try:
        return selectors.customer_detail(pk=pk)
    except Customer.DoesNotExist:
        raise Http404("No such customer") from None


@staff_required("orders.view_customer")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    if request.method == "POST":
        if not request.user.has_perm("orders.hold_customer"):
            raise PermissionDenied
        form = order_forms.CustomerHoldForm(request.POST)
        if form.is_valid():
            services.customer_set_hold(actor=request.user, customer=customer, on_hold=form.cleaned_data["on_hold"],
                                       note=form.cleaned_data["note"])
            messages.success(request, "Customer updated.")
            return redirect(customer)
    return render(request, "orders/customer_detail.html", {
        "customer": customer,
        "orders": selectors.customer_recent_orders(customer=customer),
        "changes": selectors.customer_changes(customer=customer),
        "hold_form": order_forms.CustomerHoldForm(initial={"on_hold": customer.on_hold, "note": customer.hold_note}),
        "can_hold": request.user.has_perm("orders.hold_customer"),
    })


@staff_required("orders.add_customer")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = order_forms.CustomerForm(request.POST or None, may_set_credit=request.user.has_perm("orders.hold_customer"))
    address_form = order_forms.AddressForm(request.POST or None, prefix="addr")
    if request.method == "POST" and form.is_valid() & address_form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, address=address_form.snapshot(),
                                                **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, f"Customer {customer.name} created.")
            return redirect(customer)
    return render(request, "orders/customer_form.html", {"form": form, "address_form": address_form},
                  status=400 if request.method == "POST" else 200)


@staff_required("orders.change_customer")
def customer_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a customer's details and default address; orders already entered keep their own copy."""
    customer = _customer_or_404(pk)
    address = next(iter(customer.addresses.all()), None)  # the default sorts first
    data = request.POST if request.method == "POST" else None
    form = order_forms.CustomerForm(data, may_set_credit=request.user.has_perm("orders.hold_customer"),
                                    initial={f: getattr(customer, f) for f in order_forms.CustomerForm.Meta.fields})
    # A customer with no address on file may be saved without one; one on file can be changed, not emptied.
    address_form = order_forms.AddressForm(data, prefix="addr", empty_permitted=address is None,
                                           use_required_attribute=False,
                                           initial=address.snapshot().as_dict() if address else None)
    if data is not None and form.is_valid() & address_form.is_valid():
        try:
            customer = services.customer_update(
                actor=request.user, customer=customer, **form.cleaned_data,
                address=address_form.snapshot() if address_form.has_changed() or address else None)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        else:
            messages.success(request, f"Customer {customer.name} saved.")
            return redirect(customer)
    return render(request, "orders/customer_form.html", {"form": form, "address_form": address_form,
                                                         "customer": customer}, status=400 if data is not None else 200)


# -- changes after placement ----------------------------------------------------------


class _ChangeForms:
    """The edit screen's forms: the order fields, both addresses, its lines and new lines."""

    def __init__(self, data, *, order: Order, lines, may_price: bool):
        self.order, self.lines = order, lines
        self.header = order_forms.OrderChangeForm(data, initial={
            "priority": order.priority, "shipping_total": order.shipping_total,
            "version": order.versions.count()})
        self.shipping = order_forms.AddressForm(data, prefix="ship", initial=order.shipping_address.as_dict())
        self.billing = order_forms.BillingAddressForm(data, prefix="bill", initial=order.billing_address.as_dict())
        self.existing = order_forms.ChangeLineFormSet(data, prefix="line", form_kwargs={"may_price": may_price},
                                                      initial=[{"line_id": l.pk, "quantity": l.quantity,
                                                                "unit_price": l.unit_price,
                                                                "discount": l.discount_amount} for l in lines])
        self.added = order_forms.NewLineFormSet(data, prefix="new", form_kwargs={"may_price": may_price})
        self.all = [self.header, self.shipping, self.billing, self.existing, self.added]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all])

    def change(self) -> services.OrderChange:
        """Only what differs from the order goes into the change (an untouched price stays the line's own)."""
        by_id = {line.pk: line for line in self.lines}
        lines = []
        for form in self.existing:
            data, line = form.cleaned_data, by_id.get(form.cleaned_data["line_id"])
            if line is None:
                raise DomainError("A line of this order was removed meanwhile; open the order again.")
            price = data.get("unit_price")
            discount = data.get("discount")
            lines.append(services.LineChange(
                line_id=line.pk, quantity=data["quantity"],
                unit_price=price if price is not None and price != line.unit_price else None,
                discount=discount if discount is not None and discount != line.discount_amount else None))
        for form in self.added:
            if form.cleaned_data.get("code") and form.cleaned_data.get("quantity"):
                item = form.line_input()
                lines.append(services.LineChange(product=item.product, quantity=item.quantity,
                                                 unit_price=form.cleaned_data.get("unit_price"),
                                                 discount=form.cleaned_data.get("discount")))
        return services.OrderChange(
            shipping_address=self.shipping.snapshot(), billing_address=self.billing.snapshot(),
            lines=tuple(lines), priority=self.header.cleaned_data["priority"],
            shipping_total=self.header.cleaned_data["shipping_total"])


@staff_required("orders.change_order")
def order_change(request: HttpRequest, number: str) -> HttpResponse:
    """Edit a placed order: "Review changes" shows what would change, "Save changes" makes them."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    if order.status == OrderStatus.DRAFT:
        return redirect("orders:order_edit", number=order.number)
    lines = list(order.lines.select_related("product"))
    may_price = request.user.has_perm("orders.change_order_price")
    forms_ = _ChangeForms(request.POST if request.method == "POST" else None, order=order, lines=lines,
                          may_price=may_price)
    preview, error = None, ""
    try:
        if request.method == "GET":
            services.order_change_preview(actor=request.user, order=order, change=services.OrderChange())
        elif forms_.is_valid():
            change = forms_.change()
            if "save" in request.POST:
                services.order_edit(actor=request.user, order=order, change=change,
                                    reason=forms_.header.cleaned_data["reason"],
                                    expected_version=forms_.header.cleaned_data["version"])
                messages.success(request, f"Order {order.number} changed.")
                return redirect(order)
            preview = services.order_change_preview(actor=request.user, order=order, change=change)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        if request.method == "GET":
            messages.error(request, exc.message)
            return redirect(order)
        error = exc.message
    return render(request, "orders/order_change.html", {
        "order": order, "lines": lines, "forms": forms_, "may_price": may_price, "preview": preview,
        "error": error, "cancel_form": order_forms.LineCancelForm(),
    }, status=400 if error or (request.method == "POST" and preview is None) else 200)


@require_POST
@staff_required("orders.change_order")
def order_line_cancel(request: HttpRequest, number: str, line_id: int) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    form = order_forms.LineCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the line is cancelled.")
        return redirect("orders:order_change", number=order.number)
    try:
        services.order_line_cancel(actor=request.user, order=order, line_id=line_id,
                                   reason=form.cleaned_data["reason"])
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(order)
    messages.success(request, "Line cancelled.")
    return redirect(order)
