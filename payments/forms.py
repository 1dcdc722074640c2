import uuid

from django import forms

from oms.money import currency_choices
from payments.enums import InvoiceStatus, PaymentMethod, PaymentStatus
from payments.gateways import gateway_class


def new_request_key() -> str:
    return uuid.uuid4().hex


class _RequestKeyForm(forms.Form):
    """Carries a key made when the form is shown: submitting it twice makes the same request twice."""

    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=new_request_key)


class CaptureForm(_RequestKeyForm):
    amount = forms.DecimalField(max_digits=14, decimal_places=3, help_text="Empty: all that is authorized.",
                                required=False)


class RefundForm(_RequestKeyForm):
    amount = forms.DecimalField(max_digits=14, decimal_places=3)
    reason = forms.CharField(max_length=255, required=False)


class VoidForm(_RequestKeyForm):
    pass


class ManualPaymentForm(_RequestKeyForm):
    amount = forms.DecimalField(max_digits=14, decimal_places=3)
    currency = forms.ChoiceField(choices=currency_choices)
    reference = forms.CharField(max_length=100, required=False, help_text="Bank reference or receipt number.")
    note = forms.CharField(max_length=255, required=False)


def card_by_payment_method(form: forms.Form) -> None:
    """With a gateway whose script takes the card in the browser (Stripe), the form's card number
    field gives way to the payment method id that script fills in: no card number can be posted."""
    if gateway_class().card_entry != "payment_method" or "card_number" not in form.fields:
        return
    number = form.fields.pop("card_number")
    form.fields["payment_method_id"] = forms.CharField(
        label=number.label, required=number.required, max_length=255, widget=forms.HiddenInput,
        help_text="Entered in Stripe's card field: the card number goes to Stripe, never to the OMS.")


class CardForm(forms.Form):
    card_number = forms.CharField(max_length=30, label="New card number",
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        card_by_payment_method(self)


class PaymentFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Order or customer")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *PaymentStatus.choices])
    method = forms.ChoiceField(required=False, choices=[("", "Any method"), *PaymentMethod.choices])


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Number, order or buyer")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *InvoiceStatus.choices])
    issued_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
