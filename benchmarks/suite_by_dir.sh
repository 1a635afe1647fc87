#!/usr/bin/env bash
# Wall and CPU time of the test suite, one pytest run per top-level test folder.
#
#   bash benchmarks/suite_by_dir.sh            # every folder
#   bash benchmarks/suite_by_dir.sh service    # only tests/optimizer/service
#
# Run from the repository root with the project's virtual environment active (and
# OPPORTUNE_TEST_PG_URL set as in .ci/run for the PostgreSQL tests).  Prints one line per
# folder: load average before, wall s, user+sys CPU s of pytest and its children (servers,
# CLI subprocesses), and pytest's summary line.  The folders together are the README's
# `python -m pytest -q` (the files directly in tests/optimizer and tests/ form "top").
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"

declare -A DIRS=(
    [cost_models]="tests/cost_models"
    [top]="tests/test_packaging.py $(ls tests/optimizer/test_*.py | tr '\n' ' ')"
)
for d in tests/optimizer/*/; do
    DIRS[$(basename "$d")]="$d"
done

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
    mapfile -t names < <(printf '%s\n' "${!DIRS[@]}" | sort)
fi

printf '%-12s %-6s %8s %8s  %s\n' folder load wall_s cpu_s summary
for name in "${names[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$(mktemp)
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %U %S' -o "$out.time" \
        python -m pytest -q -p no:cacheprovider ${DIRS[$name]} >"$out" 2>&1 || true
    read -r wall user sys <"$out.time"
    cpu=$(python3 -c "print(f'{$user + $sys:.1f}')")
    printf '%-12s %-6s %8s %8s  %s\n' "$name" "$load" "$wall" "$cpu" "$(tail -1 "$out")"
    rm -f "$out" "$out.time"
done
