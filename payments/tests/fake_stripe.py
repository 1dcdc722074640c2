"""A local Stripe API for tests: the part of it the Stripe gateway uses, answering as Stripe's
published API reference does (no internet here).

Requests are form-encoded (`metadata[key]=value`, `payment_method_types[0]=card`) with a
bearer secret key; answers are JSON objects (`"object": "payment_intent"`, `"refund"`,
`"payment_method"`) or `{"error": {"type", "code", "decline_code", "message", ...}}` with
Stripe's status codes (400, 401, 402, 404, 5xx). A repeated `Idempotency-Key` gets the
first answer back (`Idempotent-Replayed: true`); the same key with other parameters is an
`idempotency_error`. Test payment methods are Stripe's: `pm_card_visa` is approved,
`pm_card_chargeDeclined` and `pm_card_chargeDeclinedInsufficientFunds` are declined,
`pm_card_authenticationRequired` needs 3-D Secure. An intent that asks for
`payment_method_options[card][request_incremental_authorization]` or `[request_multicapture]`
(`if_available`) gets them on its charge (`payment_method_details.card.incremental_authorization`
/ `.multicapture`, `available`), except on `pm_card_discover`, whose bank grants neither.

Tests steer it: `answer_late(seconds)` carries out the next call but answers after the
client gave up (a lost answer); `fail_next(status, body)` answers the next call with an error
or a malformed body without carrying it out; `decline_increments(code)` makes the issuer decline
every later incremental authorization.
"""

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_test_fake"
CARDS = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_chargeDeclined": ("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
    "pm_card_authenticationRequired": ("visa", "3184", "authentication_required"),
    "pm_card_discover": ("discover", "1117", None),
}
WITHOUT_CARD_FEATURES = {"pm_card_discover"}
MAX_INCREMENTS = 10


# Stands in for Stripe.js at GET /v3/ (browser tests): a card input in the page instead of Stripe's
# frame, and createPaymentMethod answering with Stripe's test payment methods.
STRIPE_JS_STAND_IN = """
window.Stripe = function () {
  return {
    elements: function () {
      return {create: function () {
        var input = document.createElement("input"), handlers = {};
        input.setAttribute("aria-label", "Stripe card number");
        return {
          input: input,
          mount: function (element) {
            element.appendChild(input);
            input.addEventListener("input", function () { (handlers.change || Object)({empty: !input.value}); });
          },
          on: function (name, handler) { handlers[name] = handler; }
        };
      }};
    },
    createPaymentMethod: function (options) {
      var ids = {"4242424242424242": "pm_card_visa", "4000000000000002": "pm_card_chargeDeclined"};
      var id = ids[options.card.input.value.replace(/\\D/g, "")];
      return Promise.resolve(id ? {paymentMethod: {id: id}} : {error: {message: "Your card number is invalid."}});
    }
  };
};
"""


def form_decode(body: str) -> dict:
    """`a[b]=1&c[0]=x` as Stripe reads it: {"a": {"b": "1"}, "c": ["x"]}."""
    params: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        target = params
        for part, following in zip(parts, parts[1:]):
            target = target.setdefault(part, [] if following.isdigit() else {})
            if isinstance(target, list):
                break
        if isinstance(target, list):
            target.append(value)
        else:
            target[parts[-1]] = value
    return params


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends with a webhook: t=<time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, **fields):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": type_, "message": message, **fields}}


