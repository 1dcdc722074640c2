"""Staff screens for stock, reorder alerts and purchase orders: form -> service -> message -> redirect."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory import selectors, services
from inventory.enums import PurchaseOrderStatus
from inventory.forms import (
    PurchaseLineFormSet,
    PurchaseOrderForm,
    PurchaseReceiveForm,
    ScanReceiveForm,
    StockAdjustForm,
    StockFilterForm,
    StockLevelSettingsForm,
    StockReceiveForm,
    StockTransferForm,
)
from inventory.models import Product, PurchaseOrder, ReorderAlert, StockLevel
from oms.decorators import staff_required
from oms.exceptions import DomainError
from oms.exports import CHUNK, export_response, path_columns


def _filtered_levels(request):
    form = StockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, selectors.stock_levels_for_list(
        warehouse_id=filters.get("warehouse").pk if filters.get("warehouse") else None,
        low=bool(filters.get("low")), q=filters.get("q") or "")


STOCK_COLUMNS = path_columns("product__sku", "product__name", "warehouse__code", "bin_location", "on_hand",
                             "allocated", "available", "reorder_point", "reorder_quantity", "updated_at")


@staff_required("inventory.view_stocklevel")
def stock_level_export(request, fmt: str):
    """Every stock level the list's filter matches, as CSV or XLSX."""
    _, levels = _filtered_levels(request)
    return export_response(fmt, levels.iterator(chunk_size=CHUNK), STOCK_COLUMNS, "stock", title="Stock")


@staff_required("inventory.view_stocklevel")
def stock_level_list(request):
    form, levels = _filtered_levels(request)
    page = Paginator(levels, 50).get_page(request.GET.get("page"))
    return render(request, "inventory/stocklevel_list.html", {"form": form, "page": page})


@staff_required("inventory.view_stocklevel")
def product_stock(request, pk: int):
    product = get_object_or_404(Product.objects.select_related("supplier"), pk=pk)
    return render(request, "inventory/product_stock.html", {
        "product": product,
        "rows": selectors.stock_card(product),
        "movements": selectors.ledger_for_product(product),
    })


