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
    # ComuniList.excluded (ROW, NAME and this): why a row of the list is not a participating comune
    REASON: Final = "reason"


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


class QualityCols:
    """The Qualità dati tables (``rollout.outputs.quality``): every response row with its outcome
    (``rows.csv``), the rows not matched, not valid or replaced, the permissions' unknown texts and
    the possible duplicates; each takes the names it needs."""

    ROW: Final = "row"
    OUTCOME: Final = "outcome"
    OUTCOME_LABEL: Final = "outcome_label"
    REASON: Final = "reason"
    TIMESTAMP: Final = "timestamp"
    COMUNE_TYPED: Final = "comune_typed"
    COMUNE: Final = "comune"
    MATCH: Final = "match"
    REPLACED_BY: Final = "replaced_by"
    PROBLEM: Final = "problem"
    SUGGESTION: Final = "suggestion"
    ALIAS: Final = "alias"  # a line for [aliases] in rollout.toml
    NAME: Final = "name"  # the employee
    EMAIL: Final = "email"
    NOTE: Final = "note"
    TEXT: Final = "text"
    COUNTED: Final = "counted"
    ROWS: Final = "rows"  # the duplicates' rows, comma-separated


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


class DraftCols:
    """The reminders' drafts (``rollout.reminders.drafts.drafts``): one per row of the reminders list;
    ``elenco.csv`` in the drafts' ZIP takes ``FILE`` and the first seven."""

    KEY: Final = ReminderCols.KEY
    COMUNE: Final = ReminderCols.COMUNE
    PROVINCE: Final = ReminderCols.PROVINCE
    CODE: Final = ReminderCols.CODE
    REASON: Final = ReminderCols.REASON
    TO: Final = "to"  # the recipient, "" when there is no usable address
    ADDRESS: Final = "address"  # where the address comes from, or why there is none
    SUBJECT: Final = "subject"
    BODY: Final = "body"
    MAILTO: Final = "mailto"
    FILE: Final = "file"  # elenco.csv: the draft's .eml


class MarkCols:
    """``ReminderLog.summary``: the reminders recorded, per comune key (index ``COMUNE_KEY``); the
    reminders list takes the first six under the same names."""

    COMUNE_KEY: Final = "comune_key"
    REMINDERS_SENT: Final = ReminderCols.REMINDERS_SENT
    LAST_REMINDER: Final = ReminderCols.LAST_REMINDER
    LAST_CHANNEL: Final = ReminderCols.LAST_CHANNEL
    LAST_COUNTED: Final = ReminderCols.LAST_COUNTED
    LAST_OUTCOME: Final = ReminderCols.LAST_OUTCOME
    OUTCOME_DETAIL: Final = ReminderCols.OUTCOME_DETAIL
    IDS: Final = "ids"  # every identifier of the comune, space-separated
    OUTCOME_ORDER: Final = "outcome_order"  # which message is more recent, 0 for none


class EmployeeCols:
    """One comune's employees (``rollout.views.employees_of``, the Comuni page): one row per response
    of a current editor, or of one replaced by a later response (``REPLACED_BY``)."""

    ROW: Final = "row"
    TS: Final = "ts"
    NAME: Final = "name"
    EMAIL: Final = "email"
    FISCAL_CODE: Final = "fiscal_code"
    PERMISSIONS: Final = "permissions"  # the keys of the permissions ticked, a list
    OFFICE: Final = "office"
    REPLACED_BY: Final = "replaced_by"


class NoteIndexCols:
    """``elenco-note.csv`` in the notes' ZIP or folder: which note is whose (``rollout.outputs.notes``)."""

    FILE: Final = "file"
    COMUNE: Final = "comune"
    PROVINCE: Final = "province"
    CODE: Final = "code"
    EDITORS: Final = "editors"
    HAS_AT_EDITOR: Final = "has_at_editor"
    PEC: Final = "pec"
    CONTACT: Final = "contact"


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
