import re

from django import forms

from payments.forms import new_request_key
from returns.enums import InspectionOutcome, ReturnReason, ReturnStatus
from returns.services import InspectionDecision, RefundLineInput, ReturnLineInput

LINE_FIELD = re.compile(r"(qty|restock)_(.+)")

REASON_CHOICES = [("", "Why?"), *ReturnReason.choices]


class ReturnRequestForm(forms.Form):
    """One row per returnable order line: how many, why, a comment. Staff add a note and a
    manager may override the policy with a note."""

    def __init__(self, *args, returnable: list[tuple[object, int]], staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = returnable
        for line, units in returnable:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=units, initial=0, required=False, label=f"{line.sku} quantity",
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "style": "width: 6em"}))
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
                choices=REASON_CHOICES, required=False, label=f"{line.sku} reason",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
            self.fields[f"comment_{line.pk}"] = forms.CharField(
                max_length=500, required=False, label=f"{line.sku} comment",
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
        if staff:
            self.fields["note"] = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                                  help_text="For staff only.")
            self.fields["override_note"] = forms.CharField(
                required=False, label="Policy override note", widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Managers only: accept a return outside the policy, and say why.")

    def rows(self):
        return [(line, units, self[f"qty_{line.pk}"], self[f"reason_{line.pk}"], self[f"comment_{line.pk}"])
                for line, units in self.returnable]

    def clean(self):
        data = super().clean()
        chosen = 0
        for line, _ in self.returnable:
            if data.get(f"qty_{line.pk}"):
                chosen += 1
                if not data.get(f"reason_{line.pk}"):
                    self.add_error(f"reason_{line.pk}", f"Say why {line.sku} is returned.")
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose at least one item to return.")
        return data

    def line_inputs(self) -> list[ReturnLineInput]:
        data = self.cleaned_data
        return [ReturnLineInput(order_line_id=line.pk, quantity=data[f"qty_{line.pk}"],
                                reason=data[f"reason_{line.pk}"], comment=data.get(f"comment_{line.pk}") or "")
                for line, _ in self.returnable if data.get(f"qty_{line.pk}")]


class NoteForm(forms.Form):
    note = forms.CharField(max_length=255, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255)


class ScanForm(forms.Form):
    code = forms.CharField(max_length=64, label="Scan barcode or SKU",
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))


class ReceiveForm(forms.Form):
    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"received_{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=line.quantity, label=f"{line.order_line.sku} received",
                initial=line.quantity_received or line.quantity)

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"received_{line.pk}"] for line in self.lines}


class InspectForm(forms.Form):
    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_received]
        for line in self.lines:
            self.fields[f"outcome_{line.pk}"] = forms.ChoiceField(
                choices=InspectionOutcome.choices, label=f"{line.order_line.sku} ({line.quantity_received})",
                widget=forms.RadioSelect, initial=InspectionOutcome.RESTOCK)
            self.fields[f"note_{line.pk}"] = forms.CharField(max_length=255, required=False,
                                                             label=f"{line.order_line.sku} note")

    def decisions(self) -> dict[int, InspectionDecision]:
        return {line.pk: InspectionDecision(self.cleaned_data[f"outcome_{line.pk}"],
                                            self.cleaned_data.get(f"note_{line.pk}") or "")
                for line in self.lines}


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=3, required=False,
                                help_text="Empty: the suggested amount.")
    include_shipping = forms.BooleanField(required=False, initial=True, label="Refund the shipping too")
    reason = forms.CharField(max_length=255, required=False)


class RefundByLineForm(forms.Form):
    """One row per order line: how many units to refund and whether they go back in stock; the
    shipping, a reason, and the key made when the form was shown (a double submit is one refund).
    Amounts are never typed: the server prices the units and shows them before the refund."""

    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=new_request_key, error_messages={
        "required": "This form lost its request key; open it again.",
        "max_length": "This form's request key is broken; open it again."})
    previewed_total = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=14, decimal_places=2)
    reason = forms.CharField(max_length=255, help_text="Kept with the refund and on the order's timeline.")

    def __init__(self, *args, order, refundable, shipping, **kwargs):
        super().__init__(*args, **kwargs)
        self.order, self.refundable = order, refundable
        for row in refundable:
            line = row.line
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                min_value=0, initial=0, required=False, label=f"{line.sku} quantity",
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm refund-qty", "min": 0,
                                                "max": row.refundable, "disabled": not row.refundable}))
            self.fields[f"restock_{line.pk}"] = forms.BooleanField(
                required=False, label=f"Put {line.sku} back in stock",
                widget=forms.CheckboxInput(attrs={"class": "form-check-input", "disabled": not row.restockable}))
        if shipping:
            self.fields["refund_shipping"] = forms.BooleanField(
                required=False, label=f"Refund the shipping ({shipping} {order.currency})")

    def rows(self):
        return [(row, self[f"qty_{row.line.pk}"], self[f"restock_{row.line.pk}"]) for row in self.refundable]

    def clean(self):
        data = super().clean()
        strangers = sorted({match[2] for key in self.data if (match := LINE_FIELD.fullmatch(key))
                            and key not in self.fields})
        for line in strangers:
            self.add_error(None, f"Line {line} is not part of order {self.order.number}.")
        if not self.errors and not self.line_inputs():
            raise forms.ValidationError("Choose at least one unit to refund.")
        return data

    def line_inputs(self) -> list[RefundLineInput]:
        data = self.cleaned_data
        return [RefundLineInput(order_line_id=row.line.pk, quantity=data[f"qty_{row.line.pk}"],
                                restock=data[f"restock_{row.line.pk}"])
                for row in self.refundable if data.get(f"qty_{row.line.pk}")]


class ReturnFilterForm(forms.Form):
    q = forms.CharField(required=False, label="RMA, order or customer")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), ("open", "Open"), *ReturnStatus.choices])
    reason = forms.ChoiceField(required=False, choices=[("", "Any reason"), *ReturnReason.choices])
    older_than_days = forms.IntegerField(required=False, min_value=1, max_value=36500, label="Older than (days)")
