from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.kpi_dashboard, name="kpi_dashboard"),
]
