from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str
    fields: dict[str, list[str]] | None = None


#: The error answers every authenticated endpoint may give (ARCHITECTURE §5), for the OpenAPI description.
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut}
