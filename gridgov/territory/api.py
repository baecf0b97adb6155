from django.db.models import Count, Q
from ninja import Path, Router
from ninja.pagination import paginate

from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS
from gridgov.territory.models import Region
from gridgov.territory.schemas import RegionOut
from gridgov.territory.selectors import access_region

router = Router(tags=["regions"])

CODE = Path(..., pattern=r"^[0-9]{2,15}$", description="区划代码或网格编码")


def _with_counts(qs):
    return qs.select_related("parent").annotate(
        child_count=Count("children", filter=Q(children__is_active=True))
    )


@router.get("/{code}", response={200: RegionOut, **ERRORS}, summary="One region")
def region_detail(request, code: str = CODE):
    region = access_region(request.auth, code)
    return _with_counts(Region.objects.filter(pk=region.pk)).get()


@router.get(
    "/{code}/children",
    response={200: list[RegionOut], **ERRORS},
    summary="Children of a region, with their child counts",
)
@paginate(PagePagination)
def region_children(request, code: str = CODE, include_retired: bool = False):
    region = access_region(request.auth, code)
    qs = Region.objects.filter(parent=region)
    if not include_retired:
        qs = qs.filter(is_active=True)
    return _with_counts(qs).order_by("code")
