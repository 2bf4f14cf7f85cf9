"""The one error the readers raise: a message for the project manager, in Italian."""


class SourceError(Exception):
    """A source could not be read. ``str(err)`` is a complete Italian sentence for the user."""
