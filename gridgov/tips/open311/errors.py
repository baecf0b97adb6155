"""GeoReport v2 errors: a list of ``{code, description}`` with the HTTP status as the code.

    <errors><error><code>400</code><description>service_code: not provided</description></error></errors>
    [{"code": 400, "description": "service_code: not provided"}]

Descriptions are meant for client developers (machines and their programmers), so they are plain English and
start with the parameter at fault. Messages that come from gridgov's services (the tip line's own validation)
are passed on as they are, after the parameter's Open311 name.
"""

from gridgov.tips.open311.render import render


class Open311Error(Exception):
    """Raised anywhere below a view; the view answers it in the requested format."""

    def __init__(self, status: int, *descriptions: str, headers: dict[str, str] | None = None):
        self.status = status
        self.descriptions = list(descriptions) or ["error"]
        self.headers = headers or {}
        super().__init__("; ".join(self.descriptions))


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(*descriptions: str) -> Open311Error:
    return Open311Error(404, *descriptions)


def forbidden(*descriptions: str) -> Open311Error:
    return Open311Error(403, *descriptions)


def error_response(error: Open311Error, fmt: str):
    document = [{"code": error.status, "description": text} for text in error.descriptions]
    response = render("errors", document, fmt, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response
