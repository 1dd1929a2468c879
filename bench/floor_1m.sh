#!/usr/bin/env bash
# Issue 27's Done-when run at 1 M leads: the whole floor (30 managers, 300 AMs, 20 parked live
# views) against `./start --workers 2` on a writable copy of the shared 1 M-lead PostgreSQL CRM
# `starboard_bench`, for --minutes (default 10). Run it under the machine-wide lock:
#
#     flock /work/wt/bench.lock bench/floor_1m.sh [--minutes 10] [--label floor-1m]
#
# Steps: a copy of starboard_bench (CREATE DATABASE ... TEMPLATE, so nobody may be connected to
# it for that moment), migrated (`python -m crm init`), new passwords for its managers and AMs
# (bench/floor.py accounts), `./start --workers 2` on it with the simulator and the ETL every
# 30 s (its first, full ETL run is reused from FOLDER when a warehouse is already there), then
# bench/floor.py against nginx's port with both dashboard processes and nginx as the server.
# `uptime` before and after. Everything stops, and the copy is dropped, at the end (KEEP=1
# keeps the copy and the warehouse for a second run). Environment: COPY (the database's name,
# default floor_1m), FOLDER (warehouse, accounts, logs: /tmp/<COPY>), PORT (18761), PG
# (postgresql://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

COPY=${COPY:-floor_1m}
FOLDER=${FOLDER:-/tmp/$COPY}
PORT=${PORT:-18761}
PG=${PG:-postgresql://postgres@127.0.0.1:5432}
MINUTES=10
LABEL=floor-1m
while [[ $# -gt 0 ]]; do
    case $1 in
        --minutes) MINUTES=$2; shift 2 ;;
        --label) LABEL=$2; shift 2 ;;
        *) echo "error: unknown option $1 (--minutes N, --label NAME)" >&2; exit 2 ;;
    esac
done
PYTHON=.venv/bin/python
export CRM_DATABASE_URL="postgresql+psycopg://${PG#postgresql://}/$COPY"
export WAREHOUSE_PATH="$FOLDER/warehouse/warehouse.duckdb"
export STARBOARD_PORT=$PORT STARBOARD_API_PORT=$((PORT + 1))
mkdir -p "$FOLDER/warehouse"

launcher=""
finish() {
    if [[ -n $launcher ]]; then
        kill -INT "$launcher" 2>/dev/null || true
        wait "$launcher" 2>/dev/null || true
    fi
    if [[ ${KEEP:-0} != 1 ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $COPY WITH (FORCE)" || true
        rm -rf "$FOLDER/warehouse"
    fi
    echo "uptime after: $(uptime)"
}
trap finish EXIT

echo "uptime before: $(uptime)"
existed=0
if psql "$PG/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$COPY'" | grep -q 1; then
    existed=1
else
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        psql "$PG/postgres" -qc \
            "CREATE DATABASE $COPY TEMPLATE starboard_bench STRATEGY FILE_COPY" && break
        echo "starboard_bench is in use; again in 10 s ($attempt)"
        sleep 10
    done
fi
$PYTHON -m crm init
# A copy kept from a run before (KEEP=1) has its passwords already.
if [[ $existed == 0 || ! -f $FOLDER/accounts.json ]]; then
    $PYTHON bench/floor.py accounts --accounts "$FOLDER/accounts.json"
fi

./start --workers 2 >"$FOLDER/start.log" 2>&1 &
launcher=$!
echo "./start --workers 2 (pid $launcher) on port $PORT: its log is $FOLDER/start.log"
until curl -fs "http://127.0.0.1:$PORT/_stcore/health" >/dev/null 2>&1; do
    if ! kill -0 "$launcher" 2>/dev/null; then
        echo "error: ./start stopped: $(tail -5 "$FOLDER/start.log")" >&2
        exit 1
    fi
    sleep 5
done
# The server: both dashboard processes, the proxy's nginx master and its worker.
pids=()
for child in $(pgrep -P "$launcher"); do
    command=$(tr '\0' ' ' <"/proc/$child/cmdline")
    case $command in
        *dashboard_server.py*) pids+=("$child") ;;
        nginx:\ master*) pids+=("$child" $(pgrep -P "$child")) ;;
    esac
done
echo "server processes: ${pids[*]}"
server_pids=()
for pid in "${pids[@]}"; do server_pids+=(--server-pid "$pid"); done

$PYTHON bench/floor.py --url "http://127.0.0.1:$PORT" "${server_pids[@]}" \
    --managers 30 --ams 300 --live 20 --minutes "$MINUTES" --sign-in-rate 2 --sign-in-queue 4 \
    --accounts "$FOLDER/accounts.json" --label "$LABEL"
