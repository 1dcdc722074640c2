from django import forms

PERIODS = [(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months")]


class KpiPeriodForm(forms.Form):
    days = forms.TypedChoiceField(choices=PERIODS, coerce=int, initial=30, required=False, label="Period")
    operating_cost = forms.DecimalField(
        label="Operating cost of the period", required=False, min_value=0, max_digits=14, decimal_places=2,
        help_text="Labour, packing material, warehouse: gives the cost per order.")
