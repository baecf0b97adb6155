from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str
    fields: dict[str, list[str]] | None = None
