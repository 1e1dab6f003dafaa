"""portal serve | migrate | demo | create-admin | set-password | export-schema | audit verify |
audit chain-key"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from app.container import Container


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        result: int = args.handler(args)
        return result
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="Portico developer portal")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="serve the portal and the API (uvicorn)")
    serve.add_argument("--host", default=None, help="default: PORTAL_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: PORTAL_PORT or 8000")
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL only)")
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser(
        "worker", help="background jobs only (no HTTP): log exports, compaction, retention"
    )
    worker.set_defaults(handler=_worker)

    migrate = sub.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(handler=_migrate)

    demo = sub.add_parser("demo", help="seed the demo organizations and users (idempotent)")
    demo.add_argument("--password", default=None, help="password for every demo user")
    demo.set_defaults(handler=_demo)

    admin = sub.add_parser("create-admin", help="create a site admin (platform staff)")
    admin.add_argument("email")
    admin.add_argument("--name", default="")
    admin.add_argument(
        "--password", default=None, help="default: prompt (or PORTAL_ADMIN_PASSWORD)"
    )
    admin.set_defaults(handler=_create_admin)

    password = sub.add_parser("set-password", help="set a portal user's password")
    password.add_argument("email")
    password.add_argument("--password", default=None, help="default: prompt")
    password.set_defaults(handler=_set_password)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", type=Path, default=None, help="write to this file instead")
    export.set_defaults(handler=_export_schema)

    pattern = sub.add_parser(
        "scanner-pattern",
        help="print the regular expression secret scanners register for this deployment's keys",
    )
    pattern.set_defaults(handler=_scanner_pattern)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command")
    verify = audit_sub.add_parser(
        "verify", help="check the hash chains; name the first broken event"
    )
    verify.add_argument("--entity", default=None, help="entity ID or code (default: every chain)")
    verify.set_defaults(handler=_audit_verify)
    chain_key = audit_sub.add_parser(
        "chain-key",
        help="print the audit chain key (hex) that scripts/verify_audit_export.py needs; "
        "as secret as PORTAL_SECRET_KEY",
    )
    chain_key.set_defaults(handler=_audit_chain_key)
    return parser


def _scanner_pattern(args: argparse.Namespace) -> int:
    from app.api_key.format import KeyFormat

    key_format = KeyFormat.of(load_settings())
    print(key_format.scanner_pattern())
    print(f"# example: {key_format.generate('test', 'acme')}", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.host:
        os.environ["PORTAL_HOST"] = args.host  # the app factory reads settings again
    if args.port:
        os.environ["PORTAL_PORT"] = str(args.port)
    settings = load_settings()
    host = settings.host
    port = settings.port
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.is_sqlite:
        print(
            "SQLite runs as one process: --workers needs PostgreSQL "
            "(set PORTAL_DATABASE_URL=postgresql://...).",
            file=sys.stderr,
        )
        return 2
    if not settings.is_sqlite:
        _run_migrations(settings)  # replicas racing here is safe: Alembic's version row decides
    from app.http_server import uvicorn_options

    uvicorn.run(
        "app.main:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        **uvicorn_options(settings),  # header/body/WebSocket bounds, no proxy headers
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    """The worker jobs (``jobs_for(container, "worker")``), no HTTP. Runs until SIGTERM/SIGINT,
    then drains (PORTAL_JOB_DRAIN_SECONDS); any number may run beside the serving replicas."""
    import logging
    import signal

    from app.container import Container
    from app.observability import configure_logging
    from app.worker.jobs import jobs_for
    from app.worker.runner import TaskRunner

    logger = logging.getLogger("portal.worker")
    settings = load_settings()
    if settings.is_sqlite:
        print(
            "On SQLite the background jobs run inside `portal serve`; `portal worker` is for "
            "PostgreSQL deployments (set PORTAL_DATABASE_URL=postgresql://...).",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level)
    _run_migrations(settings)
    from app.http_server import tune_gc

    tune_gc()  # the delivery job allocates per attempt as serve does per request
    if settings.worker_metrics_port is not None:
        from app.metrics import serve_metrics

        serve_metrics(settings.worker_metrics_host, settings.worker_metrics_port)

    async def run() -> None:
        container = Container(settings)
        runner = TaskRunner(jobs_for(container, "worker"), settings.job_drain_seconds)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await container.start()
            await runner.start()
            fields = {
                "jobs": [j.name for j in runner.jobs],
                "loop": type(loop).__module__.split(".")[0],  # uvloop, or asyncio without it
            }
            logger.info("worker started", extra={"fields": fields})
            await stop.wait()
            logger.info("worker stopping: draining jobs")
        finally:
            await runner.stop()
            await container.stop()
            await container.close()
        logger.info("worker stopped")

    _run_event_loop(run())
    return 0


def _run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """``portal worker``'s loop: uvloop where it is installed (as uvicorn's "auto" gives
    ``portal serve``, so the delivery job runs on the same loop in both), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # uvloop is not built for every platform
        asyncio.run(main)
        return
    uvloop.run(main)


