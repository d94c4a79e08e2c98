"""Errors the user can act on. The CLI turns them into `Error: ...` and an exit code."""


class CSError(Exception):
    """A refused operation (exit 1): not found, invalid state change, permission, unacceptable value."""

    exit_code = 1


class DatabaseLocked(CSError):
    """The database stayed locked past the busy timeout (exit 75, cron may retry)."""

    exit_code = 75
