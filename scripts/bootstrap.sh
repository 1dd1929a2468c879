# Sourced by ./start and ./test: puts the project's Python environment in place and on PATH.
#
# Creates .venv on first use and installs requirements.txt into it only when that file has
# changed since the last install (its hash is kept in .venv), so every later run starts at once.
# Afterwards the current directory is the repository root and `python` is the venv's.

STARBOARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$STARBOARD_ROOT"

starboard_bootstrap() {
    local venv="$STARBOARD_ROOT/.venv"
    local stamp="$venv/.requirements.sha256"
    local python="${STARBOARD_PYTHON:-python3}"

    if ! command -v "$python" >/dev/null 2>&1; then
        echo "error: $python not found: install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)" >&2
        return 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: Starboard needs Python 3.11 or newer, $python is $("$python" -V 2>&1)" >&2
        return 1
    fi

    # A venv without a working pip is what an interrupted first run leaves: start it again.
    if [ -d "$venv" ] && ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
    fi
    if [ ! -d "$venv" ]; then
        echo "Creating the Python environment in .venv ..." >&2
        if ! "$python" -m venv "$venv"; then
            rm -rf "$venv"
            echo "error: could not create .venv: install the venv module (Debian: apt-get install python3-venv)" >&2
            return 1
        fi
    fi

    local wanted
    wanted="$(sha256sum requirements.txt | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        echo "Installing requirements.txt into .venv (only when it changes; the first time takes a minute) ..." >&2
        local log
        log="$(mktemp)"
        if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
                -r requirements.txt >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            echo "error: installing requirements.txt failed (pip's output is above)" >&2
            return 1
        fi
        rm -f "$log"
        echo "$wanted" >"$stamp"
    fi

    export VIRTUAL_ENV="$venv"
    export PATH="$venv/bin:$PATH"
}

starboard_bootstrap
