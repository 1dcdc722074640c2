"""What every page and document a customer opens through their tracking link sends.

The link itself is the secret: a shared computer, a proxy or a search engine must keep
none of these pages (invoices, return forms, labels, the tracking page).
"""

from functools import wraps

from django.utils.cache import add_never_cache_headers, patch_cache_control


def customer_page(view):
    """Cache-Control: private, no-store; X-Robots-Tag: noindex, nofollow; no Referer to other sites.

    `same-origin`, not `no-referrer`: with `no-referrer` a browser posts the return form with
    `Origin: null`, which Django's CSRF check rightly refuses.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped
