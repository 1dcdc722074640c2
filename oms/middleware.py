"""Requests refused before any view reads them.

A NUL character or text that is not valid UTF-8 (a lone surrogate, a broken percent escape)
in the path or the query string can never name a record or a filter value: PostgreSQL
refuses NUL in text and Python refuses to encode a surrogate, deep inside whichever view
got it first. One check here answers such a request with 400 for every URL at once.
"""

from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def unreadable_url_part(request: HttpRequest) -> str | None:
    """"path" or "query string" when that part holds a NUL or is not valid UTF-8, else None."""
    # PATH_INFO holds the raw bytes of the path, already unquoted by the server, as latin-1.
    raw_path = request.META.get("PATH_INFO", "").encode("iso-8859-1", errors="replace")
    raw_query = unquote_to_bytes(request.META.get("QUERY_STRING", ""))
    for where, raw in (("path", raw_path), ("query string", raw_query)):
        if b"\x00" in raw:
            return where
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return where
    return None


class RefuseUnreadableInputMiddleware:
    """400, not a 500 from deep inside a view, for a URL no record or filter can match."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = unreadable_url_part(request)
        if where is None:
            return self.get_response(request)
        message = f"The {where} of this address contains a NUL character or text that is not valid UTF-8."
        if request.META.get("PATH_INFO", "").startswith("/api/"):
            return JsonResponse({"errors": {"url": [message]}}, status=400)
        return HttpResponse(render_to_string("400.html", {"message": message}), status=400)
