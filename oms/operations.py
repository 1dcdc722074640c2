"""Views for operators: liveness, health of the services behind the app, Prometheus metrics."""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from health_check.views import HealthCheckView

from oms.client_address import client_ip


@never_cache
def live(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, no cache, no template (a load balancer's liveness probe)."""
    return HttpResponse("ok\n", content_type="text/plain")


def health_checks() -> list:
    """Database, cache, disk, and with a broker the Celery workers (one must answer a ping)."""
    checks = [
        "health_check.checks.Database",
        "health_check.checks.Cache",
        ("health_check.contrib.psutil.Disk",
         {"path": str(settings.BASE_DIR), "max_disk_usage_percent": settings.OMS_HEALTH_MAX_DISK_PERCENT}),
    ]
    if settings.OMS_HEALTH_CELERY:
        checks.append(("health_check.contrib.celery.Ping", {"timeout": timedelta(seconds=2)}))
    return checks


class Health(HealthCheckView):
    """django-health-check's page (HTML, ?format=json or text); 503 when a service fails, as load balancers expect."""

    def get_checks(self):
        self.checks = health_checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.OMS_METRICS_TOKEN
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.OMS_METRICS_ALLOWED_IPS)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the allowed addresses or the bearer token only (they tell how busy the shop is)."""
    if not _metrics_allowed(request):
        return HttpResponse("Metrics are only for the monitoring system.\n", status=403, content_type="text/plain")
    return ExportToDjangoView(request)
