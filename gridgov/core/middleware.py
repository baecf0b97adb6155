from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNullBytesMiddleware:
    """Answers 400 to a NUL character in the path or the query string.

    PostgreSQL cannot store or compare text containing NUL, so such a value would otherwise surface as a 500
    from whichever query first used it. Form fields are covered by Django's own validators. The API does the
    same check itself, after authentication, so that its answers keep their JSON format and 401 comes first;
    Open311 answers it in the GeoReport error format of its own.
    """

    SELF_CHECKING = ("/api/", "/open311/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.SELF_CHECKING):
            return self.get_response(request)
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, value in request.GET.items()
        ):
            return HttpResponseBadRequest(_("请求中含有非法字符。"), content_type="text/plain; charset=utf-8")
        return self.get_response(request)
