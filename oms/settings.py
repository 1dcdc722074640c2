"""Settings for the OMS, read from the environment (twelve-factor).

With nothing set, the project runs on a fresh machine: SQLite, Celery tasks run
inline, e-mail printed to the console. `DATABASE_URL` and `REDIS_URL` select
PostgreSQL and Redis. `OMS_ENV=production` turns on the strict checks.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"

OMS_ENV = env.str("OMS_ENV", default="development")
PRODUCTION = OMS_ENV == "production"

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    # A site without DEBUG is a site someone else can reach: never with the published key.
    raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY (and OMS_ENV=production for the other checks).")
if PRODUCTION:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Production needs its own SECRET_KEY (50+ characters), not the development one.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "oms",
    "notifications",
    "orders",
    "inventory",
    "payments",
    "fulfillment",
    "returns",
    "reports",
]

MIDDLEWARE = [
    "oms.middleware.RefuseUnreadableInputMiddleware",  # first: a NUL or broken UTF-8 in the URL is a 400
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oms.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, the seeder and the tests share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
USING_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "oms"}}

# Celery: Redis when REDIS_URL is set; otherwise tasks run inline in the caller.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_RETRY_DELAY = 10
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hang a web request: fail fast and fall back to the outbox.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    "redispatch-deferred-tasks": {"task": "oms.tasks.redispatch_deferred_tasks", "schedule": 60.0},
    # Bounded (200 a run): orders left placed over 2 minutes, e.g. their task died with the broker.
    "orders-verify-stalled": {"task": "orders.tasks.orders_verify_stalled", "schedule": 60.0},
    # CSV imports queued or started a minute ago with no progress since: their task was lost.
    "orders-import-jobs-resume": {"task": "orders.tasks.import_jobs_resume_stalled_task", "schedule": 60.0},
    "inventory-reorder-check": {"task": "inventory.tasks.reorder_alerts_scan_task", "schedule": 15 * 60.0},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:dashboard"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="orders@oms.example")
# Links in e-mails and documents point here; by default at the port `make run` serves on (PORT).
OMS_SITE_URL = env.str("OMS_SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# Commerce defaults.
OMS_DEFAULT_CURRENCY = env.str("OMS_DEFAULT_CURRENCY", default="USD")
OMS_CURRENCIES = {"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "JPY": 0, "KWD": 3}
OMS_PRICES_INCLUDE_TAX = env.bool("OMS_PRICES_INCLUDE_TAX", default=False)
# Default tax rate per product tax class, until a destination-based table replaces it.
OMS_TAX_RATES = {"standard": "0.0800", "reduced": "0.0400", "zero": "0"}
# Hours from placement to the promised ship time, and days in transit, per priority.
OMS_SHIP_BY_HOURS = {"rush": 4, "expedited": 24, "standard": 48}
OMS_TRANSIT_DAYS = {"rush": 1, "expedited": 2, "standard": 5}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Trust X-Forwarded-Proto only behind a proxy that sets it (else any client could claim https).
    if env.bool("OMS_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# -- operations: health, metrics, logs ------------------------------------------------
# JSON logs (python-json-logger), one object per line, in production; plain lines in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
# /metrics answers these addresses (CIDR allowed) or a request with `Authorization: Bearer <OMS_METRICS_TOKEN>`.
OMS_METRICS_ALLOWED_IPS = env.list("OMS_METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
OMS_METRICS_TOKEN = env.str("OMS_METRICS_TOKEN", default="")
# /health/ pings the Celery workers when there is a broker; fails over this share of disk used.
OMS_HEALTH_CELERY = env.bool("OMS_HEALTH_CELERY", default=bool(REDIS_URL) and not CELERY_TASK_ALWAYS_EAGER)
OMS_HEALTH_MAX_DISK_PERCENT = env.float("OMS_HEALTH_MAX_DISK_PERCENT", default=95.0)
INSTALLED_APPS += ["health_check", "django_prometheus"]
MIDDLEWARE = ["django_prometheus.middleware.PrometheusBeforeMiddleware", *MIDDLEWARE,
              "django_prometheus.middleware.PrometheusAfterMiddleware"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": True,
                 "format": "%(levelname)s %(name)s %(message)s %(process)d %(thread)d"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# A submitted order is verified right after commit (a Celery task; inline without Redis).
OMS_AUTO_VERIFY = env.bool("OMS_AUTO_VERIFY", default=True)

# -- payments: gateway, webhooks, invoices ---------------------------------------------
# The payment gateway adapter (dotted path); a real provider's adapter replaces this.
OMS_PAYMENT_GATEWAY = env.str("OMS_PAYMENT_GATEWAY", default="payments.gateways.simulated.SimulatedGateway")
# Seconds the simulated gateway's slow test card takes before it times out.
OMS_SIMULATED_GATEWAY_DELAY = env.float("OMS_SIMULATED_GATEWAY_DELAY", default=2.0)
# Orders captured without card details are approved by the simulated gateway (demo, phone orders).
OMS_SIMULATED_GATEWAY_ACCEPT_EMPTY_SOURCE = env.bool("OMS_SIMULATED_GATEWAY_ACCEPT_EMPTY_SOURCE",
                                                     default=not PRODUCTION)
# Days from issue to the due date of an invoice, per payment method (others: due on issue).
OMS_INVOICE_DUE_DAYS = {"terms": 30, "cod": 14}
# The seller printed on invoices and credit notes.
OMS_SELLER = {
    "name": env.str("OMS_SELLER_NAME", default="OMS Demo Supplies Inc."),
    "address": env.list("OMS_SELLER_ADDRESS", default=["100 Commerce Street", "Springfield, IL 62701", "US"]),
    "tax_id": env.str("OMS_SELLER_TAX_ID", default="US-EIN 12-3456789"),
    "email": env.str("OMS_SELLER_EMAIL", default="billing@oms.example"),
}
CELERY_BEAT_SCHEDULE["invoices-mark-overdue"] = {"task": "payments.tasks.invoices_mark_overdue_task",
                                                  "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["payment-transactions-expire-stale"] = {
    "task": "payments.tasks.payment_transactions_expire_stale_task", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["payments-retry-unknown"] = {"task": "payments.tasks.payments_retry_unknown_task",
                                                  "schedule": 600.0}
# Shared secret the payment provider signs its webhooks with (HMAC-SHA256 of the body).
OMS_PAYMENT_WEBHOOK_SECRET = env.str("OMS_PAYMENT_WEBHOOK_SECRET", default="dev-webhook-secret")
# Stripe (OMS_PAYMENT_GATEWAY=stripe): keys only from the environment, never in the admin or logs.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
# The endpoint's signing secret (whsec_...): Stripe-Signature is checked against it.
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Where the library sends API calls (tests point it at a local fake server).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds to wait for Stripe's answer; after that the outcome is unknown and retried with the same key.
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=30.0)
# Stripe.js, loaded by the card field only when set (it cannot be vendored: Stripe serves it itself).
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="")
if PRODUCTION and OMS_PAYMENT_GATEWAY == "stripe":
    # Without these a production site would take orders it cannot authorize, or ignore Stripe's webhooks.
    _missing = [name for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                                  "STRIPE_JS_URL") if not globals()[name]]
    if _missing:
        raise ImproperlyConfigured(f"OMS_PAYMENT_GATEWAY=stripe needs {', '.join(_missing)} in the environment.")

# -- returns: window, label address ----------------------------------------------------
# Days after delivery (or shipment, when delivery was never confirmed) a customer may return goods.
OMS_RETURN_WINDOW_DAYS = env.int("OMS_RETURN_WINDOW_DAYS", default=30)
# Where customers send returns (printed on the return label).
OMS_RETURN_ADDRESS = env.list("OMS_RETURN_ADDRESS", default=[
    "OMS Demo Supplies Inc. · Returns", "100 Commerce Street, Dock 3", "Springfield, IL 62701", "US"])
# Refunds by line the gateway has not answered are finished by a sweep (the payment's key pays them once).
CELERY_BEAT_SCHEDULE["refunds-settle-pending"] = {"task": "returns.tasks.refunds_settle_pending_task",
                                                  "schedule": 120.0}
# -- fulfillment: carriers, tracking ---------------------------------------------------
# Shared secret carriers sign their tracking webhooks with (HMAC-SHA256 of the body).
OMS_CARRIER_WEBHOOK_SECRET = env.str("OMS_CARRIER_WEBHOOK_SECRET", default="dev-carrier-webhook-secret")
# EasyPost, for service levels whose provider is EasyPost (chosen per service level in the admin).
EASYPOST_API_KEY = env.str("EASYPOST_API_KEY", default="")
EASYPOST_API_BASE = env.str("EASYPOST_API_BASE", default="https://api.easypost.com/v2")
# The secret EasyPost signs its webhooks with (X-Hmac-Signature); empty refuses every EasyPost webhook.
EASYPOST_WEBHOOK_SECRET = env.str("EASYPOST_WEBHOOK_SECRET", default="")
EASYPOST_TIMEOUT = env.int("EASYPOST_TIMEOUT", default=20)
EASYPOST_LABEL_FORMAT = env.str("EASYPOST_LABEL_FORMAT", default="PDF")  # or ZPL for thermal printers
# Where parcels leave from, as the carrier needs it on the label.
OMS_SHIP_FROM = {
    "company": env.str("OMS_SHIP_FROM_COMPANY", default="OMS Demo Supplies Inc."),
    "street1": env.str("OMS_SHIP_FROM_STREET", default="100 Commerce Street"),
    "city": env.str("OMS_SHIP_FROM_CITY", default="Springfield"),
    "state": env.str("OMS_SHIP_FROM_STATE", default="IL"),
    "zip": env.str("OMS_SHIP_FROM_ZIP", default="62701"),
    "country": env.str("OMS_SHIP_FROM_COUNTRY", default="US"),
    "phone": env.str("OMS_SHIP_FROM_PHONE", default="2175550100"),
}
# Customer tracking lookups (order number + e-mail) allowed per IP address and window.
OMS_TRACKING_LOOKUP_LIMIT = env.int("OMS_TRACKING_LOOKUP_LIMIT", default=10)
OMS_TRACKING_LOOKUP_WINDOW = env.int("OMS_TRACKING_LOOKUP_WINDOW", default=600)
# Behind a reverse proxy every request comes from the proxy: name the header it puts the
# client's address in (e.g. HTTP_X_FORWARDED_FOR; its last entry is used, the one the proxy added).
OMS_CLIENT_IP_HEADER = env.str("OMS_CLIENT_IP_HEADER", default="")
CELERY_BEAT_SCHEDULE["orders-complete-settled"] = {"task": "orders.tasks.orders_complete_settled_sweep",
                                                   "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["shipments-flag-late"] = {"task": "fulfillment.tasks.shipments_flag_late_task",
                                               "schedule": 3600.0}
# Messages whose next attempt has come: a lost task, a failure after its backoff, a dead sender.
CELERY_BEAT_SCHEDULE["notifications-send-due"] = {"task": "notifications.tasks.notifications_send_due_task",
                                                  "schedule": 60.0}
# How long a fresh message waits for its own task before the sweep sends it.
OMS_NOTIFICATION_GRACE_SECONDS = env.int("OMS_NOTIFICATION_GRACE_SECONDS", default=120)

# -- staff sign-in: login throttling, two-factor, audit trail, content security policy ----
# Kept in one block so that it merges apart from the other settings.
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static",
                   "simple_history", "csp", "accounts", "audit"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
                  "accounts.middleware.SecondFactorRequiredMiddleware")
MIDDLEWARE += [
    "simple_history.middleware.HistoryRequestMiddleware",  # the audit trail records who made a change
    "accounts.middleware.SerializedLoginAttemptsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into the lockout page
]
# Axes checks (and refuses) a locked-out user or address before any password is tried.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# Login throttling (django-axes): after OMS_LOGIN_FAILURE_LIMIT failures a username is locked out,
# and so is the client address (each counted on its own), for OMS_LOGIN_LOCKOUT_MINUTES or until
# an admin unlocks it (admin: Axes → Access attempts, or `manage.py axes_reset_username NAME`).
AXES_FAILURE_LIMIT = env.int("OMS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("OMS_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False  # a sign-in clears its own username's count only (accounts.receivers)
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_CLIENT_IP_CALLABLE = "oms.client_address.client_ip_address"  # honours OMS_CLIENT_IP_HEADER
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # failures and lockouts, not every success

# Two-factor sign-in (django-otp, TOTP and single-use backup codes) for staff in these roles:
# group names, plus "admin" for anyone who can open the Django admin (staff and superusers).
# Production requires it of finance, managers and admins; development asks nobody by default so
# that the demo logins of `make run` work as printed (the tests run with the production value).
OMS_TWO_FACTOR_ROLES = env.list("OMS_TWO_FACTOR_ROLES",
                                default=["finance", "manager", "admin"] if PRODUCTION else [])
OTP_TOTP_ISSUER = env.str("OMS_TWO_FACTOR_ISSUER", default="OMS")
# The admin never shows a device's secret or QR code: an admin removes a lost device, the person enrols
# again (django-otp's own config and QR pages would also answer a missing device with a server error).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OMS_BACKUP_CODE_COUNT = 10

# Content-Security-Policy (django-csp): scripts only from our own static files (no inline
# script, no event-handler attribute, no eval); stylesheets only from our static files too,
# while style attributes stay allowed (they cannot run code; the KPI bars are sized by them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}
if STRIPE_JS_URL:
    # Stripe's card field: Stripe.js comes from Stripe, draws the card input in Stripe's frame
    # and posts the card to Stripe's API (STRIPE_CSP_ORIGINS lists where, as Stripe documents it).
    STRIPE_CSP_ORIGINS = env.list("STRIPE_CSP_ORIGINS", default=[
        "https://js.stripe.com", "https://hooks.stripe.com", "https://api.stripe.com"])
    for _directive in ("script-src", "frame-src", "connect-src"):
        CONTENT_SECURITY_POLICY["DIRECTIVES"].setdefault(_directive, ["'self'"]).extend(STRIPE_CSP_ORIGINS)
