from decimal import Decimal

from django import forms

from fulfillment.enums import CARRIER_STATUS_TRANSITIONS, CarrierProvider, ShipmentStatus
from fulfillment.models import ServiceLevel
from inventory.models import Warehouse


class WarehouseChoiceForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(active=True), required=False,
                                       empty_label="All warehouses")


class WaveForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(active=True))
    orders = forms.CharField(widget=forms.MultipleHiddenInput, required=False)


class StartPackingForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(active=True))


class ScanForm(forms.Form):
    code = forms.CharField(label="Scan or type a barcode or SKU", max_length=64,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    quantity = forms.IntegerField(min_value=1, max_value=10000, initial=1)


class PackageForm(forms.Form):
    weight_kg = forms.DecimalField(label="Weight (kg)", min_value=Decimal("0.001"), max_digits=8, decimal_places=3)
    length_cm = forms.DecimalField(label="Length (cm)", min_value=Decimal("0.1"), max_digits=7, decimal_places=1)
    width_cm = forms.DecimalField(label="Width (cm)", min_value=Decimal("0.1"), max_digits=7, decimal_places=1)
    height_cm = forms.DecimalField(label="Height (cm)", min_value=Decimal("0.1"), max_digits=7, decimal_places=1)


class ShipForm(forms.Form):
    service_level = forms.ModelChoiceField(
        queryset=ServiceLevel.objects.filter(active=True, carrier__active=True).select_related("carrier"))
    tracking_number = forms.CharField(max_length=60, required=False,
                                      help_text="Leave empty to have one assigned.")


class LabelBuyForm(forms.Form):
    service_level = forms.ModelChoiceField(
        queryset=ServiceLevel.objects.filter(active=True, carrier__active=True).exclude(
            provider=CarrierProvider.RATE_TABLE).select_related("carrier"),
        error_messages={"invalid_choice": "Choose a service whose labels come from a carrier provider."})


class TrackingEventForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, ShipmentStatus(s).label) for s in CARRIER_STATUS_TRANSITIONS])
    location = forms.CharField(max_length=200, required=False)
    description = forms.CharField(max_length=300, required=False)


class TrackingLookupForm(forms.Form):
    number = forms.CharField(label="Order number", max_length=20,
                             widget=forms.TextInput(attrs={"placeholder": "SO-000123", "autocomplete": "off"}))
    email = forms.EmailField(label="E-mail address", max_length=254)
