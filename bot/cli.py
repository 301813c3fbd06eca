"""The command line: `python -m bot due`, `python -m bot import` and `python -m bot migrate`.

Bad input never shows a traceback: the command exits with status 2 and prints one line naming
the place and the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.config import ConfigError
from bot.rules.engine import Obligation, obligations_due
from bot.rules.facts import World
from bot.rules.profile import Profile, ProfileError, load_profile
from bot.wording import duty_name
from bot.worldfile import WorldError, parse_moment, read_csv_export, read_world_file

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 1


class UsageError(ValueError):
    """Input the command cannot act on; shown as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (UsageError, ProfileError, WorldError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ArgumentError:
        print("error: --database: not a database address (for example sqlite:///var/companion.db)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"error: the database could not be used: {reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The supervision companion for Microsoft Teams.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    due = commands.add_parser("due", help="list what is due for whom and when, under a council's policy")
    due.add_argument("--policy", required=True, help="a shipped policy name, or the path of a council's own .toml file")
    due.add_argument(
        "--as-of", required=True, help="the moment to ask about (ISO 8601; a plain date means local midnight)"
    )
    source = due.add_mutually_exclusive_group(required=True)
    source.add_argument("--world", type=Path, help="a world file (JSON) with staff, sessions, agreements, cases")
    source.add_argument("--database", help="take the facts from the store at this database address")
    due.add_argument("--format", choices=("json", "table"), default="json")
    due.set_defaults(run=_due)

    load = commands.add_parser("import", help="load a world file or a CSV export of staff or cases into the store")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    load.set_defaults(run=_import)

    serve = commands.add_parser("run", help="start the bot on this computer for Teams or a local Teams client")
    serve.add_argument(
        "--demo", action="store_true", help="load the demo team and let anyone try the bot as one of them"
    )
    serve.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    serve.add_argument("--policy", help="policy profile (default: POLICY, else devon)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, else 3978)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="load the demo team into the store and show what is due today")
    demo.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    demo.add_argument("--policy", default=None, help="policy to show it under (default: POLICY, else devon)")
    demo.set_defaults(run=_demo)

    worker = commands.add_parser("worker", help="sweep and send reminders in their own process (no web server)")
    worker.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    worker.add_argument("--policy", help="policy profile (default: POLICY, else devon)")
    worker.set_defaults(run=_worker)

    sweeper = commands.add_parser("sweep", help="run one sweep: queue the reminders that are due now")
    sweeper.add_argument("--now", help="the moment to sweep at (ISO 8601; default: the clock)")
    doing = sweeper.add_mutually_exclusive_group()
    doing.add_argument("--dry-run", action="store_true", help="print the reminders as JSON and queue nothing")
    doing.add_argument("--send", action="store_true", help="also send what is queued now, as the worker would")
    sweeper.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    sweeper.add_argument("--policy", help="policy profile (default: POLICY, else devon)")
    sweeper.set_defaults(run=_sweep)

    gallery = commands.add_parser("cards", help="write every card the bot can send, with sample data, as JSON")
    gallery.add_argument("--output", type=Path, default=Path("build/cards"))
    gallery.add_argument("--policy", default=None, help="policy whose calendar dates the cards (default: devon)")
    gallery.set_defaults(run=_cards)

    package = commands.add_parser("package", help="build the Teams app package (needs MicrosoftAppId)")
    package.add_argument("--output", type=Path, default=Path("build/supervision-companion.zip"))
    package.set_defaults(run=_package)

    migrate = commands.add_parser("migrate", help="create or update the database tables")
    migrate.add_argument("--database", help="database address (default: DATABASE_URL, else the local SQLite file)")
    migrate.set_defaults(run=_migrate)
    return parser


def _due(args: argparse.Namespace) -> int:
    profile = load_profile(args.policy)
    as_of = _as_of(args.as_of, profile)
    world = (
        read_world_file(args.world, profile.calendar)
        if args.world
        else _facts_from_store(args.database, profile, as_of)
    )
    found = obligations_due(profile, world, as_of)
    if args.format == "table":
        print(_table(found, world))
    else:
        print(json.dumps(due_report(profile, as_of, found), indent=2, ensure_ascii=False))
    return 0


def due_report(profile: Profile, as_of: datetime, found: Sequence[Obligation]) -> dict[str, Any]:
    """The `due` command's JSON document."""
    return {
        "policy": profile.name,
        "as_of": as_of.isoformat(),
        "obligations": [obligation.as_dict() for obligation in found],
    }


def _as_of(text: str, profile: Profile, flag: str = "--as-of") -> datetime:
    try:
        return parse_moment(text, profile.calendar)
    except ValueError:
        raise UsageError(f'{flag}: not a date or a date-time with offset: "{text}"') from None


def _table(found: Sequence[Obligation], world: World) -> str:
    names = {person.id: person.name for person in world.staff}
    rows = [("Due", "Status", "What", "About", "Who", "Tell")]
    for o in found:
        rows.append(
            (
                o.due.strftime("%a %d %b %Y %H:%M"),
                "Overdue" if o.overdue else "Due",
                duty_name(o.kind.value),
                o.subject,
                names.get(o.supervisee or "", o.supervisee or "(team)"),
                ", ".join(o.notify),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if not found:
        lines.append("Nothing is due.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The store


def _database_url(given: str | None) -> str:
    from bot.storage.db import default_database_url

    return given or default_database_url()


def _facts_from_store(url: str, profile: Profile, now: datetime) -> World:
    from bot.storage.db import create_engine_for, session_factory
    from bot.storage.world import load_facts

    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            return load_facts(session, profile, now)
    finally:
        engine.dispose()


def _import(args: argparse.Namespace) -> int:
    from bot.storage.db import create_engine_for, migrate, session_factory
    from bot.storage.world import import_world, load_world

    url = _database_url(args.database)
    migrate(url)
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            world = load_world(session)
            for path in args.files:
                read = read_csv_export if path.suffix.lower() == ".csv" else read_world_file
                world = merge_worlds(world, read(path, known=world))
            summary = import_world(session, world)
            session.commit()
    finally:
        engine.dispose()
    print(f"Imported into {_redacted(url)}: {summary}")
    return 0


def merge_worlds(base: World, incoming: World) -> World:
    """The facts of `base` with those of `incoming` added or replacing them, matched by id."""

    def merged(old: tuple[Any, ...], new: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
        by_key = {key(item): item for item in old}
        by_key.update({key(item): item for item in new})
        return tuple(by_key.values())

    return replace(
        base,
        staff=merged(base.staff, incoming.staff, lambda s: s.id),
        sessions=merged(base.sessions, incoming.sessions, lambda s: s.id),
        agreements=merged(base.agreements, incoming.agreements, lambda a: (a.supervisee, a.supervisor, a.signed_at)),
        cases=merged(base.cases, incoming.cases, lambda c: c.id),
        urgent_requests=merged(base.urgent_requests, incoming.urgent_requests, lambda r: r.id),
    )


def _serve(args: argparse.Namespace) -> int:
    import logging

    from aiohttp import web

    from bot.app import create_app
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.storage.db import migrate

    overrides: dict[str, object] = {"demo": True} if args.demo else {}
    overrides |= {
        key: value
        for key, value in (("database_url", args.database), ("policy", args.policy), ("port", args.port))
        if value
    }
    settings = Settings.from_environment(**overrides)
    settings.check()
    profile = load_profile(settings.policy)
    migrate(settings.database_url)
    if settings.demo:
        _load_demo(settings.database_url, profile, profile.calendar.local(SystemClock().now()))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = f"http://{settings.host}:{settings.port}/api/messages"
    print(f"The supervision companion is listening at {address}, following {profile.title}.")
    if settings.anonymous:
        print("It runs without a Microsoft app id, so only a Teams client on this computer can talk to it:")
        print(f"point Microsoft 365 Agents Playground (or the Bot Framework Emulator) at {address}.")
    if settings.demo:
        print("Demo mode: say hello and pick a demo person to try it as. Press Ctrl+C to stop.")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.storage.db import create_engine_for, migrate, session_factory
    from bot.storage.world import load_facts

    profile = load_profile(args.policy or os.environ.get("POLICY") or "devon")
    now = profile.calendar.local(SystemClock().now())
    url = _database_url(args.database)
    migrate(url)
    _load_demo(url, profile, now)
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            world = load_facts(session, profile, now)
    finally:
        engine.dispose()
    print(f"The demo team is in {_redacted(url)}. Following {profile.title}, today:\n")
    print(_table(obligations_due(profile, world, now), world))
    return 0


def _load_demo(url: str, profile: Profile, now: datetime) -> None:
    """The demo team dated from today, and its open actions where a case has none yet (so a restart adds none)."""
    from bot.demo import demo_actions, demo_world
    from bot.storage.db import create_engine_for, session_factory
    from bot.storage.repositories import ActionRepository
    from bot.storage.world import import_world

    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            import_world(session, demo_world(now.date(), profile.calendar))
            actions = ActionRepository(session)
            for case in {action.case for action in demo_actions(now.date())}:
                if not actions.open_for_case(case):
                    for action in demo_actions(now.date()):
                        if action.case == case:
                            actions.add(action.case, action.text, action.owner, action.due_on)
            session.commit()
    finally:
        engine.dispose()


def _worker(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from aiohttp import web

    from bot.app import create_app
    from bot.config import Settings

    overrides = {key: value for key, value in (("database_url", args.database), ("policy", args.policy)) if value}
    settings = Settings.from_environment(**overrides)
    if not settings.sweep_every:
        raise UsageError("SWEEP_EVERY=0: the worker has nothing to do; set it to the seconds between sweeps")
    settings.check()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def work() -> None:
        runner = web.AppRunner(create_app(settings))
        await runner.setup()  # starts the scheduler; nothing listens for messages here
        print(f"Sweeping every {settings.sweep_every} seconds. Press Ctrl+C to stop.")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(work())
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.storage.db import create_engine_for, session_factory
    from bot.sweep import sweep

    profile = load_profile(args.policy or os.environ.get("POLICY") or "devon")
    now = _as_of(args.now, profile, "--now") if args.now else profile.calendar.local(SystemClock().now())
    if args.send:
        return _sweep_and_send(args, now)
    engine = create_engine_for(_database_url(args.database))
    try:
        with session_factory(engine)() as session:
            found = sweep(session, profile, now, dry_run=args.dry_run)
            if not args.dry_run:
                session.commit()
    finally:
        engine.dispose()
    if args.dry_run:
        print(json.dumps([nudge.as_dict() for nudge in found], indent=2, ensure_ascii=False))
    else:
        print(f"Queued {_reminders(len(found))}.")
    return 0


def _sweep_and_send(args: argparse.Namespace, now: datetime) -> int:
    """One tick of the worker as of `now`: queue what is due, then send everything queued."""
    import asyncio

    from aiohttp import web

    from bot.app import SWEEPER, create_app
    from bot.clock import StoppedClock
    from bot.config import Settings

    overrides: dict[str, object] = {"sweep_every": 0}
    overrides |= {key: value for key, value in (("database_url", args.database), ("policy", args.policy)) if value}
    settings = Settings.from_environment(**overrides)

    async def tick() -> str:
        app = create_app(settings, clock=StoppedClock(now))
        runner = web.AppRunner(app)
        await runner.setup()  # nothing listens; this only runs the app's start and clean-up
        try:
            report = await app[SWEEPER].tick()
        finally:
            await runner.cleanup()
        sent = report.delivered
        return (
            f"Queued {_reminders(report.queued)}; sent {sent.sent}, "
            f"{sent.failed} could not be sent yet, {sent.unreachable} could not reach the person."
        )

    print(asyncio.run(tick()))
    return 0


def _reminders(count: int) -> str:
    return f"{count} reminder{'s' if count != 1 else ''}"


def _cards(args: argparse.Namespace) -> int:
    from bot.gallery import write_gallery

    written = write_gallery(args.output, load_profile(args.policy or os.environ.get("POLICY") or "devon"))
    print(f"{len(written)} cards written to {args.output}.")
    return 0


def _package(args: argparse.Namespace) -> int:
    from bot.package import PackageError, build

    try:
        path = build(
            os.environ.get("MicrosoftAppId", ""),  # noqa: SIM112 - the Bot Framework's own name
            args.output,
            developer=os.environ.get("DEVELOPER_NAME", "Children's Services"),
            website=os.environ.get("DEVELOPER_WEBSITE", "https://www.example.org"),
        )
    except PackageError as error:
        raise UsageError(str(error)) from error
    print(f"Teams app package written to {path}. Upload it in Teams under Apps, Manage your apps.")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from bot.storage.db import migrate

    url = _database_url(args.database)
    migrate(url)
    print(f"The database at {_redacted(url)} is up to date.")
    return 0


def _redacted(url: str) -> str:
    """A database address without any password in it, safe to print."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
