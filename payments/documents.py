"""Invoice and credit note PDFs, rendered from HTML templates with xhtml2pdf (pure Python)."""

import io

from django.template.loader import render_to_string
from xhtml2pdf import pisa

from payments.models import Invoice


class PdfRenderError(RuntimeError):
    pass


def html_to_pdf(html: str) -> bytes:
    buffer = io.BytesIO()
    status = pisa.CreatePDF(html, dest=buffer, encoding="utf-8")
    if status.err:
        raise PdfRenderError(f"The PDF could not be rendered ({status.err} errors).")
    return buffer.getvalue()


def invoice_pdf(invoice: Invoice) -> bytes:
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "credit_notes": list(invoice.credit_notes.all()),
    }
    return html_to_pdf(render_to_string("payments/invoice_pdf.html", context))
