"""The ``mediation`` command: set up the database, load data, report, verify and serve."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from mediation.audit.chain import Actor
from mediation.config import Settings
from mediation.db import Database
from mediation.errors import MediationError

F = TypeVar("F", bound=Callable[..., Any])

CLI_ACTOR = Actor(None, "cli")


class Context:
    """What every command shares: the settings and, lazily, the database."""

    def __init__(self, database_url: str | None) -> None:
        settings = Settings.from_env()
        self.database_url = database_url or settings.database_url
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        """Open the database on first use."""
        if self._database is None:
            try:
                self._database = Database(self.database_url)
            except (SQLAlchemyError, ImportError, OSError) as exc:
                # A URL SQLAlchemy cannot parse, a driver not installed, a directory that
                # cannot be created for an SQLite file: a message, not a traceback.
                raise click.ClickException(
                    f"cannot open the database {_safe_url(self.database_url)}: {exc}"
                ) from None
        return self._database

    def close(self) -> None:
        """Release the database's connections."""
        if self._database is not None:
            self._database.dispose()


def reports_errors(func: F) -> F:
    """Turn the engine's errors into a clear message and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MediationError as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            # The server refused the connection, the database does not exist, the file is
            # not a database: say so instead of a traceback.
            raise click.ClickException(f"database error: {exc.orig or exc}") from None
        except ArgumentError as exc:  # backup/restore parse --database-url themselves
            raise click.ClickException(f"--database-url: {exc}") from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(f"{exc.strerror or exc}{where}") from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def _schema_required(ctx: Context) -> Iterator[None]:
    from mediation.schema import current_revision, head_revision

    if current_revision(ctx.database.engine) != head_revision():
        raise click.ClickException(
            "the database schema is missing or out of date: run `mediation init-db` first"
        )
    yield


def _parse_day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _refuse_undecodable_text(ctx: click.Context) -> None:
    # Bytes of the command line that are not UTF-8 reach Python as lone surrogates
    # (surrogateescape): no database can store or compare them. Paths may hold them.
    for param in ctx.command.params:
        if isinstance(param.type, click.Path):
            continue
        value = ctx.params.get(param.name or "")
        for text in value if isinstance(value, tuple | list) else (value,):
            if not isinstance(text, str):
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise click.BadParameter("is not valid UTF-8 text", ctx=ctx, param=param) from None


class _CheckedCommand(click.Command):
    """A command that refuses a text argument that is not valid UTF-8, changing nothing."""

    def invoke(self, ctx: click.Context) -> Any:
        _refuse_undecodable_text(ctx)
        return super().invoke(ctx)


class _CheckedGroup(click.Group):
    """The command group: its own options and its commands' checked as :class:`_CheckedCommand`."""

    command_class = _CheckedCommand

    def invoke(self, ctx: click.Context) -> Any:
        _refuse_undecodable_text(ctx)
        return super().invoke(ctx)


@click.group(cls=_CheckedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL; default: the SQLite file instance/mediation.sqlite3 "
    "(or $MEDIATION_DATA_DIR/mediation.sqlite3).",
)
@click.pass_context
def main(click_ctx: click.Context, database_url: str | None) -> None:
    """Case engine for labour-dispute mediation (劳动争议调解案件系统)."""
    context = Context(database_url)
    click_ctx.obj = context
    click_ctx.call_on_close(context.close)


@main.command("init-db")
@click.pass_obj
@reports_errors
def init_db(ctx: Context) -> None:
    """Create or upgrade the database schema to the newest revision (idempotent)."""
    from mediation.schema import upgrade

    revision = upgrade(ctx.database.engine)
    click.echo(f"database at schema revision {revision}: {_safe_url(ctx.database_url)}")


@main.command("seed-demo")
@click.option("--cases", default=300, show_default=True, type=click.IntRange(0, 100_000))
@click.pass_obj
@reports_errors
def seed_demo(ctx: Context, cases: int) -> None:
    """Load demo data: Daxing's towns and zones, organisations, users and cases (idempotent)."""
    from mediation.demo import seed_demo as seed

    with _schema_required(ctx):
        summary = seed(ctx.database, cases=cases)
    if summary.created:
        click.echo(f"demo data loaded: {summary.cases} cases")
    else:
        click.echo("demo data already present: nothing changed")
    click.echo(f"demo logins (password for all: {summary.password}):")
    for username, role, where in summary.users:
        click.echo(f"  {username:<16} {role:<11} {where}")


