"""Reminders: the list and drafts, the log of what was sent, sending, and the mailbox's receipts."""
