from django import forms

from inventory.enums import MovementKind
from inventory.models import Product, Supplier, Warehouse


class ProductCodeField(forms.CharField):
    """A product by scanned barcode or typed SKU."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Product (SKU or barcode)")
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "off")

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        product = Product.objects.by_code(code).first()
        if product is None:
            raise forms.ValidationError(f"No product has the SKU or barcode {code!r}.")
        return product


def _warehouses():
    return Warehouse.objects.filter(active=True)


class StockFilterForm(forms.Form):
    q = forms.CharField(label="SKU, name or barcode", required=False)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.all(), required=False, empty_label="All warehouses")
    low = forms.BooleanField(label="Low stock only", required=False)


class StockAdjustForm(forms.Form):
    quantity_delta = forms.IntegerField(label="Change (+ found / − lost)", help_text="E.g. -2 or 5.")
    kind = forms.ChoiceField(choices=[(MovementKind.ADJUSTMENT, "Adjustment (count, found, lost)"),
                                      (MovementKind.SCRAP, "Scrap (damaged, expired)")])
    reason = forms.CharField(max_length=255)

    def clean_quantity_delta(self):
        value = self.cleaned_data["quantity_delta"]
        if value == 0:
            raise forms.ValidationError("The change cannot be 0.")
        return value


class StockLevelSettingsForm(forms.Form):
    bin_location = forms.CharField(max_length=40, required=False)
    reorder_point = forms.IntegerField(min_value=0, help_text="Alert when available + incoming falls below this.")
    reorder_quantity = forms.IntegerField(min_value=0, help_text="The usual quantity to order.")


class StockReceiveForm(forms.Form):
    product = ProductCodeField()
    warehouse = forms.ModelChoiceField(queryset=_warehouses())
    quantity = forms.IntegerField(min_value=1)
    reference = forms.CharField(max_length=100, required=False, help_text="Delivery note or document number.")


class StockTransferForm(forms.Form):
    product = ProductCodeField()
    source = forms.ModelChoiceField(queryset=_warehouses(), label="From")
    destination = forms.ModelChoiceField(queryset=_warehouses(), label="To")
    quantity = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=255, required=False)

    def clean(self):
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("destination"):
            raise forms.ValidationError("Choose two different warehouses.")
        return data


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(active=True))
    warehouse = forms.ModelChoiceField(queryset=_warehouses(), label="Deliver to")
    expected_at = forms.DateField(required=False, label="Expected on", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PurchaseLineForm(forms.Form):
    product = ProductCodeField(required=False)
    quantity = forms.IntegerField(min_value=1, required=False)
    unit_cost = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False,
                                   help_text="Empty: the product's cost price.")

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", "How many?")
        return data


PurchaseLineFormSet = forms.formset_factory(PurchaseLineForm, extra=5)


class PurchaseReceiveForm(forms.Form):
    """One quantity field per outstanding line of a purchase order."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_outstanding > 0]
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.sku} · {line.product.name}", min_value=0, max_value=line.quantity_outstanding,
                required=False, help_text=f"{line.quantity_outstanding} outstanding")

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}


class ScanReceiveForm(forms.Form):
    code = forms.CharField(label="Scan or type barcode / SKU", max_length=64,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    quantity = forms.IntegerField(min_value=1, initial=1)
