"""The `cs` command: global options, lazy command groups, and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import inspect
import os
import sys

import click

from cs import __version__
from cs.core import i18n
from cs.core.errors import CSError
from cs.core.i18n import N_, _

i18n.translate_click()

# name -> (module, attribute, one-line help). Modules load only when their command runs,
# so `cs ticket add` does not pay for importing reports or jobs.
COMMANDS = {
    "ticket": ("cs.cli.ticket", "ticket", N_("Tickets (工单): calls, visits, complaints, repairs.")),
    "callback": ("cs.cli.callback", "callback", N_("Callbacks (回访): promised calls back to customers.")),
    "customer": ("cs.cli.customer", "customer", N_("Customers (客户档案) by phone.")),
    "agent": ("cs.cli.agent", "agent", N_("Agents, teams and roles.")),
    "roster": ("cs.cli.shifts", "roster", N_("The roster: who works which shift on which day.")),
    "shift": ("cs.cli.shifts", "shift", N_("Shifts (班次): which are running now.")),
    "handover": ("cs.cli.shifts", "handover", N_("The handover memo (交接班).")),
    "duty": ("cs.cli.shifts", "duty", N_("Daily duties (每日工作).")),
    "dept": ("cs.cli.dispatch", "dept", N_("Departments a ticket can be sent to (工程部).")),
    "dispatch": ("cs.cli.dispatch", "dispatch_group", N_("Dispatches (派单): accepted, done, late.")),
    "calls": ("cs.cli.calls", "calls", N_("Call records (话单): import them; 接通率, three rings, ASA, AHT.")),
    "staffing": ("cs.cli.calls", "staffing", N_("Agents each hour needs (Erlang C), beside those rostered.")),
    "violation": ("cs.cli.scoring", "violation", N_("Manual violations with escalating fines.")),
    "deductions": ("cs.cli.scoring", "deductions_group", N_("Daily deductions (考核扣分).")),
    "score": ("cs.cli.scoring", "score", N_("Monthly scores and ranks.")),
    "report": ("cs.cli.report", "report", N_("Reports: 值班日志, day report, monthly 考核 report.")),
    "jobs": ("cs.cli.jobs", "jobs", N_("Cron jobs: overdue alerts, daily deductions, shift reports.")),
    "config": ("cs.cli.config", "config", N_("Centre configuration (stored in the database).")),
    "db": ("cs.cli.db", "db", N_("The database file: info, backup, check.")),
    "audit": ("cs.cli.audit", "audit", N_("The audit trail: who changed what, when, before and after.")),
    "time": ("cs.cli.time", "time_", N_("Show how TIME arguments are read.")),
    "demo": ("cs.cli.demo", "demo", N_("Build a ready demo centre and show it.")),
    "completion": ("cs.cli.completion", "completion", N_("Print the shell completion script (bash, zsh, fish).")),
}


# The commands that may create a missing desk: they record something new (or set one up).
CREATING = {"db init", "demo", "agent add", "config load", "config set", "ticket add", "ticket import",
            "callback add", "callback import", "customer set", "roster set", "handover add", "duty done",
            "violation add", "dept add", "calls import"}


# Global options that take a value: their values are skipped when looking for --lang and --db before parsing.
_VALUED = ("--db", "--now", "--as", "--tz", "--lang")


def choose_language(args) -> None:
    """The run's language, before Click parses (it writes its --help text while parsing): --lang, CS_LANG,
    else the `language` of the desk that --db, CS_DB or the default path names."""
    given = {}
    args = list(args)
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, has_value, value = args[i].partition("=")
        if name in _VALUED and not has_value:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        # The last one, as Click takes it; through sudo the wrapper's --db, the first (a second is refused).
        if name not in given or not (name == "--db" and os.environ.get("SUDO_USER")):
            given[name] = value
        i += 1
    lang = given.get("--lang")
    if lang not in i18n.LANGUAGES:  # a wrong --lang is refused by Click, in CS_LANG's language if it has one
        lang = os.environ.get("CS_LANG")
    if lang in i18n.LANGUAGES:
        i18n.choose(lang)
        return
    path = given.get("--db") or os.environ.get("CS_DB")
    if not path:
        from cs.store.paths import default_path  # not cs.store.db: sqlite3 and json wait for a command

        path = str(default_path(os.environ))
    i18n.choose(None, path)


class LazyGroup(click.Group):
    def main(self, args=None, *rest, **extra):
        choose_language(sys.argv[1:] if args is None else args)
        localise(self, deep=False)
        return super().main(args, *rest, **extra)

    def make_context(self, info_name, args, parent=None, **extra):
        """The global options are read here: a refusal of one of them cuts the value it repeats too."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:
            raise _cut(exc) from None

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attribute, _help = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        localise(command)
        return command

    def format_commands(self, ctx, formatter):
        rows = [(name, _(help_text)) for name, (_module, _attribute, help_text) in COMMANDS.items()]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        import sqlite3

        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `cs ticket list | head -1`: the reader has what it wanted; the rest goes nowhere, and that is success.
            _stdout_to_devnull()
            return None
        except CSError as exc:
            raise _cut(_exit_error(str(exc), exc.exit_code)) from None
        except click.ClickException as exc:  # a command's options, read when it is invoked
            raise _cut(exc) from None
        except UnicodeEncodeError:
            # A value the terminal passed as undecodable bytes reached the database (the transaction is undone).
            raise _exit_error(_("a value on the command line is not valid UTF-8 text (is the terminal set to"
                                " UTF-8?); retype it"), 1) from None
        except sqlite3.DatabaseError as exc:
            from cs.store.db import describe_error

            path = ctx.obj.db_path if isinstance(ctx.obj, App) else None
            described = describe_error(exc, path or "the database")
            if described is None:
                raise
            raise _cut(_exit_error(str(described), described.exit_code)) from None


