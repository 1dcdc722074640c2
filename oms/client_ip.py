"""The address a request came from, also behind the project's own reverse proxy."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    header = settings.OMS_CLIENT_IP_HEADER
    if header and request.META.get(header):
        # The last address is the one our own proxy saw; earlier ones are the client's to forge.
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
