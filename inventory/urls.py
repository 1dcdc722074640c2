from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_level_list, name="stock_level_list"),
    path("export.<str:fmt>", views.stock_level_export, name="stock_level_export"),
    path("products/<int:pk>/", views.product_stock, name="product_stock"),
    path("levels/<int:pk>/adjust/", views.stock_adjust, name="stock_adjust"),
    path("levels/<int:pk>/settings/", views.stock_level_settings, name="stock_level_settings"),
    path("receive/", views.stock_receive, name="stock_receive"),
    path("transfer/", views.stock_transfer, name="stock_transfer"),
    path("alerts/", views.reorder_alert_list, name="reorder_alert_list"),
    path("alerts/scan/", views.reorder_alerts_scan, name="reorder_alerts_scan"),
    path("alerts/order/", views.reorder_alerts_order, name="reorder_alerts_order"),
    path("purchase-orders/", views.purchase_order_list, name="purchase_order_list"),
    path("purchase-orders/new/", views.purchase_order_create, name="purchase_order_create"),
    path("purchase-orders/<int:pk>/", views.purchase_order_detail, name="purchase_order_detail"),
    path("purchase-orders/<int:pk>/receive/", views.purchase_order_receive, name="purchase_order_receive"),
    path("purchase-orders/<int:pk>/<str:action>/", views.purchase_order_action, name="purchase_order_action"),
]