def help_texts(command, path):
    """(text, where) for every help text under `command`: what the catalogue must translate."""
    for target, fields in _help_fields(command):
        for field in fields:
            text = getattr(target, f"_cs_{field}", getattr(target, field, None))
            if text:
                yield inspect.cleandoc(text), path if target is command else f"{path} {target.name}"
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from help_texts(command.get_command(None, name), f"{path} {name}")


def _help_fields(command):
    return [(command, ("help", "short_help")), *((param, ("help",)) for param in command.params)]


def localise(command, deep: bool = True) -> None:
    """Help texts in the run's language. Click takes a command's help from its docstring, which no
    extractor reads; the originals are kept, so a later run in another language (tests) starts from them."""
    command._help_option = None  # Click builds its --help option once, in the language of that moment
    for target, fields in _help_fields(command):
        for field in fields:
            if not hasattr(target, f"_cs_{field}"):
                setattr(target, f"_cs_{field}", getattr(target, field, None))
            original = getattr(target, f"_cs_{field}")
            if original:
                setattr(target, field, _(inspect.cleandoc(original)))
    if deep:
        for sub in getattr(command, "commands", {}).values():
            localise(sub)


def _cut(exc: click.ClickException) -> click.ClickException:
    from cs.core.text import cut_echoed_values

    exc.message = cut_echoed_values(exc.message)
    return exc


def _stdout_to_devnull() -> None:
    """After a closed pipe, what is still buffered (and Python's flush at exit) must not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _exists(path: str) -> bool:
    """Whether the desk's file exists; a directory on the way that this user may not enter is said, not taken
    for a missing desk (which would suggest creating one)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except PermissionError:
        raise CSError(_("cannot reach the database {path}: permission denied on a directory on its path; ask the"
                        " desk's owner to add you to its group").format(path=path)) from None
    except OSError:
        return False
    return True


def _exit_error(message: str, code: int) -> click.ClickException:
    error = click.ClickException(message)
    error.exit_code = code
    return error


