"""The address a request comes from, the one every per-client limit counts against."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    header = settings.OMS_CLIENT_IP_HEADER
    if header and request.META.get(header):
        # The last address is the one our own proxy saw; earlier ones are the client's to forge.
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address when it is a valid IP address (what a database column of addresses
    accepts), else None: a forged header must not break the request."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
