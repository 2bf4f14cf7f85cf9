"""Reminders: the list and drafts, the log of what was sent, the command line."""