ROLES = ("mediator", "lawyer", "supervisor", "admin")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--display-name", required=True, help="Name shown in the application.")
@click.option("--organization", default=None, help="Organisation name (mediators).")
@click.option("--zone", default=None, help="Zone name (volunteer lawyers).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
@click.pass_obj
@reports_errors
def create_user(
    ctx: Context,
    username: str,
    role: str,
    display_name: str,
    organization: str | None,
    zone: str | None,
    password_stdin: bool,
) -> None:
    """Create a user account."""
    from sqlmodel import select

    from mediation.people.models import Organization, Zone
    from mediation.people.service import create_user as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _schema_required(ctx), ctx.database.writing() as session:
        organization_id = zone_id = None
        if organization:
            org = session.exec(
                select(Organization).where(Organization.name == organization)
            ).first()
            if org is None:
                raise click.BadParameter(
                    f"no organisation named {organization!r}", param_hint="--organization"
                )
            organization_id = org.id
        if zone:
            found = session.exec(select(Zone).where(Zone.name == zone)).first()
            if found is None:
                raise click.BadParameter(f"no zone named {zone!r}", param_hint="--zone")
            zone_id = found.id
        user = create(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            organization_id=organization_id,
            zone_id=zone_id,
        )
        click.echo(f"created {user.role} {user.username} ({user.display_name})")


@main.command("import-cases")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@reports_errors
def import_cases(ctx: Context, file: Path) -> None:
    """Import historic cases from a UTF-8 CSV file (all rows or none)."""
    from mediation.imports import import_cases as run_import

    with _schema_required(ctx), ctx.database.writing() as session:
        result = run_import(session, file, actor=Actor(None, f"import:{file.name}"))
    click.echo(
        f"imported {result.cases} cases from {file} "
        f"({result.organizations_created} organisations and {result.towns_created} towns created)"
    )


@main.command("report")
@click.option("--from", "date_from", required=True, callback=_parse_day, help="YYYY-MM-DD")
@click.option("--to", "date_to", required=True, callback=_parse_day, help="YYYY-MM-DD")
@click.option(
    "--by",
    required=True,
    type=click.Choice(["level", "organization", "zone", "mediator", "category"]),
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "csv", "json"]),
)
@click.pass_obj
@reports_errors
def report(ctx: Context, date_from: date, date_to: date, by: str, fmt: str) -> None:
    """Print cases and amounts of a period, grouped (amounts in yuan)."""
    from mediation.reports.figures import build_report
    from mediation.reports.render import render

    if date_from > date_to:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    with _schema_required(ctx), ctx.database.read_session() as session:
        result = build_report(session, date_from=date_from, date_to=date_to, by=by)
    output = render(result, fmt)
    click.echo(output, nl=not output.endswith("\n"))


@main.command("verify-audit")
@click.pass_obj
@reports_errors
def verify_audit(ctx: Context) -> None:
    """Recompute the audit chain; exit 1 naming the first broken event.

    The run is recorded (when, by whom, what was found): the supervisors' chain page lists it.
    """
    from mediation.supervision.verification import run_verification

    with _schema_required(ctx):
        result = run_verification(ctx.database, actor=_cli_actor(), source="cli").verification
    if result.ok:
        click.echo(
            f"audit chain intact: {result.events_checked} events, "
            f"{result.cases_checked} cases checked"
        )
        return
    click.echo(f"audit chain BROKEN at {result.first_break}", err=True)
    for extra in result.breaks[1:5]:
        click.echo(f"  also: {extra}", err=True)
    sys.exit(1)


@main.command("rotate-data-key")
@click.pass_obj
@reports_errors
def rotate_data_key(ctx: Context) -> None:
    """Re-seal every stored ID and phone number with the current MEDIATION_DATA_KEY.

    Make a new key, set it as MEDIATION_DATA_KEY and list the old one in
    MEDIATION_DATA_KEYS_RETIRED (comma-separated), run this, then drop the old key.
    """
    from mediation.cases.resealing import count_stale, reseal_parties, unreadable_keys
    from mediation.people.sealing import KEY_VARIABLE, RETIRED_VARIABLE, key_ring

    ring = key_ring()
    with _schema_required(ctx), ctx.database.engine.connect() as connection:
        missing = unreadable_keys(connection, ring)
    if missing:
        raise click.ClickException(
            f"numbers are sealed with key(s) {', '.join(sorted(missing))}, which are neither "
            f"{KEY_VARIABLE} nor among {RETIRED_VARIABLE}: nothing was changed"
        )
    stale = reseal_parties(ctx.database)
    with ctx.database.engine.connect() as connection:
        left = count_stale(connection, ring)
    click.echo(
        f"re-sealed {stale} party row(s) with key {ring.current_id}; {left} left "
        + ("(the retired keys may now be removed)" if not left else "(run it again)")
    )


DOCUMENT_KINDS = (
    "agreement",
    "failure_notice",
    "rejection_notice",
    "performance_confirmation",
    "archive_bundle",
)


