from gridgov.notices.views.groups import group_edit, group_test, groups, groups_import
from gridgov.notices.views.pages import (
    ack,
    attachment,
    create,
    detail,
    export,
    figures,
    index,
    publish,
    report,
    report_photo,
    report_to_case,
    retry,
    withdraw,
)
from gridgov.notices.views.public import read, read_attachment

__all__ = [
    "ack",
    "attachment",
    "create",
    "detail",
    "export",
    "figures",
    "group_edit",
    "group_test",
    "groups",
    "groups_import",
    "index",
    "publish",
    "read",
    "read_attachment",
    "report",
    "report_photo",
    "report_to_case",
    "retry",
    "withdraw",
]
