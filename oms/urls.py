from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from oms import operations
from orders import api as orders_api
from payments import views as payments_views

admin.site.site_header = "OMS administration"
admin.site.site_title = "OMS admin"


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the Django admin's)."""
    return redirect(static("img/favicon.svg"), permanent=True)


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("health/", operations.Health.as_view(), name="health"),
    path("health/live", operations.live, name="health_live"),
    path("metrics", operations.metrics, name="metrics"),
    path("inventory/", include("inventory.urls")),
    path("api/v1/orders/", orders_api.order_create, name="api_order_create"),
    path("api/v1/orders/<str:number>/", orders_api.order_status, name="api_order_status"),
    path("payments/", include("payments.urls")),
    path("reports/", include("reports.urls")),
    path("track/<str:token>/invoice/<str:number>.pdf", payments_views.invoice_pdf_for_customer,
         name="invoice_pdf_customer"),
    path("", include("returns.urls")),  # returns: /returns/ and /track/<token>/returns/
    path("", include("fulfillment.urls")),  # fulfillment/..., the customer's /track/...
    path("", include("orders.urls")),
]
