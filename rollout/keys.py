"""The names of the columns of the tables the core builds and passes on, in one place.

The names are the tables' machine names: they reach ``status.json``, the files for programs
(``comuni.csv``, ``reminders.csv``, ``accounts.csv``, ``rows.csv``) and, under their Italian headers
(``rollout.outputs.columns``), the files for people. Renaming one changes those files: their
documentation (docs/domain.md, docs/command-line.md) says the same names. The seven permissions'
columns are named in ``rollout.read.permissions`` (``PERMISSION_KEYS``).

One class per table; a name that two tables share has the same value in both.
"""

from __future__ import annotations

from typing import Final


class ComuniCols:
    """``Snapshot.comuni``: one row per participating comune (index: the comune's id, ``cid``).

    The comuni list's columns (``rollout.read.comuni``), IndicePA's (``rollout.read.registry``),
    then the status at a moment (``rollout.status``) and one count per permission."""

    # the comuni list
    ROW: Final = "row"  # the list's row
    NAME: Final = "name"
    CODE: Final = "code"  # ISTAT or cadastral code, as the list gives it
    IPA_CODE: Final = "ipa_code"
    PROVINCE: Final = "province"
    REGION: Final = "region"
    CONTACT_NAME: Final = "contact_name"
    CONTACT_EMAIL: Final = "contact_email"
    CONTACT_RAW: Final = "contact_raw"  # the list's address when it is not a valid one
    PEC: Final = "pec"
    PHONE: Final = "phone"
    WAVE: Final = "wave"
    GOLIVE: Final = "golive"
    DOMAINS: Final = "domains"
    # IndicePA's contacts, joined
    REGISTRY_PEC: Final = "registry_pec"
    REGISTRY_EMAIL: Final = "registry_email"
    REGISTRY_MATCH: Final = "registry_match"
    REGISTRY_IPA: Final = "registry_ipa"
    # the status at as_of
    FIRST_RESPONSE: Final = "first_response"
    LAST_RESPONSE: Final = "last_response"
    EDITORS: Final = "editors"
    STATUS: Final = "status"  # rollout.status.STATUSES
    HAS_AT_EDITOR: Final = "has_at_editor"
    MISSING: Final = "missing"  # the permissions without a current editor (a tuple of keys)
    DAYS_LATE: Final = "days_late"
    FILLER_EMAIL: Final = "filler_email"  # who filled the form in last
    # comuni.csv: the missing permissions as one text
    MISSING_PERMISSIONS: Final = "missing_permissions"


class ResponseCols:
    """``Responses.rows``: one row per response of the form (index: the sheet's row, ``ROW``)."""

    ROW: Final = "row"
    TS: Final = "ts"  # the response's moment, UTC
    TS_RAW: Final = "ts_raw"
    COMUNE_RAW: Final = "comune_raw"  # the comune as typed
    PROVINCE: Final = "province"
    CODE_HINT: Final = "code_hint"
    SURNAME: Final = "surname"
    FIRST_NAME: Final = "first_name"
    FULL_NAME: Final = "full_name"
    NAME: Final = "name"  # the employee: the full name, or surname and first name
    EMAIL: Final = "email"  # the employee's address, normalised ("" when not valid)
    EMAIL_RAW: Final = "email_raw"
    FILLER_EMAIL: Final = "filler_email"
    FISCAL_CODE: Final = "fiscal_code"
    OFFICE: Final = "office"
    PHONE: Final = "phone"
    IDENTITY: Final = "identity"
    IDENT: Final = "ident"  # the identity as an integer
    CID: Final = "cid"  # the comune matched (an index of ``Snapshot.comuni``), -1 for none
    PROBLEM: Final = "problem"  # rollout.read.responses.PROBLEM_LABELS, "" for a usable row
    UNKNOWN_TEXT: Final = "unknown_text"
    MATCH_METHOD: Final = "match_method"
    MATCH_PROBLEM: Final = "match_problem"
    MATCH_DETAIL: Final = "match_detail"
    SUGGESTION: Final = "suggestion"


class OutcomeCols:
    """``Snapshot.rows``: what became of each response row at ``as_of`` (index: the sheet's row)."""

    OUTCOME: Final = "outcome"  # rollout.status.OUTCOMES
    REASON: Final = "reason"
    REPLACED_BY: Final = "replaced_by"


class CoverageCols:
    """``Snapshot.coverage``: per permission (index ``PERMISSION``), comuni with a current editor."""

    PERMISSION: Final = "permission"
    COMUNI: Final = "comuni"
    SHARE: Final = "share"


class TotalKeys:
    """``Snapshot.totals`` (``status.json``'s ``totals``): the comuni, one count per status
    (``rollout.status.STATUSES``), and those without an Amministrazione Trasparente editor."""

    COMUNI: Final = "comuni"
    WITHOUT_AT_EDITOR: Final = "without_at_editor"


class ReminderCols:
    """The reminders list (``reminders_table``, ``reminders.csv``, the Promemoria page): one row per
    comune to chase, with the reminders recorded (``rollout.reminders.log``)."""

    KEY: Final = "key"  # the comune's key in the reminders' log
    COMUNE: Final = "comune"
    PROVINCE: Final = "province"
    CODE: Final = "code"
    STATUS: Final = "status"
    STATUS_LABEL: Final = "status_label"
    REASON: Final = "reason"  # pending | missing | no_at_editor
    REASONS: Final = "reasons"  # in Italian
    MISSING_PERMISSIONS: Final = "missing_permissions"
    DAYS_LATE: Final = "days_late"
    CONTACT_NAME: Final = "contact_name"
    CONTACT: Final = "contact"
    CONTACT_SOURCE: Final = "contact_source"
    WAVE: Final = "wave"
    LINK_MODULO: Final = "link_modulo"
    # the reminders recorded
    REMINDERS_SENT: Final = "reminders_sent"
    LAST_REMINDER: Final = "last_reminder"  # ISO day
    LAST_CHANNEL: Final = "last_channel"
    LAST_COUNTED: Final = "last_counted"
    LAST_OUTCOME: Final = "last_outcome"
    OUTCOME_DETAIL: Final = "outcome_detail"
    OUTCOME: Final = "outcome"  # the last outcome in Italian


class AccountCols:
    """The accounts to configure (``accounts_table``, ``accounts.csv``): one row per current editor."""

    COMUNE: Final = "comune"
    CODE: Final = "code"
    PROVINCE: Final = "province"
    SURNAME: Final = "surname"
    FIRST_NAME: Final = "first_name"
    FULL_NAME: Final = "full_name"
    EMAIL: Final = "email"
    FISCAL_CODE: Final = "fiscal_code"
    RESPONSE_TIME: Final = "response_time"
    ROW: Final = "row"
