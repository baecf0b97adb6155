"""The short link in every message: /notices/r/<token>/. Opening it records "read"; a grid worker's own link (by
SMS) also carries the 已转达 button, since the token stands for that worker. No sign-in needed."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from gridgov.core.exceptions import ApplicationError, NotFound
from gridgov.notices.forms import AckForm
from gridgov.notices.services import receipt_ack, receipt_open
from gridgov.notices.views.pages import _serve_attachment


def _not_found(request):
    return render(request, "notices/read_missing.html", status=404)


@never_cache
@csrf_protect
def read(request, token):
    try:
        receipt = receipt_open(token=token)
    except NotFound:
        return _not_found(request)
    notice_grid = receipt.notice_grid
    form = AckForm(request.POST or None)
    status, error = 200, ""
    if request.method == "POST" and receipt.user_id:
        if form.is_valid():
            try:
                notice_grid = receipt_ack(token=token, households_told=form.cleaned_data["households_told"])
            except ApplicationError as exc:
                status, error = exc.status, str(exc.message)
        else:
            status, error = 400, _("告知户数须为 0 到 100000 之间的整数。")
    notice = notice_grid.notice
    return render(
        request,
        "notices/read.html",
        {
            "notice": notice,
            "notice_grid": notice_grid,
            "receipt": receipt,
            "form": form,
            "error": error,
            "attachments": list(notice.attachments.all()),
            "token": token,
        },
        status=status,
    )


@never_cache
def read_attachment(request, token, attachment_pk):
    try:
        receipt = receipt_open(token=token)
        return _serve_attachment(receipt.notice_grid.notice, attachment_pk)
    except NotFound:
        return _not_found(request)
