from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/new/totals/", views.order_entry_totals, name="order_entry_totals"),
    path("orders/import/", views.order_import, name="order_import"),
    path("orders/import/<int:pk>/", views.import_job, name="import_job"),
    path("orders/import/<int:pk>/errors.csv", views.import_job_errors, name="import_job_errors"),
    path("orders/bulk/", views.order_bulk, name="order_bulk"),
    path("orders/jump/", views.order_jump, name="order_jump"),
    path("orders/export.<str:fmt>", views.order_export, name="order_export"),
    path("orders/bulk/<int:pk>/", views.bulk_job, name="bulk_job"),
    path("orders/views/save/", views.saved_view_save, name="saved_view_save"),
    path("orders/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/edit/", views.order_edit, name="order_edit"),
    path("orders/<str:number>/change/", views.order_change, name="order_change"),
    path("orders/<str:number>/lines/<int:line_id>/cancel/", views.order_line_cancel, name="order_line_cancel"),
    path("orders/<str:number>/actions/<str:action>/", views.order_action, name="order_action"),
    path("orders/<str:number>/notes/", views.order_note, name="order_note"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/export.<str:fmt>", views.customer_export, name="customer_export"),
    path("customers/search/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_update, name="customer_update"),
    path("products/lookup/", views.product_lookup, name="product_lookup"),
    path("products/suggest/", views.product_suggest, name="product_suggest"),
]
