"""A local stand-in for EasyPost's API (v2), answering as its published reference does: addresses
with verifications, shipments with rates, buy (postage label, tracking code, tracker), retrieve,
refund, the label files, and signed Event objects for the webhook. The `easypost` library talks
to it through EASYPOST_API_BASE; tests script failures (an HTTP status, a delay, garbage) per
operation and read what was bought."""

import base64
import hashlib
import hmac
import io
import itertools
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "EZTK_test_key"
WEBHOOK_SECRET = "easypost-webhook-secret"
RATES = [("USPS", "Priority", "7.47", 2), ("USPS", "GroundAdvantage", "5.12", 5), ("UPS", "Ground", "9.80", 4)]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(288, 432))
    pdf.drawString(20, 400, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class FakeEasyPost:
    def __init__(self):
        self.shipments: dict[str, dict] = {}
        self.calls: list[str] = []  # the operations in the order they were asked
        self.answered: list[str] = []  # the operations whose answers were made
        self.script: dict[str, list[tuple]] = {}  # operation -> actions for its next calls
        self.slow: dict[str, float] = {}  # operation -> seconds every call of it takes
        self.lock = threading.Lock()
        self._tracking = itertools.count(9405500105440000000001)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_base = f"{self.base}/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeEasyPost":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def then(self, operation: str, *action) -> None:
        """The next call of `operation` gets `action`: ("status", code, message), ("delay", s) or ("garbage",)."""
        self.script.setdefault(operation, []).append(action)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def wait_for(self, operation: str, seconds: float = 5) -> None:
        """Until every call of `operation` asked so far has been answered (or `seconds` passed)."""
        deadline = time.monotonic() + seconds
        while self.answered.count(operation) < self.count(operation) and time.monotonic() < deadline:
            time.sleep(0.05)

    def bought(self) -> list[dict]:
        return [s for s in self.shipments.values() if s["postage_label"]]

    # -- webhooks as EasyPost sends them -------------------------------------------------------
    def tracker_event(self, *, tracking_code: str, status: str, secret: str = WEBHOOK_SECRET,
                      event_id: str | None = None, city: str = "Springfield") -> tuple[bytes, str]:
        """(body, X-Hmac-Signature header) of a tracker.updated Event."""
        tracker = {"id": _id("trk"), "object": "Tracker", "mode": "test", "tracking_code": tracking_code,
                   "status": status, "status_detail": "status_update", "carrier": "USPS",
                   "public_url": f"https://track.easypost.com/{tracking_code}",
                   "tracking_details": [{"object": "TrackingDetail", "message": f"Now {status}", "status": status,
                                         "datetime": _now(), "source": "USPS",
                                         "tracking_location": {"object": "TrackingLocation", "city": city,
                                                               "state": "IL", "country": "US", "zip": None}}]}
        event = {"object": "Event", "id": event_id or _id("evt"), "mode": "test", "description": "tracker.updated",
                 "previous_attributes": {"status": "pre_transit"}, "result": tracker, "status": "pending",
                 "pending_urls": [], "completed_urls": [], "created_at": _now(), "updated_at": _now()}
        body = json.dumps(event).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, f"hmac-sha256-hex={digest}"

    # -- the API ------------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: dict, authorized: bool):
        if not authorized:
            return 401, {"error": {"code": "APIKEY.REQUIRED", "message": "Invalid or missing API Key.", "errors": []}}
        routes = [
            ("POST", r"/v2/addresses", "address", self._address),
            ("POST", r"/v2/shipments", "create", self._create),
            ("GET", r"/v2/shipments/(shp_\w+)", "retrieve", self._retrieve),
            ("POST", r"/v2/shipments/(shp_\w+)/buy", "buy", self._buy),
            ("POST", r"/v2/shipments/(shp_\w+)/refund", "refund", self._refund),
        ]
        for verb, pattern, operation, handler in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                self.calls.append(operation)
                try:
                    scripted = self._scripted(operation)
                    if scripted is not None:
                        return scripted
                    with self.lock:
                        return handler(body, *match.groups())
                finally:
                    self.answered.append(operation)
        return 404, {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found.",
                               "errors": []}}

    def _scripted(self, operation: str):
        time.sleep(self.slow.get(operation, 0))
        actions = self.script.get(operation) or []
        if not actions:
            return None
        action = actions.pop(0)
        if action[0] == "delay":
            time.sleep(action[1])
            return None
        if action[0] == "garbage":
            return 200, "<html>502 Bad Gateway</html>"
        return action[1], {"error": {"code": "SCRIPTED", "message": action[2], "errors": []}}

    @staticmethod
    def _error(code: str, message: str, status: int = 422):
        return status, {"error": {"code": code, "message": message, "errors": []}}

    def _address(self, body: dict):
        data = body.get("address") or {}
        ok = "UNDELIVERABLE" not in str(data.get("street1", "")).upper()
        errors = [] if ok else [{"code": "E.ADDRESS.NOT_FOUND", "field": "address", "message": "Address not found",
                                 "suggestion": None}]
        address = {"id": _id("adr"), "object": "Address", "mode": "test", "created_at": _now(), "updated_at": _now(),
                   **{k: data.get(k) for k in ("name", "company", "street1", "street2", "city", "state", "zip",
                                                "country", "phone", "email")},
                   "verifications": {"delivery": {"success": ok, "errors": errors, "details": {}},
                                     "zip4": {"success": ok, "errors": errors, "details": None}}}
        return 201, address

    def _create(self, body: dict):
        data = body.get("shipment") or {}
        shipment_id = _id("shp")
        rates = [{"id": _id("rate"), "object": "Rate", "mode": "test", "carrier": carrier, "service": service,
                  "rate": price, "currency": "USD", "delivery_days": days, "est_delivery_days": days,
                  "shipment_id": shipment_id, "carrier_account_id": "ca_test"} for carrier, service, price, days in RATES]
        shipment = {"id": shipment_id, "object": "Shipment", "mode": "test", "created_at": _now(),
                    "updated_at": _now(), "reference": data.get("reference"), "status": "unknown",
                    "to_address": data.get("to_address"), "from_address": data.get("from_address"),
                    "parcel": {"id": _id("prcl"), "object": "Parcel", **(data.get("parcel") or {})},
                    "options": data.get("options") or {}, "rates": rates, "messages": [], "selected_rate": None,
                    "postage_label": None, "tracking_code": None, "tracker": None, "refund_status": None,
                    "fees": []}
        self.shipments[shipment_id] = shipment
        return 201, shipment

    def _retrieve(self, body: dict, shipment_id: str):
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return self._error("NOT_FOUND", "The requested resource could not be found.", 404)
        return 200, shipment

    def _buy(self, body: dict, shipment_id: str):
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return self._error("NOT_FOUND", "The requested resource could not be found.", 404)
        if shipment["postage_label"]:
            return self._error("SHIPMENT.POSTAGE.EXISTS", "Shipment already has postage.")
        rate = next((r for r in shipment["rates"] if r["id"] == (body.get("rate") or {}).get("id")), None)
        if rate is None:
            return self._error("SHIPMENT.RATE.INVALID", "Rate not found for this shipment.")
        fmt = (shipment["options"].get("label_format") or "PNG").upper()
        url = f"{self.base}/files/postage_label/{shipment_id}.{fmt.lower()}"
        code = str(next(self._tracking))
        shipment.update(
            selected_rate=rate, tracking_code=code, status="unknown", updated_at=_now(),
            postage_label={"object": "PostageLabel", "id": _id("pl"), "label_date": _now(), "label_size": "4x6",
                           "label_resolution": 300, "label_file_type": "application/pdf" if fmt == "PDF" else
                           "application/zpl", "label_url": url, "label_pdf_url": url if fmt == "PDF" else None,
                           "label_zpl_url": url if fmt == "ZPL" else None, "label_epl2_url": None,
                           "label_file": None},
            tracker={"id": _id("trk"), "object": "Tracker", "mode": "test", "tracking_code": code,
                     "status": "pre_transit", "carrier": rate["carrier"], "shipment_id": shipment_id,
                     "public_url": f"https://track.easypost.com/{code}", "tracking_details": []})
        return 200, shipment

    def _refund(self, body: dict, shipment_id: str):
        shipment = self.shipments.get(shipment_id)
        if shipment is None or not shipment["postage_label"]:
            return self._error("SHIPMENT.REFUND.INVALID", "This shipment has no postage to refund.")
        shipment["refund_status"] = "submitted"
        return 200, shipment

    def label_file(self, path: str) -> bytes | None:
        match = re.fullmatch(r"/files/postage_label/(shp_\w+)\.(pdf|zpl)", path)
        if not match or match.group(1) not in self.shipments:
            return None
        code = self.shipments[match.group(1)]["tracking_code"]
        return _pdf(f"USPS label {code}") if match.group(2) == "pdf" else f"^XA^FD{code}^FS^XZ".encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _respond(self, status: int, payload, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout under test)

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        path = self.path.split("?")[0]
        if path.startswith("/files/"):
            if method == "GET" and "file" in fake.slow:
                time.sleep(fake.slow["file"])
            content = fake.label_file(path)
            self._respond(200, content, "application/pdf") if content else self._respond(404, {"error": "no file"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        authorization = self.headers.get("Authorization") or ""
        basic = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()  # both forms the reference allows
        status, payload = fake.answer(method, path, body, authorization in (f"Bearer {API_KEY}", basic))
        self._respond(status, payload)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")
