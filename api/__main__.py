"""``python -m api``: serve the ingest API with Uvicorn (default port 8502)."""

from __future__ import annotations

import os
import sys

DEFAULT_PORT = 8502


def main(argv: list[str] | None = None) -> int:
    from crm.__main__ import OneLineParser, positive_int

    parser = OneLineParser(
        prog="python -m api",
        description="Serve Starboard's ingest API on the CRM at CRM_DATABASE_URL; documentation "
        "at /docs.",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("STARBOARD_API_HOST", "127.0.0.1"),
        help="address to listen on (STARBOARD_API_HOST, else 127.0.0.1; "
        "0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help=f"port (STARBOARD_API_PORT, else {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--workers", type=positive_int, default=1, help="processes serving requests (1)"
    )
    args = parser.parse_args(argv)
    port = args.port or int(os.environ.get("STARBOARD_API_PORT", "") or DEFAULT_PORT)

    import uvicorn

    from crm.db import create_crm_engine, require_current_schema
    from crm.errors import UserError

    try:
        engine = create_crm_engine()
        require_current_schema(engine)
        engine.dispose()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"api: Starboard's ingest API on http://{args.host}:{port} (documentation at /docs)",
        flush=True,
    )
    # Our own request log (ingest_requests) replaces Uvicorn's access log.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
