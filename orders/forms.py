from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator

from inventory.models import Product
from orders.enums import Channel, HoldReason, Priority
from orders.intake import MAX_CSV_BYTES, MAX_CSV_ROWS
from orders.models import ADDRESS_FIELDS, AddressSnapshot, Customer
from orders.services import LineInput
from payments.enums import PaymentMethod
from payments.forms import card_by_payment_method

STAFF_CHANNELS = [(Channel.PHONE, Channel.PHONE.label), (Channel.IN_STORE, Channel.IN_STORE.label)]


class AddressForm(forms.Form):
    """Address fields; `prefix` tells shipping from billing apart."""

    name = forms.CharField(max_length=200)
    company = forms.CharField(max_length=200, required=False)
    line1 = forms.CharField(label="Address line 1", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    region = forms.CharField(label="State / region", max_length=100, required=False)
    postal_code = forms.CharField(max_length=20)
    country = forms.CharField(initial="US", help_text="Two letters, e.g. US")
    phone = forms.CharField(max_length=40, required=False)

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. US.")
        return country

    def snapshot(self) -> AddressSnapshot:
        return AddressSnapshot(**{f: self.cleaned_data.get(f, "") or "" for f in ADDRESS_FIELDS})


class OrderEntryForm(forms.Form):
    """The order header of staff entry: an existing customer, or a new one."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False, widget=forms.HiddenInput)
    new_customer_name = forms.CharField(label="Name", max_length=200, required=False)
    new_customer_email = forms.EmailField(label="E-mail", required=False)
    new_customer_phone = forms.CharField(label="Phone", max_length=40, required=False)
    new_customer_company = forms.CharField(label="Company", max_length=200, required=False)
    channel = forms.ChoiceField(choices=STAFF_CHANNELS, initial=Channel.PHONE)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.STANDARD)
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.CARD)
    card_number = forms.CharField(label="Card number", required=False, max_length=30,
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
                                  help_text="Card and debit payments: tokenized at once, only the last four digits are kept.")
    shipping_total = forms.DecimalField(label="Shipping", max_digits=12, decimal_places=2, initial=Decimal("0.00"),
                                        validators=[MinValueValidator(Decimal("0"))])
    customer_note = forms.CharField(label="Note from the customer", required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    internal_note = forms.CharField(label="Internal note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, allow_new_customer: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_new_customer = allow_new_customer
        card_by_payment_method(self)

    def clean(self):
        data = super().clean()
        if data.get("customer") is None:
            if not self.allow_new_customer:
                raise forms.ValidationError("Choose the customer.")
            if not data.get("new_customer_name") or not data.get("new_customer_email"):
                raise forms.ValidationError("Choose a customer, or enter a new customer's name and e-mail.")
        return data

    def wants_new_customer(self) -> bool:
        return self.cleaned_data.get("customer") is None


class OrderLineForm(forms.Form):
    code = forms.CharField(label="SKU or barcode", max_length=64,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "class": "line-code"}))
    quantity = forms.IntegerField(min_value=1, max_value=100000, initial=1)
    unit_price = forms.DecimalField(label="Unit price", max_digits=12, decimal_places=2, required=False,
                                    validators=[MinValueValidator(Decimal("0"))],
                                    help_text="Empty: the catalogue price.")
    discount = forms.DecimalField(max_digits=12, decimal_places=2, required=False,
                                  validators=[MinValueValidator(Decimal("0"))])
    suggests_products = True  # the entry form's script lists matching products under the code

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.suggests_products:
            return
        suggestions = f"{self['code'].auto_id}-suggestions"
        self.fields["code"].widget.attrs.update({
            "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": suggestions,
            "placeholder": "Type a SKU or name",
        })

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        product = Product.objects.active().by_code(code).first()
        if product is None:
            raise forms.ValidationError(f"No product on sale with SKU or barcode “{code}”.")
        self.product = product
        return code

    def line_input(self) -> LineInput:
        return LineInput(
            product=self.product,
            quantity=self.cleaned_data["quantity"],
            unit_price=self.cleaned_data.get("unit_price"),
            discount=self.cleaned_data.get("discount") or Decimal("0"),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not filled:
            raise forms.ValidationError("Add at least one line.")

    def line_inputs(self) -> list[LineInput]:
        return [f.line_input() for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def lines_for_quote(self) -> tuple[list[LineInput], int]:
        """The lines a running total can price as they stand, and how many typed lines it cannot
        (yet): an unknown code, a quantity missing. Untouched empty rows are neither."""
        priced, left_out = [], 0
        for form in self.forms[:self.max_num]:
            valid = form.is_valid()
            if form.cleaned_data.get("DELETE"):
                continue
            if valid and form.cleaned_data:
                priced.append(form.line_input())
            elif not valid and str(form["code"].value() or "").strip():
                left_out += 1
        return priced, left_out


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=BaseLineFormSet, extra=1, can_delete=True,
                                         min_num=0, max_num=200, validate_max=True)


# Reasons staff may give by hand; the others (data, address, stock, payment) are found by the checks.
STAFF_HOLD_REASONS = (HoldReason.MANUAL, HoldReason.HIGH_FRAUD_RISK, HoldReason.CREDIT_LIMIT,
                      HoldReason.CUSTOMER_ON_HOLD)


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=[(r.value, r.label) for r in STAFF_HOLD_REASONS])
    message = forms.CharField(label="Why", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReleaseHoldForm(forms.Form):
    note = forms.CharField(label="Note", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override = forms.BooleanField(
        required=False, label="Approve the held reason (credit, risk, customer hold) and let the order through"
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)


class NoteForm(forms.Form):
    message = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    customer_visible = forms.BooleanField(required=False, label="Visible to the customer")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "company", "credit_limit"]

    def __init__(self, *args, may_set_credit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_set_credit:  # account terms are finance's decision
            del self.fields["credit_limit"]


class CustomerHoldForm(forms.Form):
    on_hold = forms.BooleanField(required=False, label="Hold new orders of this customer for review")
    note = forms.CharField(max_length=255, required=False)


class OrderImportForm(forms.Form):
    channel = forms.ChoiceField(choices=[(Channel.MARKETPLACE, Channel.MARKETPLACE.label),
                                         (Channel.WEB, Channel.WEB.label), (Channel.API, Channel.API.label)])
    file = forms.FileField(help_text=f"CSV, UTF-8, one order line per row; at most {MAX_CSV_BYTES // 2**20} MB "
                                     f"and {MAX_CSV_ROWS:,} rows.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_CSV_BYTES // 2**20} MB. "
                                        "Split it and upload each part.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not CSV text in UTF-8 (a spreadsheet workbook? "
                                        "Save it as “CSV UTF-8” and upload that).") from None


# -- changes after placement --------------------------------------------------------------


class OrderChangeForm(forms.Form):
    """The order-level part of an edit of a placed order; `version` is the one the form was opened on."""

    priority = forms.ChoiceField(choices=Priority.choices)
    shipping_total = forms.DecimalField(label="Shipping", max_digits=12, decimal_places=2,
                                        validators=[MinValueValidator(Decimal("0"))])
    reason = forms.CharField(label="Why (kept with the version, told to the customer)", max_length=255,
                             required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class BillingAddressForm(AddressForm):
    """A placed order's billing address: only the shipping address is checked before shipping,
    so an incomplete billing copy does not block correcting the shipping address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean_country(self):
        return super().clean_country() if self.cleaned_data.get("country", "").strip() else ""


class ChangeLineForm(forms.Form):
    """An existing line of a placed order; quantity 0 removes it. Prices only with the price permission."""

    line_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=100000)
    unit_price = forms.DecimalField(label="Unit price", max_digits=12, decimal_places=2,
                                    validators=[MinValueValidator(Decimal("0"))])
    discount = forms.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    def __init__(self, *args, may_price: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_price:
            del self.fields["unit_price"], self.fields["discount"]


class NewLineForm(OrderLineForm):
    """A line added to a placed order (an empty row adds nothing)."""

    suggests_products = False

    def __init__(self, *args, may_price: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].required = False
        self.fields["quantity"].initial = None  # an untouched empty row is no line
        if not may_price:
            del self.fields["unit_price"], self.fields["discount"]


ChangeLineFormSet = forms.formset_factory(ChangeLineForm, extra=0, max_num=200)
NewLineFormSet = forms.formset_factory(NewLineForm, extra=2, max_num=50, validate_max=True)


class LineCancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)