class FakeStripe:
    def __init__(self):
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []
        self._answers: dict[str, tuple[str, dict, int, dict]] = {}
        self._late: float = 0.0
        self._faults: list[tuple[int, bytes]] = []
        self._increment_decline: str | None = None
        self._increments: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- steering -------------------------------------------------------------------

    def answer_late(self, seconds: float) -> None:
        self._late = seconds

    def fail_next(self, status: int, body: dict | str) -> None:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self._faults.append((status, raw))

    def decline_increments(self, code: str = "insufficient_funds") -> None:
        self._increment_decline = code

    def posts(self, path: str) -> list[dict]:
        return [params for method, request_path, params, _ in self.requests if method == "POST" and request_path == path]

    def event(self, type_: str, obj: dict) -> bytes:
        """A webhook body as Stripe sends it for `obj` (a copy taken now)."""
        return json.dumps({
            "id": self._id("evt"), "object": "event", "api_version": "2025-09-30.clover", "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": type_,
        }).encode()

    def charge(self, intent_id: str) -> dict:
        intent = self.intents[intent_id]
        refunds = [refund for refund in self.refunds.values() if refund["payment_intent"] == intent_id]
        return {"id": intent["latest_charge"], "object": "charge", "amount": intent["amount"],
                "amount_captured": intent["amount_received"], "currency": intent["currency"],
                "payment_method_details": {"type": "card", "card": {
                    "incremental_authorization": {"status": self._card_feature(intent, "incremental_authorization")},
                    "multicapture": {"status": self._card_feature(intent, "multicapture")}}},
                "amount_refunded": sum(refund["amount"] for refund in refunds), "payment_intent": intent_id,
                "captured": intent["amount_received"] > 0, "refunded": False,
                "refunds": {"object": "list", "data": refunds, "has_more": False}}

    def dispute(self, intent_id: str, *, reason: str = "fraudulent") -> dict:
        intent = self.intents[intent_id]
        return {"id": self._id("dp"), "object": "dispute", "amount": intent["amount_received"],
                "currency": intent["currency"], "charge": intent["latest_charge"], "payment_intent": intent_id,
                "reason": reason, "status": "needs_response", "created": int(time.time())}

    # -- server ---------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        params = form_decode(handler.rfile.read(length).decode()) if length else {}
        path, _, query = handler.path.partition("?")
        if method == "GET" and query:
            params = form_decode(query)
        headers = {"Request-Id": self._id("req")}
        if method == "GET" and path == "/v3/":
            return self._send(handler, 200, STRIPE_JS_STAND_IN.encode(), {"Content-Type": "text/javascript"})
        with self._lock:
            self.requests.append((method, path, params, dict(handler.headers)))
            late, self._late = (self._late, 0.0) if method == "POST" else (0.0, self._late)
            if self._faults:
                status, raw = self._faults.pop(0)
                return self._send(handler, status, raw, headers)
            status, body = self._answer(handler, method, path, params, headers)
        if late:
            time.sleep(late)
        self._send(handler, status, json.dumps(body).encode(), headers)

    def _answer(self, handler, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        if handler.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"error": {"type": "invalid_request_error",
                                   "message": "Invalid API Key provided: sk_test_****wxyz"}}
        key = handler.headers.get("Idempotency-Key")
        if method == "POST" and key:
            if key in self._answers:
                first_path, first_params, status, body = self._answers[key]
                if (first_path, first_params) != (path, params):
                    return 400, {"error": {"type": "idempotency_error", "message": (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different "
                        "request.")}}
                headers["Idempotent-Replayed"] = "true"
                return status, body
        try:
            status, body = 200, self._route(method, path, params)
        except ApiError as exc:
            status, body = exc.status, exc.body
        if method == "POST" and key and status != 400:
            self._answers[key] = (path, params, status, json.loads(json.dumps(body)))
        return status, body

    @staticmethod
    def _send(handler, status: int, raw: bytes, headers: dict) -> None:
        try:
            handler.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a lost answer)
            pass

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # -- the API --------------------------------------------------------------------

    def _route(self, method: str, path: str, params: dict) -> dict:
        if method == "POST" and path == "/v1/payment_intents":
            return self._intent_create(params)
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)/(capture|cancel|increment_authorization)", path)
        if method == "POST" and match:
            intent = self._intent(match[1])
            step = {"capture": self._capture, "cancel": lambda intent, params: self._cancel(intent),
                    "increment_authorization": self._increment}[match[2]]
            return step(intent, params)
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)", path)
        if method == "GET" and match:
            intent = dict(self._intent(match[1]))
            if "latest_charge" in params.get("expand", []) and intent["latest_charge"]:
                intent["latest_charge"] = self.charge(intent["id"])
            return intent
        if method == "POST" and path == "/v1/refunds":
            return self._refund(params)
        match = re.fullmatch(r"/v1/payment_methods/([^/]+)", path)
        if method == "GET" and match:
            if match[1] not in CARDS:
                raise _missing("payment_method", match[1])
            brand, last4, _ = CARDS[match[1]]
            return {"id": match[1], "object": "payment_method", "type": "card", "livemode": False,
                    "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034, "funding": "credit"}}
        raise ApiError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _intent(self, intent_id: str) -> dict:
        if intent_id not in self.intents:
            raise _missing("payment_intent", intent_id)
        return self.intents[intent_id]

    def _intent_create(self, params: dict) -> dict:
        try:
            amount = int(params["amount"])
            currency = params["currency"]
        except (KeyError, ValueError):
            raise ApiError(400, "invalid_request_error", "Missing required param: amount.",
                           code="parameter_missing", param="amount") from None
        if amount < 1:
            raise ApiError(400, "invalid_request_error", "Amount must be at least 1.", code="amount_too_small",
                           param="amount")
        method = params.get("payment_method", "")
        if method not in CARDS:
            raise _missing("payment_method", method)
        intent = {
            "id": self._id("pi"), "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_received": 0, "capture_method": params.get("capture_method", "automatic_async"),
            "confirmation_method": "automatic", "currency": currency, "created": int(time.time()),
            "latest_charge": None, "last_payment_error": None, "livemode": False,
            "metadata": dict(params.get("metadata", {})), "payment_method": method,
            "payment_method_types": params.get("payment_method_types", ["card"]), "status": "requires_confirmation",
            "canceled_at": None, "cancellation_reason": None, "payment_method_options": {
                "card": dict(params.get("payment_method_options", {}).get("card", {}))},
        }
        self.intents[intent["id"]] = intent
        if params.get("confirm") != "true":
            return intent
        decline = CARDS[method][2]
        if decline == "authentication_required":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            return intent
        intent["latest_charge"] = self._id("ch")
        if decline:
            error = {"type": "card_error", "code": "card_declined", "decline_code": decline,
                     "message": "Your card was declined." if decline == "generic_decline" else
                     "Your card has insufficient funds.", "charge": intent["latest_charge"],
                     "doc_url": "https://stripe.com/docs/error-codes/card-declined"}
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = error
            raise ApiError(402, "card_error", error["message"], code="card_declined", decline_code=decline,
                           charge=intent["latest_charge"], payment_intent=dict(intent))
        if intent["capture_method"] == "manual":
            intent["status"], intent["amount_capturable"] = "requires_capture", amount
        else:
            intent["status"], intent["amount_received"] = "succeeded", amount
        return intent

    def _capture(self, intent: dict, params: dict) -> dict:
        if intent["status"] != "requires_capture":
            raise _unexpected_state(intent, "captured", "requires_capture")
        amount = int(params.get("amount_to_capture", intent["amount_capturable"]))
        if not 0 < amount <= intent["amount_capturable"]:
            raise ApiError(400, "invalid_request_error", "The amount to capture must be at most the amount "
                           "capturable.", code="amount_too_large", param="amount_to_capture")
        final = params.get("final_capture", "true") != "false"
        if not final and self._card_feature(intent, "multicapture") != "available":
            raise ApiError(400, "invalid_request_error", "final_capture can only be set to false when multicapture "
                           "is available for this PaymentIntent.", param="final_capture")
        left = intent["amount_capturable"] - amount
        intent.update(amount_received=intent["amount_received"] + amount,
                      amount_capturable=0 if final else left,
                      status="succeeded" if final or not left else "requires_capture")
        intent["metadata"].update(params.get("metadata", {}))
        return intent

    def _increment(self, intent: dict, params: dict) -> dict:
        if intent["status"] != "requires_capture" or intent["amount_received"]:
            raise _unexpected_state(intent, "incremented", "requires_capture (not captured in part)")
        if self._card_feature(intent, "incremental_authorization") != "available":
            raise ApiError(400, "invalid_request_error", "This PaymentIntent is not eligible for incremental "
                           "authorizations: incremental_authorization_supported is false for its charge.",
                           payment_intent=dict(intent))
        self._increments[intent["id"]] = self._increments.get(intent["id"], 0) + 1
        if self._increments[intent["id"]] > MAX_INCREMENTS:
            raise ApiError(400, "invalid_request_error", "This PaymentIntent has reached the maximum of 10 "
                           "incremental authorization attempts.")
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            raise ApiError(400, "invalid_request_error", "Missing required param: amount.",
                           code="parameter_missing", param="amount") from None
        if amount <= intent["amount"]:
            raise ApiError(400, "invalid_request_error", "The amount must be greater than the currently authorized "
                           f"amount ({intent['amount']}).", param="amount")
        if self._increment_decline:
            raise ApiError(402, "card_error", "Your card has insufficient funds.", code="card_declined",
                           decline_code=self._increment_decline, payment_intent=dict(intent))
        intent.update(amount=amount, amount_capturable=amount)
        intent["metadata"].update(params.get("metadata", {}))
        return intent

    @staticmethod
    def _card_feature(intent: dict, feature: str) -> str:
        requested = intent["payment_method_options"]["card"].get(f"request_{feature}") == "if_available"
        return "available" if requested and intent["payment_method"] not in WITHOUT_CARD_FEATURES else "unavailable"

    def _cancel(self, intent: dict) -> dict:
        if intent["status"] not in ("requires_payment_method", "requires_capture", "requires_confirmation",
                                    "requires_action"):
            raise _unexpected_state(intent, "canceled", "requires_payment_method, requires_capture, "
                                                        "requires_confirmation, requires_action")
        intent.update(status="canceled", amount_capturable=0, canceled_at=int(time.time()))
        return intent

    def _refund(self, params: dict) -> dict:
        intent = self._intent(params.get("payment_intent", ""))
        if not intent["amount_received"]:
            raise ApiError(400, "invalid_request_error", f"This PaymentIntent ({intent['id']}) does not have a "
                           "successful charge to refund.", code="charge_not_refundable")
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        left = intent["amount_received"] - refunded
        amount = int(params.get("amount", left))
        if left <= 0:
            raise ApiError(400, "invalid_request_error", f"Charge {intent['latest_charge']} has already been "
                           "refunded.", code="charge_already_refunded")
        if not 0 < amount <= left:
            raise ApiError(400, "invalid_request_error", f"Refund amount ({amount}) is greater than unrefunded "
                           f"amount on charge ({left})", code="amount_too_large", param="amount")
        refund = {"id": self._id("re"), "object": "refund", "amount": amount, "charge": intent["latest_charge"],
                  "currency": intent["currency"], "payment_intent": intent["id"], "status": "succeeded",
                  "metadata": dict(params.get("metadata", {})), "reason": params.get("reason"),
                  "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        return refund


def _missing(kind: str, identifier: str) -> ApiError:
    return ApiError(404, "invalid_request_error", f"No such {kind.replace('_', '')}: '{identifier}'",
                    code="resource_missing", param="id" if kind != "payment_method" else "payment_method")


def _unexpected_state(intent: dict, verb: str, allowed: str) -> ApiError:
    return ApiError(400, "invalid_request_error", f"This PaymentIntent could not be {verb} because it has a status "
                    f"of {intent['status']}. Only a PaymentIntent with one of the following statuses may be {verb}: "
                    f"{allowed}.", code="payment_intent_unexpected_state", payment_intent=dict(intent))