class App:
    """Global options, resolved lazily: `cs --help` never opens the database."""

    def __init__(self, db_path, now_spec, claimed, tz_name, fmt):
        self.db_path = db_path
        self.now_spec = now_spec
        self.claimed = claimed  # --as / CS_AGENT: who the user says is acting (the login decides in enforced mode)
        self.identity = None
        self.tz_name = tz_name
        self.format = fmt
        self._db = None
        self._ctx = None
        self.created = False  # whether this run created the database file
        self.migrate = True  # `cs db check` looks at the file as it is (a damaged one must not be migrated)

    @property
    def lang(self) -> str:
        return i18n.language()

    @property
    def db(self):
        if self._db is None:
            from cs.store import db as db_mod

            path = self.db_path or str(db_mod.default_path(os.environ))
            self.db_path = path
            self.created = path != ":memory:" and not _exists(path)
            if self.created:
                self._refuse_unless_creating(path)
            self._db = db_mod.connect(path, migrate=self.migrate)
            from cs.core import files

            files.protect_desk(path)
            if self.created:
                inform(_("created a new desk at {path}").format(path=path))
        return self._db

    def _refuse_unless_creating(self, path) -> None:
        """A missing desk is created only by a command that records something new (SPEC section 16): a read or
        a cron job on a mistyped path must fail loudly, not succeed on an empty desk."""
        invoked = click.get_current_context().command_path.split()[1:]
        if " ".join(invoked[:2]) not in CREATING:
            raise CSError(_("no desk at {path}; check --db or CS_DB, or create one with 'cs db init --db {path}'")
                          .format(path=path))

    @property
    def ctx(self):
        """The domain Context: database, now, config, actor."""
        if self._ctx is None:
            from datetime import datetime, timezone

            from cs.cli.environment import system_zone_name
            from cs.core import config
            from cs.core.context import Context

            stored_config = config.load(self.db)
            zone = self.tz_name or stored_config.get("timezone") or system_zone_name()
            if self.created and zone == "UTC" and not self.tz_name and not stored_config.get("timezone"):
                warn(_("this new desk runs on UTC, the system's time zone, so days, shifts and deadlines are UTC's;"
                       " if the centre is elsewhere, set its zone now: cs config set timezone Asia/Shanghai"))
            real_now = datetime.now(timezone.utc).replace(microsecond=0)
            self.identity = self._identify(stored_config)
            ctx = Context(db=self.db, now=real_now, config=stored_config,
                          actor=self.identity.actor, tz_name=zone, warn=warn, inform=inform)
            if self.now_spec is not None:
                ctx.now = ctx.resolve_time(self.now_spec)  # relative to the real clock, read above
            ctx.now = ctx.now.replace(microsecond=0)
            self.db.session = self._session(stored_config, ctx, real_now)
            self._ctx = ctx
        return self._ctx

    def _identify(self, stored_config):
        from cs.cli.environment import os_login, sudo_caller
        from cs.desk import identity
        from cs.desk.agents import handle_of

        claimed = handle_of(self.db, self.claimed) if self.claimed else None  # --as 陈小丽 names chen
        return identity.resolve(self.db, login=os_login(), sudo_user=sudo_caller(), claimed=claimed,
                                service_user=stored_config["security"].get("service_user"))

    def _session(self, stored_config, ctx, real_now):
        from cs.core import clock
        from cs.store.db import Session

        limit = clock.parse_duration(stored_config["security"]["backdate_limit"])
        session = Session(self.identity.os_user, clock.to_db(real_now), backdate_limit_s=limit.seconds(),
                          may_backdate=self.identity.mode == "open" or self.identity.may_backdate,
                          refusal=self.identity.refusal, enforced=self.identity.mode == "enforced",
                          backdate_refusal=_("{actor} may not record changes dated more than {limit} back; a team"
                                             " leader or supervisor can").format(actor=ctx.actor, limit=limit.text))
        session.note(ctx.now_db)
        return session

    def business_time(self, spec):
        """A TIME given as when a change happened (--at): noted, so a back-dated write is caught and flagged."""
        from cs.core import clock

        moment = None if spec is None else self.ctx.resolve_time(spec)
        if moment is not None:
            self.db.session.note(clock.to_db(moment))
        return moment


_warned: set[str] = set()


def warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        click.echo(_("Warning: {message}").format(message=message), err=True)


def inform(message: str) -> None:
    click.echo(message, err=True)


def _guard_sudo(argv) -> None:
    """Through sudo (`sudo -u SERVICE cs --db DESK ...`, the team's wrapper) the desk is the one the wrapper
    names, and cs writes no files: they would belong to the service account, on its desk's disk."""
    from cs.cli.environment import sudo_caller

    if sudo_caller() is None:
        return
    given = [arg for arg in argv if arg == "--db" or arg.startswith("--db=")]
    if len(given) > 1:
        click.echo(_("Error: {message}").format(message=_("through sudo the desk is the one the wrapper names; --db"
                                                           " may not be given again")), err=True)
        sys.exit(1)
    from cs.core import files

    files.refuse_file_writes(_("through sudo cs writes no files (they would belong to the desk's service account);"
                               " print to the terminal instead, or let cron write the reports"))


