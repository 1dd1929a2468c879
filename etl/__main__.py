"""``python -m etl``: load the CRM into the warehouse, once or on a schedule."""

from __future__ import annotations

import sys
import time

import duckdb

from crm.__main__ import OneLineParser, pause_seconds
from crm.errors import UserError


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="python -m etl",
        description="Load the CRM (CRM_DATABASE_URL) into the DuckDB warehouse (WAREHOUSE_PATH, "
        "default data/warehouse.duckdb).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="one run: full the first time, incremental after")
    run.add_argument("--full", action="store_true", help="reload everything from the CRM")
    watch = commands.add_parser("watch", help="run again and again until stopped (Ctrl-C)")
    watch.add_argument(
        "--every",
        type=pause_seconds,
        default=30.0,
        help="seconds from the start of one run to the start of the next (30)",
    )
    watch.add_argument("--full", action="store_true", help="make the first run a full one")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            run_once(full=args.full)
        else:
            watch(every=args.every, full=args.full)
        return 0
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        print(
            f"error: the ETL run failed in DuckDB ({first_line}); nothing was published, readers "
            "keep the last complete snapshot, and the next run starts again from it.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("etl: stopped.", file=sys.stderr)
        return 130


def run_once(full: bool = False) -> None:
    from etl.run import Loader
    from warehouse import warehouse_paths

    source = _crm_source()
    try:
        with Loader(warehouse_paths()) as loader:
            print(loader.run(source, full=full, progress=_say).line(), flush=True)
    finally:
        source.close()


def watch(every: float, full: bool = False) -> None:
    """Run every ``every`` seconds; a failed run is reported and the next one tries again.
    The warehouse's base and the CRM connections stay open between runs (etl.run.Loader)."""
    from etl.run import Loader
    from warehouse import warehouse_paths

    first = True
    source = None
    with Loader(warehouse_paths()) as loader:
        try:
            while True:
                started = time.monotonic()
                try:
                    source = source or _crm_source()
                    print(loader.run(source, full=full and first, progress=_say).line(), flush=True)
                except UserError as error:
                    print(f"etl: run skipped: {error}", file=sys.stderr, flush=True)
                except Exception as error:  # keep watching: the next run starts from the last
                    print(
                        f"etl: run failed ({type(error).__name__}: {error}); "
                        f"retrying in {every:g} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    if source is not None:  # its connections may be what failed
                        source.close()
                        source = None
                first = False
                time.sleep(max(0.0, every - (time.monotonic() - started)))
        finally:
            if source is not None:
                source.close()


def _crm_source():
    """The CRM to read: CRM_REPLICA_URL's replica when set (the primary, CRM_DATABASE_URL, only
    tells how far the replica must have come), else the CRM itself."""
    from crm.config import crm_replica_url
    from crm.db import create_crm_engine, require_current_schema
    from etl.extract import CrmSource

    replica = crm_replica_url()
    engine = create_crm_engine(replica, create=False)
    require_current_schema(engine)
    # Close our own connections first: the extractor brings its own driver.
    engine.dispose()
    if replica is None:
        return CrmSource(engine.url)
    return CrmSource(replica, primary=create_crm_engine().url)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
