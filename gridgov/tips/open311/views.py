"""The GeoReport v2 endpoints: plain Django views (the answers are XML or JSON and errors follow the spec's own
format, which a Ninja router would not give), CSRF-exempt, without sessions: a POST authenticates with its
``api_key``, reads are public.

The format comes from the suffix (``services.xml``, ``requests.json``); without one, from the ``format``
parameter, and XML (GeoReport v2's required format) otherwise.
"""

import functools
import json

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt
from ninja.throttling import SimpleRateThrottle

from gridgov.accounts.services import api_token_authenticate
from gridgov.tips.open311 import documents, selectors
from gridgov.tips.open311.errors import Open311Error, bad_request, error_response, forbidden
from gridgov.tips.open311.params import MAX_RESULTS, clean_text, comma_list, request_window, statuses_param
from gridgov.tips.open311.render import FORMATS, XML, render
from gridgov.tips.open311.services import open311_request_create, receipt_notice
from gridgov.tips.services import tip_by_tracking_code

ADD_TIP_PERMISSION = "tips.add_tip"


class Open311Throttle(SimpleRateThrottle):
    """The API's limits, on a bucket of Open311's own: per client address for reads, per account for writes."""

    scope = "open311"

    def __init__(self, rate: str, key: str):
        self.key_part = key
        super().__init__(rate)

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.key_part or self.get_ident(request)}


def _throttle(request, *, user=None) -> None:
    if user is not None:
        rate = getattr(settings, "GRIDGOV_OPEN311_USER_RATE", settings.GRIDGOV_API_USER_RATE)
        throttle = Open311Throttle(rate, f"user{user.pk}")
    else:
        rate = getattr(settings, "GRIDGOV_OPEN311_RATE", settings.GRIDGOV_API_ANON_RATE)
        throttle = Open311Throttle(rate, "")
    if not throttle.allow_request(request):
        wait = throttle.wait()
        raise Open311Error(
            429, "too many requests: slow down", headers={"Retry-After": str(int(wait or 60) + 1)}
        )


def _format(request, fmt: str | None) -> str:
    if fmt is None:
        fmt = request.GET.get("format") or XML
    return fmt.lower() if isinstance(fmt, str) else XML


def open311_endpoint(*methods: str):
    """Format, method check, error rendering and (for reads) throttling around an endpoint ``fn(request, fmt,
    **kwargs)``."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(fn):
        @csrf_exempt
        @functools.wraps(fn)
        def view(request, fmt: str | None = None, **kwargs):
            fmt = _format(request, fmt)
            answer_fmt = fmt if fmt in FORMATS else XML
            try:
                if fmt not in FORMATS:
                    raise bad_request("format: must be xml or json")
                if request.method not in allowed:
                    raise Open311Error(405, f"method: {request.method} is not allowed here")
                if request.method != "POST":
                    _throttle(request)
                if "\x00" in request.path:
                    raise bad_request("path: contains a NUL character")
                if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
                    raise bad_request("query: contains a NUL character")
                response = fn(request, fmt, **kwargs)
            except Open311Error as error:
                response = error_response(error, answer_fmt)
                if error.status == 405:
                    response["Allow"] = ", ".join(sorted(allowed))
            if request.method in ("GET", "HEAD"):
                # Public data without credentials: a civic-tech web page on another origin may read it.
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return view

    return decorate


@open311_endpoint("GET")
def discovery(request, fmt):
    return render("discovery", documents.discovery_document(request), fmt)


@open311_endpoint("GET")
def service_list(request, fmt):
    selectors.open311_jurisdiction(request.GET.get("jurisdiction_id"))
    services = [documents.service_document(c) for c in selectors.open311_services()]
    return render("services", services, fmt)


@open311_endpoint("GET")
def service_definition(request, fmt, service_code):
    county = selectors.open311_jurisdiction(request.GET.get("jurisdiction_id"))
    service = selectors.open311_service(service_code)
    return render("service_definition", documents.service_definition(service, county), fmt)


def _bearer(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _post_data(request):
    """Form or multipart parameters (GeoReport v2), or a JSON object for clients that send one."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise bad_request("body: not valid JSON") from None
        if not isinstance(data, dict):
            raise bad_request("body: must be a JSON object")
        return data
    return request.POST


@open311_endpoint("GET", "POST")
def requests_collection(request, fmt):
    if request.method == "POST":
        return _create_request(request, fmt)
    params = request.GET
    county = selectors.open311_jurisdiction(params.get("jurisdiction_id"))
    ids = comma_list(params.get("service_request_id"), "service_request_id")
    if ids:  # GeoReport v2: a list of ids overrides every other parameter
        cases = selectors.open311_request_list(county=county, ids=ids)
    else:
        codes = comma_list(params.get("service_code"), "service_code", limit=200)
        unknown = selectors.unknown_service_codes(codes) if codes else []
        if unknown:
            raise bad_request(*(f"service_code: {code[:100]} not found" for code in unknown))
        cases = selectors.open311_request_list(
            county=county,
            window=request_window(params.get("start_date"), params.get("end_date")),
            service_codes=codes,
            statuses=statuses_param(params.get("status")),
            limit=MAX_RESULTS,
        )
    return render("service_requests", selectors.request_documents(cases), fmt)


def _create_request(request, fmt):
    if "api_key" in request.GET:
        # A key in the URL ends up in access logs and proxies: refused before it is even checked.
        raise bad_request(
            "api_key: send it as a POST parameter or an Authorization: Bearer header, not in the URL"
        )
    data = _post_data(request)
    api_key = data.get("api_key") or _bearer(request) or ""
    valid_shape = isinstance(api_key, str) and api_key and "\x00" not in api_key
    user = api_token_authenticate(api_key) if valid_shape else None
    if user is None:
        raise forbidden("api_key: missing or invalid")
    if not user.has_perm(ADD_TIP_PERMISSION):
        raise forbidden("api_key: this account may not file requests (it needs the permission tips.add_tip)")
    _throttle(request, user=user)
    county = selectors.open311_jurisdiction(data.get("jurisdiction_id") or request.GET.get("jurisdiction_id"))
    files = request.FILES.getlist("media") if hasattr(request, "FILES") else []
    receipt = open311_request_create(actor=user, county=county, data=data, files=files)
    document = [
        {
            "service_request_id": receipt.service_request_id,
            "token": receipt.token,
            "service_notice": receipt_notice(receipt),
            "account_id": None,
        }
    ]
    return render("service_requests", document, fmt, status=201)


@open311_endpoint("GET")
def request_detail(request, fmt, service_request_id):
    county = selectors.open311_jurisdiction(request.GET.get("jurisdiction_id"))
    row = selectors.open311_request_get(county=county, service_request_id=service_request_id)
    return render("service_requests", selectors.request_documents([row]), fmt)


@open311_endpoint("GET")
def token_detail(request, fmt, token):
    selectors.open311_jurisdiction(request.GET.get("jurisdiction_id"))
    code = clean_text(token, "token", max_length=40)
    tip = tip_by_tracking_code(code) if code else None
    if tip is None:
        raise Open311Error(404, f"token: {code[:40]} not found")
    return render(
        "service_requests", [{"service_request_id": tip.case.number, "token": tip.tracking_code}], fmt
    )