def _form_to_service(request, form, service, message, redirect_to):
    """The thin view's core: a valid POSTed form -> service -> success message -> redirect.

    Returns None (render the form again) for a GET, an invalid form, or a refusal, whose
    message is shown.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        service(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, message(form.cleaned_data))
    return redirect(redirect_to(form.cleaned_data))


@staff_required("inventory.adjust_stock")
def stock_adjust(request, pk: int):
    level = get_object_or_404(StockLevel.objects.select_related("product", "warehouse"), pk=pk)
    form = StockAdjustForm(request.POST or None)
    return _form_to_service(
        request, form,
        lambda data: services.stock_adjust(actor=request.user, stock_level=level, **data),
        lambda data: f"{level}: adjusted by {data['quantity_delta']:+d}.",
        lambda data: level.product,
    ) or render(request, "inventory/stocklevel_adjust.html", {"form": form, "level": level})


@staff_required("inventory.change_stocklevel")
def stock_level_settings(request, pk: int):
    level = get_object_or_404(StockLevel.objects.select_related("product", "warehouse"), pk=pk)
    form = StockLevelSettingsForm(request.POST or None, initial={
        "bin_location": level.bin_location, "reorder_point": level.reorder_point,
        "reorder_quantity": level.reorder_quantity})
    return _form_to_service(
        request, form,
        lambda data: services.stock_level_configure(actor=request.user, product=level.product,
                                                    warehouse=level.warehouse, **data),
        lambda data: f"{level}: bin and reorder rule saved.",
        lambda data: level.product,
    ) or render(request, "inventory/stocklevel_settings.html", {"form": form, "level": level})


@staff_required("inventory.adjust_stock")
def stock_receive(request):
    form = StockReceiveForm(request.POST or None)
    return _form_to_service(
        request, form,
        lambda data: services.stock_receive(actor=request.user, product=data["product"],
                                            warehouse=data["warehouse"], quantity=data["quantity"],
                                            reference=data["reference"]),
        lambda data: f"Received {data['quantity']} × {data['product'].sku} into {data['warehouse'].code}.",
        lambda data: data["product"],
    ) or render(request, "inventory/stock_receive.html", {"form": form})


@staff_required("inventory.transfer_stock")
def stock_transfer(request):
    form = StockTransferForm(request.POST or None)
    return _form_to_service(
        request, form,
        lambda data: services.stock_transfer(actor=request.user, **data),
        lambda data: (f"Moved {data['quantity']} × {data['product'].sku} from {data['source'].code} "
                      f"to {data['destination'].code}."),
        lambda data: data["product"],
    ) or render(request, "inventory/stock_transfer.html", {"form": form})


@staff_required("inventory.view_reorderalert")
def reorder_alert_list(request):
    show_all = request.GET.get("show") == "all"
    return render(request, "inventory/reorderalert_list.html", {
        "alerts": selectors.reorder_alerts_for_list(open_only=not show_all),
        "show_all": show_all,
    })


@staff_required("inventory.manage_reorder")
@require_POST
def reorder_alerts_scan(request):
    scan = services.reorder_alerts_scan(actor=request.user)
    messages.success(request, f"Reorder check done: {len(scan.raised)} new alert(s), {scan.resolved} resolved.")
    return redirect("inventory:reorder_alert_list")


@staff_required("inventory.manage_reorder")
@staff_required("inventory.add_purchaseorder")
@require_POST
def reorder_alerts_order(request):
    ids = [int(pk) for pk in request.POST.getlist("alert") if pk.isdigit()]
    alerts = ReorderAlert.objects.filter(pk__in=ids).select_related(
        "stock_level__product__supplier", "stock_level__warehouse")
    try:
        created = services.purchase_orders_create_from_alerts(actor=request.user, alerts=alerts)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("inventory:reorder_alert_list")
    messages.success(request, f"Draft purchase order(s) created: {', '.join(po.number for po in created)}.")
    return redirect("inventory:purchase_order_list")


@staff_required("inventory.view_purchaseorder")
def purchase_order_list(request):
    status = request.GET.get("status", "")
    status = status if status in PurchaseOrderStatus.values else ""
    page = Paginator(selectors.purchase_orders_for_list(status=status), 50).get_page(request.GET.get("page"))
    return render(request, "inventory/purchaseorder_list.html",
                  {"page": page, "status": status, "statuses": PurchaseOrderStatus.choices})


@staff_required("inventory.add_purchaseorder")
def purchase_order_create(request):
    form = PurchaseOrderForm(request.POST or None)
    formset = PurchaseLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [services.PurchaseLineInput(f.cleaned_data["product"], f.cleaned_data["quantity"],
                                            f.cleaned_data.get("unit_cost"))
                 for f in formset if f.cleaned_data.get("product")]
        try:
            po = services.purchase_order_create(actor=request.user, lines=lines, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Purchase order {po.number} created as a draft.")
            return redirect(po)
    return render(request, "inventory/purchaseorder_create.html", {"form": form, "formset": formset})


@staff_required("inventory.view_purchaseorder")
def purchase_order_detail(request, pk: int):
    po = get_object_or_404(PurchaseOrder, pk=pk)
    po = selectors.purchase_order_detail(po.pk)
    return render(request, "inventory/purchaseorder_detail.html", {
        "po": po, "movements": po.movements.select_related("product", "actor").order_by("-created_at", "-pk"),
    })


@staff_required("inventory.change_purchaseorder")
@require_POST
def purchase_order_action(request, pk: int, action: str):
    po = get_object_or_404(PurchaseOrder, pk=pk)
    service = {"send": services.purchase_order_send, "cancel": services.purchase_order_cancel}.get(action)
    if service is None:
        messages.error(request, f"Unknown action {action!r}.")
        return redirect(po)
    try:
        po = service(actor=request.user, purchase_order=po)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Purchase order {po.number} is now {po.get_status_display().lower()}.")
    return redirect(po)


@staff_required("inventory.receive_purchaseorder")
def purchase_order_receive(request, pk: int):
    po = selectors.purchase_order_detail(get_object_or_404(PurchaseOrder, pk=pk).pk)
    lines = list(po.lines.all())
    form = PurchaseReceiveForm(request.POST if "receive" in request.POST else None, lines=lines)
    scan = ScanReceiveForm(request.POST if "scan" in request.POST else None)
    if request.method == "POST":
        try:
            if "scan" in request.POST and scan.is_valid():
                line = services.purchase_order_receive_code(actor=request.user, purchase_order=po,
                                                            **scan.cleaned_data)
                messages.success(request, f"Received {scan.cleaned_data['quantity']} × {line.product.sku} "
                                          f"({line.quantity_outstanding} still outstanding).")
                return redirect("inventory:purchase_order_receive", pk=po.pk)
            if "receive" in request.POST and form.is_valid():
                po = services.purchase_order_receive(actor=request.user, purchase_order=po,
                                                     quantities=form.quantities())
                messages.success(request, f"Goods received; {po.number} is {po.get_status_display().lower()}.")
                return redirect(po)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(request, "inventory/purchaseorder_receive.html", {"po": po, "form": form, "scan": scan})
