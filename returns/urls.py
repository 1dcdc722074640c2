"""Staff return screens under /returns/, and the customer's return pages under the order's
tracking link /track/<token>/returns/ (included at the site root by oms/urls.py)."""

from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("returns/", views.return_list, name="return_list"),
    path("returns/export.<str:fmt>", views.return_export, name="return_export"),
    path("returns/new/<str:order_number>/", views.return_create, name="return_create"),
    path("returns/<str:number>/", views.return_detail, name="return_detail"),
    path("refunds/new/<str:order_number>/", views.refund_create, name="refund_create"),
    path("returns/<str:number>/scan/", views.return_scan, name="return_scan"),
    path("returns/<str:number>/label.pdf", views.return_label, name="return_label"),
    path("returns/<str:number>/actions/<str:action>/", views.return_action, name="return_action"),
    path("track/<str:token>/returns/new/", views.customer_return_create, name="customer_return_create"),
    path("track/<str:token>/returns/<str:number>/", views.customer_return_detail, name="customer_return_detail"),
    path("track/<str:token>/returns/<str:number>/cancel/", views.customer_return_cancel,
         name="customer_return_cancel"),
    path("track/<str:token>/returns/<str:number>/label.pdf", views.customer_return_label,
         name="customer_return_label"),
]
