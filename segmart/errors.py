"""The error a user can mend, shared by the modules that do a command's work."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (a missing database, an unknown segment, ...):
    the command line prints its message, without a traceback, and exits 1."""
