"""Pages of the closed loop: inbox, list, case page with its actions, the report and hotline forms, files.
Thin adapters over the cases' selectors and services."""

from gridgov.cases.views.detail import action, attachment, detail
from gridgov.cases.views.lists import case_list_page, inbox
from gridgov.cases.views.report import hotline, report

__all__ = ["action", "attachment", "case_list_page", "detail", "hotline", "inbox", "report"]
