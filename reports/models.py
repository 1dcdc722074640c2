from django.db import models


class KpiReport(models.Model):
    """No table: carries the permission to read the KPI reports (reports never write)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_kpis", "Can view KPI reports and the lifecycle chart")]
