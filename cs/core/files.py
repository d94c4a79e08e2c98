"""Files the desk writes for people: listings, reports, workbooks and backups hold customers' names and
phones, so they are readable by their owner only, like the database. Every such file appears whole or
not at all (written beside its target and renamed into place), and never through a symbolic link: a link
planted under a report's name must not make cron overwrite the database (SPEC section 16)."""

from __future__ import annotations

import contextlib
import errno
import os

from cs.core.errors import CSError
from cs.core.i18n import N_, _

# What this process may never write over, and whether it may write files at all: set once by the CLI.
_PROTECTED: set[str] = set()
_REFUSAL: list[str] = []


def group_shared(directory) -> bool:
    """A directory set up for a team: group-writable with the setgid bit, so files made in it take its group."""
    import stat

    try:
        mode = os.stat(directory).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID and mode & stat.S_IWGRP)


def desk_file_mode(path) -> int:
    """The mode of the desk's own files (database, lock files, notes): the owner's only, or the group's too
    when the database's directory is group-shared."""
    return 0o660 if group_shared(os.path.dirname(os.path.abspath(path))) else 0o600


def open_desk_file(path, flags: int) -> int:
    """os.open of one of the desk's own files (a lock file, the damage note, a new database), created with
    desk_file_mode whatever the umask. Never through a symbolic link, and never anything but a plain file
    with one name: in a group-shared directory a colleague could plant a link named like a lock file to have
    another file rewritten or its mode changed."""
    import stat

    mode = desk_file_mode(path)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        fd = None
    if fd is None:
        if flags & os.O_EXCL:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
        try:
            fd = os.open(path, (flags & ~os.O_EXCL) | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CSError(_("{path} is a symbolic link; cs does not open its own files through links (it"
                                " could change another file): remove it").format(path=path)) from None
            raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise CSError(_("{path} is not a plain file of its own (a device, or a hard link to another file);"
                        " cs will not use it: remove it").format(path=path))
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != mode:
        try:
            os.fchmod(fd, mode)  # the umask took bits away (or a group desk's file was made owner-only)
        except OSError:
            pass
    return fd


def protect_desk(db_path) -> None:
    """The desk's database and its companions are never a listing's, report's or backup's target."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        _PROTECTED.add(os.path.realpath(f"{db_path}{suffix}"))


def refuse_file_writes(reason: str) -> None:
    """No file may be written by this process (e.g. run through sudo as the desk's service account)."""
    _REFUSAL[:] = [reason]


def check_target(path) -> None:
    """Refuse a target that is a link, the desk itself, or any file when this process may write none."""
    if _REFUSAL:
        raise CSError(_REFUSAL[0])
    refuse_link(path)
    real = os.path.realpath(path)
    if real in _PROTECTED or (any(real.startswith(p + ".") and real.endswith(".lock") for p in _PROTECTED)):
        raise CSError(_("{path} is the desk's own database file; cs never writes a listing, report or backup"
                        " over it: give another file").format(path=path))


def refuse_link(path) -> None:
    if os.path.islink(path):
        raise CSError(_("{path} is a symbolic link; cs does not write through links (it could overwrite another"
                        " file): give the path of a plain file").format(path=path))


# The operating system's reasons, in the reader's language; the English is the C library's own wording.
_OS_REASONS = {errno.ENOENT: N_("No such file or directory"), errno.EACCES: N_("Permission denied"),
               errno.ENOTDIR: N_("Not a directory"), errno.EISDIR: N_("Is a directory"),
               errno.ENOSPC: N_("No space left on device"), errno.EROFS: N_("Read-only file system"),
               errno.EEXIST: N_("File exists"), errno.EPERM: N_("Operation not permitted"),
               errno.ELOOP: N_("Too many levels of symbolic links"), errno.ENAMETOOLONG: N_("File name too long")}


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, as a person reads it."""
    return _(_OS_REASONS[exc.errno]) if exc.errno in _OS_REASONS else (exc.strerror or str(exc))


def describe_os_error(exc: OSError, path, doing: str = "write") -> CSError:
    """One line for the user: what could not be done to which file, and what to do about it."""
    advice = {errno.ENOSPC: _("the disk is full; free some space and run it again"),
              errno.EDQUOT: _("the disk quota is used up; free some space and run it again"),
              errno.EROFS: _("the file system is read-only"),
              errno.EACCES: _("permission denied; check the directory's owner and mode"),
              errno.EPERM: _("not permitted; check the directory's owner and mode")}.get(exc.errno) or os_reason(exc)
    template = _DOING.get(doing)
    if template is None:  # another doing: said in the reader's language when its caller marked it (N_)
        return CSError(_("cannot {doing} {path}: {advice}").format(doing=_(doing), path=path, advice=advice))
    return CSError(_(template).format(path=path, advice=advice))


# The whole sentence for each thing a caller could not do to a file (jobs/runner.py opens its lock file).
_DOING = {"write": N_("cannot write {path}: {advice}"),
          "open the lock file": N_("cannot open the lock file {path}: {advice}")}


@contextlib.contextmanager
def replacing(path, *, binary: bool = False):
    """A new owner-only file beside `path`, renamed onto it when the block ends without an error; on any
    error (a full disk included) the target is left as it was and the temporary file is removed."""
    from pathlib import Path  # here, not at the top: every command opens the desk through this module

    target = Path(path)
    check_target(target)
    if target.is_dir():
        raise CSError(_("{path} is a directory; give a file name").format(path=target))
    try:
        import tempfile  # here, not at the top: every command opens the desk through this module

        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise describe_os_error(exc, target) from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        refuse_link(target)  # a link planted while the file was being written
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise describe_os_error(exc, target) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_private(path, text: str) -> None:
    with replacing(path) as out:
        out.write(text)