class TimeParam(click.ParamType):
    """A TIME argument: checked for syntax at parse time (exit 2), read against the clock later."""

    name = "TIME"

    def convert(self, value, param, ctx):
        from cs.core.clock import TimeSpec

        if not isinstance(value, str):
            return value
        try:
            return TimeSpec.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class ZoneParam(click.ParamType):
    name = "ZONE"

    def convert(self, value, param, ctx):
        from cs.core.clock import get_zone

        try:
            get_zone(value)
        except CSError as exc:
            self.fail(str(exc), param, ctx)
        return value


class ChoiceParam(click.ParamType):
    """An enumeration that accepts the English code or the Chinese label (`投诉` = `complaint`)."""

    def __init__(self, table: dict, what: str):
        self.table = table
        self.what = what
        self.name = what.upper()

    def convert(self, value, param, ctx):
        from cs.core.vocabulary import CATEGORIES, CHANNELS, normalise

        if (self.table is CHANNELS or self.table is CATEGORIES) and ctx is not None:
            root = ctx.find_root().obj
            if isinstance(root, App):
                root.ctx  # the desk's own channels and categories join the table (SPEC section 17)
        try:
            return normalise(value, self.table, self.what)
        except CSError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None):
        return "[" + "|".join(self.table) + "]"


class AgentParam(click.ParamType):
    """An agent named by handle or by full name (`--agent 陈小丽` is `--agent chen`), looked up on the desk."""

    name = "AGENT"

    def convert(self, value, param, ctx):
        root = ctx.find_root().obj if ctx is not None else None
        if not isinstance(root, App) or not isinstance(value, str) or not value:
            return value
        from cs.desk.agents import handle_of

        return handle_of(root.db, value)


AGENT = AgentParam()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cs", message="%(prog)s, version %(version)s",
                      help="Show the version and exit.")
@click.option("--db", "db_path", envvar="CS_DB", metavar="PATH",
              help="Database file [env CS_DB; default $XDG_DATA_HOME/cs/cs.db].")
@click.option("--now", "now_spec", envvar="CS_NOW", type=TimeParam(), help="The clock for this run [env CS_NOW].")
@click.option("--as", "actor", envvar="CS_AGENT", metavar="NAME",
              help="Who is acting [env CS_AGENT; default the login; a desk that maps logins to agents decides itself].")
@click.option("--tz", "tz_name", envvar="CS_TZ", type=ZoneParam(), help="Centre time zone, IANA name [env CS_TZ].")
@click.option("--lang", type=click.Choice(["zh", "en"]), envvar="CS_LANG",
              help="Language of messages, tables and reports [env CS_LANG; default the desk's `language`, zh].")
@click.pass_context
def cli(ctx, db_path, now_spec, actor, tz_name, lang):
    """cs: the customer-service desk toolkit (客服部).

    Tickets, callbacks (回访), shifts and 考核 on one SQLite file.
    Read commands take --format table|json|jsonl|csv|tsv (or --json).
    """
    fmt = os.environ.get("CS_FORMAT") or "table"
    ctx.obj = App(db_path, now_spec, actor, tz_name, fmt)
    ctx.call_on_close(lambda: ctx.obj._db.close() if ctx.obj._db else None)


def main(argv=None):
    choose_language(sys.argv[1:] if argv is None else argv)
    _guard_sudo(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=argv, prog_name="cs")
    except KeyboardInterrupt:
        click.echo(_("Interrupted."), err=True)
        _leave(130)
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code) -> None:
    """End the process without tearing the interpreter down: freeing every loaded module's objects took longer than
    many commands' own work (8 ms of `cs ticket list`; issue 22). By now everything cs owns is finished: Click's
    context has closed the desk (its WAL checkpointed), files are written and renamed into place, locks are the
    kernel's to drop. What is left is the standard streams' buffers."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (`cs … >&-`)
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # `cs … | head -1`: the reader has what it wanted (see LazyGroup.invoke)
    os._exit(status)
