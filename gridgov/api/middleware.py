"""Keeps every answer under /api/ in the API's JSON error format, including the 404 and 405 that Django or
django-ninja produce before any endpoint runs."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code not in (404, 405):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return JsonResponse(
                {"detail": _("未找到，或不在您的管辖范围内。"), "code": "not_found"}, status=404
            )
        body = JsonResponse(
            {"detail": _("该接口不支持此请求方法。"), "code": "method_not_allowed"}, status=405
        )
        if response.has_header("Allow"):
            body["Allow"] = response["Allow"]
        return body
