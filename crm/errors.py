"""Errors a person can act on: one line saying what is wrong and what to do."""


class UserError(Exception):
    """Shown to the user as one line (no traceback); the command exits non-zero."""
