from typing import Any

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_PAGE = 100_000


class PagePagination(PaginationBase):
    """``?page=N&page_size=M`` → ``{"count", "page", "page_size", "items"}``; page and size are bounded."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
        )

    class Output(Schema):
        count: int
        page: int
        page_size: int
        items: list[Any]

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request=None, **params):
        offset = (pagination.page - 1) * pagination.page_size
        items = queryset[offset : offset + pagination.page_size]
        count = len(queryset) if isinstance(queryset, list) else queryset.count()
        return {
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "items": list(items),
        }
