from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from oms.decorators import staff_required
from reports import selectors
from reports.flow import flow_chart
from reports.forms import KpiPeriodForm


@staff_required("reports.view_kpis")
def kpi_dashboard(request: HttpRequest) -> HttpResponse:
    form = KpiPeriodForm(request.GET or None)
    days, cost = 30, None
    if form.is_valid():
        days = form.cleaned_data["days"] or 30
        cost = form.cleaned_data["operating_cost"]
    period = selectors.Period.last_days(days)
    daily = selectors.daily_orders(period=period)
    peak = max((n for _, n in daily), default=0) or 1
    return render(request, "reports/kpi_dashboard.html", {
        "form": form if form.is_bound else KpiPeriodForm(initial={"days": days}),
        "period": period,
        "kpis": selectors.kpis(period=period, operating_cost=cost),
        "flow": flow_chart(selectors.lifecycle_counts()),
        "daily": [(day, n, round(100 * n / peak)) for day, n in daily],
    })
