"""Payment gateways: the interface in `base`, the built-in simulated one in `simulated`.

`get_gateway()` returns the adapter named by `settings.OMS_PAYMENT_GATEWAY` (a dotted
path), so a real provider can be plugged in without touching the services.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateways.base import CardToken, GatewayResult, GatewayTimeout, PaymentGateway

__all__ = ["CardToken", "GatewayResult", "GatewayTimeout", "PaymentGateway", "get_gateway"]


def get_gateway() -> PaymentGateway:
    return import_string(settings.OMS_PAYMENT_GATEWAY)()
