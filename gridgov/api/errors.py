"""The API's error format (ARCHITECTURE §5): ``{"detail": ..., "code": ...}``, plus ``fields`` on 400."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from gridgov.core.exceptions import ApplicationError

LOCATIONS = ("body", "query", "path", "form", "file", "header", "cookie")


def _fields_from_ninja(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        # ninja puts where the value came from first ("query", "body", "form", "file" …), then the payload
        # parameter's name: both are plumbing, the field is what follows.
        loc = [str(part) for part in error.get("loc", [])]
        if loc and loc[0] in LOCATIONS:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] == "payload":
            loc = loc[1:]
        fields.setdefault(".".join(loc) or "__all__", []).append(error.get("msg", ""))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.fields:
            body["fields"] = exc.fields
        return api.create_response(request, body, status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        body = {"detail": _("输入有误。"), "code": "invalid", "fields": _fields_from_ninja(exc.errors)}
        return api.create_response(request, body, status=400)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return api.create_response(
            request, {"detail": _("需要登录或提供 API 令牌。"), "code": "unauthenticated"}, status=401
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request, exc):
        return api.create_response(
            request, {"detail": _("您没有执行此操作的权限。"), "code": "forbidden"}, status=403
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(
            request, {"detail": _("未找到，或不在您的管辖范围内。"), "code": "not_found"}, status=404
        )

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        response = api.create_response(
            request, {"detail": _("请求过于频繁，请稍后再试。"), "code": "throttled"}, status=429
        )
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        code = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}
        return api.create_response(
            request,
            {"detail": str(exc.message), "code": code.get(exc.status_code, "error")},
            status=exc.status_code,
        )
