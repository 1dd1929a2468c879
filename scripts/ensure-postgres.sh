#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use answers on 127.0.0.1:5432, starting the
# machine's cluster when it is down. Exits non-zero, with one line saying why, if it cannot.
set -euo pipefail

host=127.0.0.1
port=5432
wait_seconds=60

if ! command -v pg_isready >/dev/null 2>&1; then
    echo "error: PostgreSQL is not installed (no pg_isready): apt-get install postgresql" >&2
    exit 1
fi
if pg_isready -q -h "$host" -p "$port"; then
    exit 0
fi

version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$version" ]; then
    echo "error: nothing answers on $host:$port and there is no cluster in /etc/postgresql to start" >&2
    exit 1
fi
echo "PostgreSQL is down: starting cluster $version/main ..." >&2
if ! pg_ctlcluster --skip-systemctl-redirect "$version" main start; then
    echo "error: could not start PostgreSQL $version/main (see the message above; run as root or postgres)" >&2
    exit 1
fi

for _ in $(seq $((wait_seconds * 2))); do
    if pg_isready -q -h "$host" -p "$port"; then
        exit 0
    fi
    sleep 0.5
done
echo "error: PostgreSQL $version/main started but did not answer on $host:$port within ${wait_seconds}s" >&2
exit 1
