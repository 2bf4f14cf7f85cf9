"""Errors of the domain core. Messages are complete Italian sentences for the project manager."""


class InputError(Exception):
    """An input cannot be used as it is (missing column, bad configuration, unknown alias...)."""
