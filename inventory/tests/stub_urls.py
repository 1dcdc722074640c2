"""The project URLs plus placeholders for order screens base.html links to, for branches
where the orders screens are not built yet (see conftest `_stub_order_screens`)."""

from django.http import HttpResponse
from django.urls import include, path

from oms.urls import urlpatterns as project_urlpatterns


def placeholder(request, *args, **kwargs):
    return HttpResponse("placeholder")


orders_placeholders = (
    [path(f"_stub/{name}/", placeholder, name=name)
     for name in ("dashboard", "order_list", "order_create", "customer_list")]
    + [path("_stub/order/<str:number>/", placeholder, name="order_detail"),
       path("_stub/customer/<int:pk>/", placeholder, name="customer_detail")],
    "orders",
)

urlpatterns = [p for p in project_urlpatterns if getattr(p, "namespace", None) != "orders"] + [
    path("", include(orders_placeholders)),
]
