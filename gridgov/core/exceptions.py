"""Errors raised by services and access helpers. Pages and the API turn them into responses
(ARCHITECTURE §5): 400 invalid input, 403 not allowed, 404 missing or out of scope, 409 wrong state."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message))

    default_message = _("请求无效。")


class InvalidInput(ApplicationError):
    status = 400
    code = "invalid"
    default_message = _("输入有误。")


class NotFound(ApplicationError):
    """Missing, or outside the user's scope: the two are indistinguishable on purpose."""

    status = 404
    code = "not_found"
    default_message = _("未找到，或不在您的管辖范围内。")


class NotAllowed(ApplicationError):
    status = 403
    code = "forbidden"
    default_message = _("您没有执行此操作的权限。")


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = _("当前状态下不允许此操作。")


def errors_from_validation(exc) -> dict[str, list[str]]:
    """Turns a Django ValidationError into {field: [messages]}."""
    if hasattr(exc, "message_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}
