#!/usr/bin/env bash
# bench/sandbox_overhead.sh - wall time of `pcapchart chart` on a small capture
# (a cold tshark run each), with the sandbox and without (PCAPCHART_SANDBOX_SKIP=all),
# interleaved so that machine noise hits both alike. Prints medians and their ratio.
#   bash bench/sandbox_overhead.sh [BIN] [CAPTURE] [ROUNDS]
set -euo pipefail
bin=${1:-build/pcapchart}
cap=${2:-tests/captures/dev/http.cap}
rounds=${3:-15}
run() { # prints seconds of one run
    local t0 t1
    t0=$(date +%s.%N)
    PCAPCHART_SANDBOX_SKIP=$1 "$bin" chart "$cap" --format json >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
on=() off=()
for _ in $(seq "$rounds"); do
    on+=("$(run "")")
    off+=("$(run all)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
echo "sandboxed: ${m_on} s   bare: ${m_off} s   ratio: $(echo "scale=3; $m_on / $m_off" | bc)"
