from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.payment_list, name="payment_list"),
    path("<int:pk>/", views.payment_detail, name="payment_detail"),
    path("<int:pk>/capture/", views.payment_capture, name="payment_capture"),
    path("<int:pk>/void/", views.payment_void, name="payment_void"),
    path("<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("<int:pk>/manual/", views.payment_record_manual, name="payment_record_manual"),
    path("<int:pk>/retry-unknown/", views.payment_retry_unknown, name="payment_retry_unknown"),
    path("<int:pk>/card/", views.payment_card_update, name="payment_card_update"),
    path("webhooks/gateway/", views.gateway_webhook, name="gateway_webhook"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/export.<str:fmt>", views.invoice_export, name="invoice_export"),
    path("invoices/overdue/", views.invoice_list, {"overdue": True}, name="invoice_overdue"),
    path("invoices/issue/<int:order_id>/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<str:number>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<str:number>/void/", views.invoice_void, name="invoice_void"),
    path("invoices/<str:number>.pdf", views.invoice_pdf_view, name="invoice_pdf"),
]
