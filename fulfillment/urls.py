from django.urls import path

from fulfillment import views

app_name = "fulfillment"

urlpatterns = [
    path("fulfillment/", views.queue, name="queue"),
    path("fulfillment/waves/", views.wave_list, name="wave_list"),
    path("fulfillment/waves/new/", views.wave_create, name="wave_create"),
    path("fulfillment/waves/pick-lists.pdf", views.wave_pick_list_pdf, name="wave_pick_list_pdf"),
    path("fulfillment/waves/<str:number>/", views.wave_detail, name="wave_detail"),
    path("fulfillment/packing-slips.pdf", views.packing_slips_bulk, name="packing_slips_bulk"),
    path("fulfillment/orders/<str:number>/pack/", views.order_pack, name="order_pack"),
    path("fulfillment/shipments/", views.shipment_list, name="shipment_list"),
    path("fulfillment/shipments/export.<str:fmt>", views.shipment_export, name="shipment_export"),
    path("fulfillment/shipments/<str:number>/", views.shipment_detail, name="shipment_detail"),
    path("fulfillment/shipments/<str:number>/scan/", views.shipment_scan, name="shipment_scan"),
    path("fulfillment/shipments/<str:number>/lines/<int:line_id>/remove/", views.shipment_line_remove,
         name="shipment_line_remove"),
    path("fulfillment/shipments/<str:number>/packages/", views.package_add, name="package_add"),
    path("fulfillment/shipments/<str:number>/packages/<int:package_id>/remove/", views.package_remove,
         name="package_remove"),
    path("fulfillment/shipments/<str:number>/pack/", views.shipment_pack, name="shipment_pack"),
    path("fulfillment/shipments/<str:number>/reopen/", views.shipment_reopen, name="shipment_reopen"),
    path("fulfillment/shipments/<str:number>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("fulfillment/shipments/<str:number>/ship/", views.shipment_ship, name="shipment_ship"),
    path("fulfillment/shipments/<str:number>/track/", views.shipment_track, name="shipment_track"),
    path("fulfillment/shipments/<str:number>/deliver/", views.shipment_deliver, name="shipment_deliver"),
    path("fulfillment/shipments/<str:number>/label.pdf", views.shipment_label_pdf, name="shipment_label_pdf"),
    path("fulfillment/shipments/<str:number>/live-rates/", views.shipment_live_rates, name="shipment_live_rates"),
    path("fulfillment/shipments/<str:number>/label/buy/", views.shipment_label_buy, name="shipment_label_buy"),
    path("fulfillment/shipments/<str:number>/label/void/", views.shipment_label_void, name="shipment_label_void"),
    path("fulfillment/shipments/<str:number>/address-check/", views.shipment_address_check,
         name="shipment_address_check"),
    path("fulfillment/shipments/<str:number>/packing-slip.pdf", views.shipment_packing_slip_pdf,
         name="shipment_packing_slip_pdf"),
    path("fulfillment/notifications/<int:pk>/resend/", views.notification_resend, name="notification_resend"),
    path("fulfillment/webhooks/carrier/", views.carrier_webhook, name="carrier_webhook"),
    path("fulfillment/webhooks/easypost/", views.easypost_webhook, name="easypost_webhook"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:token>/", views.track_order, name="track_order"),
]
