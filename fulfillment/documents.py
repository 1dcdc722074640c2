"""Warehouse paperwork as PDF: pick lists and packing slips from HTML templates (xhtml2pdf,
like the invoices), and the shipping label drawn with reportlab, whose Code 128 barcode
carries the tracking number."""

import io

from django.conf import settings
from django.template.loader import render_to_string
from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from fulfillment.models import Shipment, Wave
from payments.documents import html_to_pdf


def pick_list_pdf(*, waves: list[tuple[Wave, list]]) -> bytes:
    """One document for one or more waves: [(wave, its pick rows)], a page per wave."""
    return html_to_pdf(render_to_string("fulfillment/picklist_pdf.html", {"waves": waves}))


def packing_slips_pdf(*, slips: list[dict]) -> bytes:
    """One document, a page per slip: {"order", "shipment" (or None), "lines": [(order line, qty)]}."""
    return html_to_pdf(render_to_string("fulfillment/packingslip_pdf.html",
                                        {"slips": slips, "seller": settings.OMS_SELLER}))


LABEL_SIZE = (100 * mm, 150 * mm)  # the usual 4 x 6 inch thermal label


def shipping_label_pdf(shipment: Shipment) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE)
    width, height = LABEL_SIZE
    order = shipment.order
    y = height - 10 * mm
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(6 * mm, y, str(shipment.service_level or "Shipment"))
    pdf.setFont("Helvetica", 8)
    y -= 6 * mm
    pdf.drawString(6 * mm, y, f"From: {settings.OMS_SELLER['name']} · {shipment.warehouse}")
    y -= 10 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(6 * mm, y, "SHIP TO")
    pdf.setFont("Helvetica", 11)
    for line in order.shipping_address.lines():
        y -= 5 * mm
        pdf.drawString(6 * mm, y, line[:48])
    y -= 10 * mm
    packages = list(shipment.packages.all())
    weight = sum((p.weight_kg for p in packages), 0)
    pdf.setFont("Helvetica", 9)
    pdf.drawString(6 * mm, y, f"Order {order.number} · Shipment {shipment.number} · "
                              f"{len(packages)} package(s), {weight} kg")
    if shipment.tracking_number:
        barcode = code128.Code128(shipment.tracking_number, barHeight=22 * mm, barWidth=0.38 * mm, humanReadable=True)
        x = max(4 * mm, (width - barcode.width) / 2)
        barcode.drawOn(pdf, x, 20 * mm)
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawCentredString(width / 2, 12 * mm, f"TRACKING {shipment.tracking_number}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def pdfs_joined(documents: list[bytes]) -> bytes:
    """Several PDFs as one document, in order (the carrier's labels printed at once)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for document in documents:
        writer.append(PdfReader(io.BytesIO(document)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