@main.command("issue-document")
@click.argument("case_number")
@click.argument("kind", type=click.Choice(DOCUMENT_KINDS))
@click.option("--reason", default="", help="Why it is issued again (required from version 2).")
@click.option(
    "--base-url",
    default=None,
    help="Where the public reaches the application, for the verification URL printed on the "
    "document; default: $PUBLIC_BASE_URL, else http://127.0.0.1:5000.",
)
@click.pass_obj
@reports_errors
def issue_document(
    ctx: Context, case_number: str, kind: str, reason: str, base_url: str | None
) -> None:
    """Issue a case's document (again: a new version, with --reason)."""
    from sqlalchemy import select

    from mediation import clock
    from mediation.issuing.service import issue_document as issue
    from mediation.issuing.urls import base_url_from_env
    from mediation.tables import CASE

    with _schema_required(ctx), ctx.database.read_session() as session:
        case_id = session.execute(
            select(CASE.c.id).where(CASE.c.number == case_number)
        ).scalar_one_or_none()
    if case_id is None:
        raise click.BadParameter(f"no case numbered {case_number!r}", param_hint="CASE_NUMBER")
    issued = issue(
        ctx.database,
        case_id,
        kind,
        CLI_ACTOR,
        reason=reason,
        base_url=base_url or base_url_from_env(),
        today=clock.today(),
    )
    click.echo(f"issued {issued.number} v{issued.version} ({kind}), SHA-256 {issued.sha256}")


@main.command("verify-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@reports_errors
def verify_document(ctx: Context, file: Path) -> None:
    """Tell whether FILE is an issued document, unaltered (exit 0), or not (exit 1)."""
    from mediation.issuing.records import check_file

    try:
        content = file.read_bytes()
    except OSError as exc:
        click.echo(f"cannot read {file}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    with _schema_required(ctx), ctx.database.read_session() as session:
        verdict = check_file(session, content)
    match = verdict.match
    if match is not None:
        status = f"superseded by version {match.latest_version}" if match.superseded else "current"
        click.echo(f"{file}: issued document {match.number} v{match.version}, unaltered")
        click.echo(f"  kind:      {match.kind} ({match.title})")
        click.echo(f"  version:   {match.version} ({status})")
        click.echo(f"  issued at: {match.issued_local:%Y-%m-%d %H:%M:%S} (Asia/Shanghai)")
        click.echo(f"  SHA-256:   {verdict.sha256}")
        return
    if verdict.claims is not None:
        number, version = verdict.claims
        if verdict.claimed is not None:
            click.echo(
                f"{file}: claims to be {number} v{version} but does not match the issued file: "
                f"it has been altered (SHA-256 {verdict.sha256}, issued "
                f"{verdict.claimed.sha256})",
                err=True,
            )
        else:
            click.echo(
                f"{file}: claims to be {number} v{version}, but no such document was issued "
                f"(SHA-256 {verdict.sha256})",
                err=True,
            )
        sys.exit(1)
    click.echo(
        f"{file}: not an issued document (no issued file has SHA-256 {verdict.sha256})", err=True
    )
    sys.exit(1)


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@reports_errors
def backup_command(ctx: Context, file: Path) -> None:
    """Write a consistent copy of the database to FILE (SQLite backup API, or pg_dump)."""
    from mediation.backup import backup

    result = backup(ctx.database_url, file)
    click.echo(f"backed up {_safe_url(ctx.database_url)} to {result.path} ({result.size} bytes)")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the database.")
@click.pass_obj
@reports_errors
def restore_command(ctx: Context, file: Path, yes: bool) -> None:
    """Replace the database with the backup in FILE (stop the service first)."""
    from mediation.backup import restore

    target = _safe_url(ctx.database_url)
    if not yes:
        click.confirm(f"Replace everything in {target} with {file}?", abort=True)
    ctx.close()
    result = restore(ctx.database_url, file)
    click.echo(f"restored {target} from {result.path}; now run `mediation verify-audit`")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
@reports_errors
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Serve the web application with gunicorn."""
    from documents.render import DocumentEnvironmentError, check_environment
    from mediation import production
    from mediation.cases.resealing import unreadable_keys
    from mediation.server import run

    production.check()  # MEDIATION_ENV=production: no start without a real key and URL

    try:
        # Fail before the first worker starts, naming the package to install, rather than
        # at the first document a mediator issues (empty boxes or seconds per page).
        check_environment()
    except DocumentEnvironmentError as error:
        raise click.ClickException(str(error)) from None
    with _schema_required(ctx), ctx.database.engine.connect() as connection:
        missing = unreadable_keys(connection)
    if missing:
        # Every page with a party would fail: refuse to start instead, saying why.
        raise click.ClickException(
            f"the ID and phone numbers in this database are sealed with key(s) "
            f"{', '.join(sorted(missing))}, which MEDIATION_DATA_KEY and "
            "MEDIATION_DATA_KEYS_RETIRED do not hold: set the key this database was written with"
        )
    ctx.close()
    run(database_url=ctx.database_url, host=host, port=port, workers=workers)


@main.command(
    "bench",
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Run every benchmark and print one table (`mediation bench --help` for the sizes).

    Runs `python -m benchmarks` from the source tree with the same arguments; it works on
    scratch databases of its own (the configured database is not touched).
    """
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "__main__.py").is_file():
        raise click.ClickException(
            f"the benchmarks are not beside this installation ({root}): "
            "run `mediation bench` from an editable install of a clone"
        )
    completed = subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=root, check=False)
    sys.exit(completed.returncode)


def _cli_actor() -> Actor:
    """Name the command line and the operating-system user running it."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        return CLI_ACTOR
    return Actor(None, f"cli ({user})"[:100])


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"  # not echoed: it may hold a password
