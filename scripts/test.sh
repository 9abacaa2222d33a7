#!/usr/bin/env bash
# Set up everything (scripts/setup.sh --test), then lint, type-check and run the whole test
# suite. Extra arguments go to pytest (scripts/test.sh -k voice). Exit status 0 only if all
# three pass and pytest ran at least one test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --test

# The services scripts/setup.sh just checked; override to point the tests elsewhere.
export HALLQ_TEST_POSTGRES_URL="${HALLQ_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/hallq_test}"
export HALLQ_TEST_REDIS_URL="${HALLQ_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export HALLQ_CHROMIUM="${HALLQ_CHROMIUM:-/usr/bin/chromium}"

BIN=.venv/bin
mkdir -p artifacts
LOG=artifacts/pytest.log
failed=()

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

step "ruff check ."
"$BIN/ruff" check . || failed+=("ruff")

step "mypy server drivers"
"$BIN/mypy" server drivers || failed+=("mypy")

step "pytest"
set +e
"$BIN/pytest" -p no:cacheprovider -ra "$@" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
case "$rc" in
    0) ;;
    5) failed+=("pytest (no tests were collected)") ;;
    *) failed+=("pytest (exit $rc)") ;;
esac

echo
# pytest's last line, e.g. "==== 12 passed, 1 warning in 3.2s ====" (colours off in a pipe).
summary=$(grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$LOG" | tail -n 1 || true)
if [ "${#failed[@]}" -eq 0 ]; then
    printf '\033[1;32mALL PASSED\033[0m  ruff ok, mypy ok, pytest: %s\n' "${summary:-?}"
    exit 0
fi
printf '\033[1;31mFAILED: %s\033[0m\n' "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')"
echo "pytest: ${summary:-no summary line (see $LOG)}"
exit 1
