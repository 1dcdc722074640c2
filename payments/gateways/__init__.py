"""Payment gateways: the interface in `base`, the built-in simulated one in `simulated`.

`get_gateway()` returns the adapter named by `settings.OMS_PAYMENT_GATEWAY` ("simulated",
"stripe", or a dotted path), so a real provider can be plugged in without touching the services.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateways.base import CardToken, GatewayResult, GatewayTimeout, PaymentGateway

__all__ = ["CardToken", "GatewayResult", "GatewayTimeout", "PaymentGateway", "gateway_class", "get_gateway"]


GATEWAYS = {
    "simulated": "payments.gateways.simulated.SimulatedGateway",
    "stripe": "payments.gateways.stripe.StripeGateway",
}


def gateway_class() -> type[PaymentGateway]:
    return import_string(GATEWAYS.get(settings.OMS_PAYMENT_GATEWAY, settings.OMS_PAYMENT_GATEWAY))


def get_gateway() -> PaymentGateway:
    return gateway_class()()