def _run_migrations(settings: Settings) -> None:
    from app.migrate import upgrade_to_head

    upgrade_to_head(settings)


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    _run_migrations(settings)
    print(f"Database is at the latest revision ({_safe_url(settings)}).")
    return 0


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _demo(args: argparse.Namespace) -> int:
    from app.demo import seed_demo

    settings = load_settings()
    _run_migrations(settings)
    password = args.password or (
        settings.demo_password.get_secret_value() if settings.demo_password else None
    )
    result = asyncio.run(seed_demo(settings, password))
    print(result.describe(settings.public_url))
    return 0


def _read_password(given: str | None, env: str) -> str:
    if given:
        return given
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise SystemExit("Passwords do not match")
    return first


def _use_case(settings: Settings, action: Callable[[Container], Awaitable[object]]) -> int:
    """Run one service call with a fresh container; a domain error is a clean exit 1."""
    from app.container import Container
    from app.errors import DomainError

    async def run() -> None:
        container = Container(settings)
        try:
            await action(container)
        finally:
            await container.close()

    try:
        asyncio.run(run())
    except DomainError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from app.actor import Actor

    settings = load_settings()
    _run_migrations(settings)
    password = _read_password(args.password, "PORTAL_ADMIN_PASSWORD")
    code = _use_case(
        settings,
        lambda c: c.tenancy.create_user(
            Actor.system("cli"), args.email, args.name, password, site_admin=True
        ),
    )
    if code == 0:
        print(f"Site admin {args.email} created.")
    return code


def _set_password(args: argparse.Namespace) -> int:
    from app.actor import Actor

    settings = load_settings()
    password = _read_password(args.password, "PORTAL_NEW_PASSWORD")
    code = _use_case(
        settings, lambda c: c.tenancy.set_password(Actor.system("cli"), args.email, password)
    )
    if code == 0:
        print(f"Password set for {args.email}.")
    return code


def _export_schema(args: argparse.Namespace) -> int:
    from app.gql.schema import schema

    sdl = schema.as_str() + "\n"
    if args.output:
        args.output.write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from app.container import Container

    settings = load_settings()

    async def run() -> int:
        container = Container(settings)
        try:
            chain = args.entity
            if chain and not chain.startswith("ent_"):
                entity = await container.tenancy.find_entity(chain)
                if entity is None:
                    print(f"No entity with code {chain!r}", file=sys.stderr)
                    return 2
                chain = entity.id
            reports = await container.audit.verify(chain)
        finally:
            await container.close()
        failed = 0
        for report in reports:
            if report.ok:
                print(f"OK      {report.chain}: {report.checked} events")
            else:
                failed += 1
                where = report.broken_event_id or f"seq {report.broken_seq}"
                print(
                    f"BROKEN  {report.chain}: first broken event {where} "
                    f"(seq {report.broken_seq}): {report.reason}"
                )
        if not reports:
            print("No audit events yet.")
        return 1 if failed else 0

    return asyncio.run(run())


def _audit_chain_key(args: argparse.Namespace) -> int:
    from app.container import Container

    container = Container(load_settings())
    try:
        print(container.audit_key.hex())
    finally:
        asyncio.run(container.close())
    return 0


def generate_password() -> str:
    return secrets.token_urlsafe(12)


if __name__ == "__main__":
    raise SystemExit(main())
