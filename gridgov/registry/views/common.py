"""What the registry pages share: the ledgers they show, region resolution, errors to responses, downloads."""

import functools
import tempfile
from dataclasses import dataclass
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.exceptions import ApplicationError, NotAllowed, NotFound
from gridgov.core.scope import scope_for
from gridgov.registry.policies import READ_ROLES, RegistryPolicy
from gridgov.registry.services.importing import IMPORT_ROLES
from gridgov.territory.models import Region
from gridgov.territory.selectors import access_region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Ledger:
    kind: str
    label: str  # 户, 居民 …
    ledger_name: str  # the name offices give the spreadsheet: 户台账 …
    list_url: str
    detail_url: str


LEDGERS = {
    "households": Ledger("households", _("户"), _("户台账"), "registry:households", "registry:household"),
    "residents": Ledger("residents", _("居民"), _("居民台账"), "registry:residents", "registry:resident"),
    "places": Ledger("places", _("场所"), _("场所台账"), "registry:places", "registry:place"),
    "licences": Ledger("licences", _("许可证"), _("许可证台账"), "registry:licences", "registry:licence"),
}


def scoped(view):
    """Turns the services' NotFound into a 404 page and NotAllowed into the 403 page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from exc

    return wrapper


def require_readable(user, kind: str) -> None:
    """A ledger the user may not read at all (a department and the households) does not exist for them."""
    if not RegistryPolicy.can_read_somewhere(user, kind):
        raise Http404


def may_import(user) -> bool:
    return scope_for(user).has_role(*IMPORT_ROLES)


def tabs(user, active: str) -> list[dict]:
    """The registry's own sub-navigation: only the ledgers the user may read."""
    items = [{"url": reverse("registry:index"), "label": _("总览"), "active": active == "index"}]
    for kind, ledger in LEDGERS.items():
        if RegistryPolicy.can_read_somewhere(user, kind):
            items.append({"url": reverse(ledger.list_url), "label": ledger.label, "active": active == kind})
    if may_import(user):
        items.append({"url": reverse("registry:imports"), "label": _("导入"), "active": active == "imports"})
    return items


def default_region(user, kind: str) -> Region | None:
    """The user's scope for this ledger as one region when it is one (a township, a grid, the county); None when
    the user holds grants on several separate regions (then the list covers them all)."""
    roots = scope_for(user).root_paths(READ_ROLES[kind], acting=False)
    if len(roots) != 1:
        return None
    return Region.objects.select_related("parent").filter(path=roots[0]).first()


def region_from(user, kind: str, code: str) -> Region | None:
    """The region named by a filter (404 if unknown or out of scope), or the user's scope by default."""
    code = (code or "").strip()
    if code:
        return access_region(user, code)
    return default_region(user, kind)


def apply_errors(form, exc: ApplicationError, names: dict | None = None) -> None:
    """Puts a service's field errors on the form's fields (renamed where the form names them differently)."""
    names = names or {}
    for field, errors in exc.fields.items():
        target = names.get(field, field)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, str(exc.message))


def attachment(response, filename: str, ascii_fallback: str):
    """Content-Disposition with both a plain name (old browsers, WeChat's) and the Chinese one (RFC 5987)."""
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_fallback}\"; filename*=utf-8''{quote(filename)}"
    )
    return response


def temp_xlsx():
    """A temporary .xlsx that disappears once the response that streams it is closed."""
    return tempfile.NamedTemporaryFile(prefix="gridgov-", suffix=".xlsx")


def xlsx_response(handle, filename: str, ascii_fallback: str, *, private: bool = False) -> FileResponse:
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX)
    attachment(response, filename, ascii_fallback)
    if private:
        response["Cache-Control"] = "no-store, private"
    return response
