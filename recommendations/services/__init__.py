"""Writes. Views, the admin, management commands and tests all change plans through these
functions, so every change carries its author, its reason and its history record.
"""

from .base import (
    DUE_DATE_NEEDS_REASON,
    FOUR_EYES,
    RETURN_NEEDS_COMMENT,
    SAME_DUE_DATE,
    ConflictError,
    WorkflowError,
)
from .collation import Outcome, ReturnRefused, remember_fetch, take_return, take_returns
from .deadlines import change_due_date
from .organisations import (
    change_organisation,
    create_organisation,
    home_organisation,
    link_to_report,
    report_for,
    report_from_return,
    set_organisation,
)
from .setup import (
    ADMIN_REASON,
    add_period,
    add_recommendation,
    add_subrecommendation,
    change_owner,
    change_period,
    change_plan,
    change_recommendation,
    create_owner,
    create_plan,
    delete,
    save_import_mapping,
)
from .updates import (
    SIGN_OFF_REASONS,
    attach_evidence,
    change_sign_off,
    delete_update,
    record_update,
    remove_evidence,
)

__all__ = [
    "ADMIN_REASON",
    "DUE_DATE_NEEDS_REASON",
    "FOUR_EYES",
    "RETURN_NEEDS_COMMENT",
    "SAME_DUE_DATE",
    "SIGN_OFF_REASONS",
    "ConflictError",
    "Outcome",
    "ReturnRefused",
    "WorkflowError",
    "add_period",
    "add_recommendation",
    "add_subrecommendation",
    "attach_evidence",
    "change_due_date",
    "change_organisation",
    "change_owner",
    "change_period",
    "change_plan",
    "change_recommendation",
    "change_sign_off",
    "create_organisation",
    "create_owner",
    "create_plan",
    "delete",
    "delete_update",
    "home_organisation",
    "link_to_report",
    "record_update",
    "remember_fetch",
    "remove_evidence",
    "report_for",
    "report_from_return",
    "save_import_mapping",
    "set_organisation",
    "take_return",
    "take_returns",
]
