#!/usr/bin/env bash
# tests/container/test_image.sh - build docker/Dockerfile and test the image for real.
#
# Builds the image with podman (tests/container/podman_build.sh, which installs
# podman and makes a debian:bookworm-slim base offline when missing; the build
# stage runs the unit tests on tests/captures), starts it the
# way docker/README.md tells users to (--read-only --tmpfs /tmp, no
# capabilities, port published on 127.0.0.1 only), and checks: health, a real
# upload charted as tshark on the host sees it, the SVG/CSV/page routes, a bad
# capture -> 422, the non-root user, no upload left behind, and a clean `stop`
# while tshark is running.
#
# Environment (all optional):
#   CAPTURES_DIR    the host's captures (default: <repo>/tests/captures)
#   IMAGE           image tag to build and test (default: pcapchart:test)
#   SKIP_BUILD=1    test an IMAGE that is already built
#   BUILD_ARGS      extra `podman build` args (word-split), e.g. "--no-cache"
#   NETWORK         bridge (default: -p 127.0.0.1:PORT:8080) or host
#                   (then the server listens on PCAPCHART_PORT=PORT itself)
#   PORT            host port (default: a free one on 127.0.0.1)
#   WORKDIR, STORAGE_ROOT, STORAGE_DRIVER   as for podman_build.sh
#
# Prints one line per check and ends with "N passed, M failed"; exits 1 on any
# failure, 2 when it cannot run at all (no podman build, no captures).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CAPTURES_DIR=${CAPTURES_DIR:-$REPO/tests/captures}
IMAGE=${IMAGE:-pcapchart:test}
NETWORK=${NETWORK:-bridge}
WORKDIR=${WORKDIR:-/var/tmp/container-work}
NAME=pcapchart-test-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pcapchart-container-test.XXXXXX")
GOOD=$CAPTURES_DIR/dev/http.cap
BAD=$CAPTURES_DIR/bad/truncated_global_header.pcap
passed=0
failed=0
started=0
curl_pids=()

say() { printf '%s\n' "$*"; }
ok() { passed=$((passed + 1)); say "ok   $*"; }
not_ok() { failed=$((failed + 1)); say "FAIL $*"; }
check() { # check NAME CMD...: ok when CMD succeeds
    local what=$1
    shift
    if "$@" >>"$TMP/check.log" 2>&1; then ok "$what"; else not_ok "$what"; fi
}
die() {
    say "error: $*" >&2
    exit 2
}

export WORKDIR
P=(podman)
[ -n "${STORAGE_DRIVER:-}" ] && P+=(--storage-driver "$STORAGE_DRIVER")
[ -n "${STORAGE_ROOT:-}" ] && P+=(--root "$STORAGE_ROOT/root" --runroot "$STORAGE_ROOT/run")

cleanup() {
    local rc=$?
    if [ "$started" = 1 ]; then
        if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
            say "--- container log (last 40 lines) ---"
            "${P[@]}" logs "$NAME" 2>&1 | tail -40 || true
        fi
        "${P[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    fi
    for p in "${curl_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------- preflight
{ [ -f "$GOOD" ] && [ -f "$BAD" ]; } || die "captures missing under $CAPTURES_DIR (set CAPTURES_DIR)"
command -v curl >/dev/null || die "curl is needed on the host"
command -v python3 >/dev/null || die "python3 is needed on the host"
command -v tshark >/dev/null || die "tshark is needed on the host (the reference chart)"

# ----------------------------------------------------------------- build
if [ -z "${SKIP_BUILD:-}" ]; then
    say "building $IMAGE from $REPO/docker/Dockerfile (log: $TMP/build.log)"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    if ! bash "$REPO/tests/container/podman_build.sh" "$IMAGE" ${BUILD_ARGS:-} \
        >"$TMP/build.log" 2>&1; then
        say "--- build log: unit test results, then the last 40 lines ---"
        grep -E 'Test +#|tests passed|The following tests' "$TMP/build.log" || true
        tail -40 "$TMP/build.log"
        not_ok "image builds (unit tests pass in the build stage)"
        say "$passed passed, $failed failed"
        exit 1
    fi
    ok "image builds (unit tests pass in the build stage) in $(($(date +%s) - t0)) s"
    grep -E 'Test +#|tests passed' "$TMP/build.log" | sed 's/^/     build: /' || true
fi
export CONTAINERS_CONF=${CONTAINERS_CONF:-$WORKDIR/containers.conf}
"${P[@]}" image exists "$IMAGE" || die "no image $IMAGE"

# ----------------------------------------------------------------- image metadata
size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE")
say "     image $IMAGE: $size bytes ($((size / 1000000)) MB)"
cfg() { "${P[@]}" image inspect --format "$1" "$IMAGE"; }
check "image runs as uid 10001 by default" test "$(cfg '{{.Config.User}}')" = "10001:10001"
check "image exposes 8080/tcp" grep -q '8080/tcp' <<<"$(cfg '{{json .Config.ExposedPorts}}')"
check "image has a HEALTHCHECK running 'pcapchart healthcheck'" \
    grep -q 'pcapchart.*healthcheck' <<<"$(cfg '{{json .HealthCheck}}')"
check "image entrypoint is tini" grep -q '"/usr/bin/tini"' <<<"$(cfg '{{json .Config.Entrypoint}}')"
check "image env binds 0.0.0.0:8080, tmpdir /tmp/pcapchart" \
    grep -q 'PCAPCHART_BIND=0.0.0.0.*PCAPCHART_PORT=8080.*PCAPCHART_TMPDIR=/tmp/pcapchart' \
    <<<"$(cfg '{{json .Config.Env}}')"
# no compiler or headers made it into the runtime stage
check "runtime image has no gcc/cmake/headers" \
    "${P[@]}" run --rm --network=none --entrypoint /bin/sh "$IMAGE" -c \
    '! command -v gcc && ! command -v cmake && ! test -e /usr/include/microhttpd.h'

# ----------------------------------------------------------------- run
if [ -z "${PORT:-}" ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
URL=http://127.0.0.1:$PORT
# as docker/README.md's hardened example
run_args=(-d --name "$NAME" --read-only --tmpfs /tmp --cap-drop ALL
    --security-opt no-new-privileges)
case $NETWORK in
host) run_args+=(--network=host -e PCAPCHART_PORT="$PORT" -e PCAPCHART_BIND=127.0.0.1) ;;
*) run_args+=(--network="$NETWORK" -p "127.0.0.1:$PORT:8080") ;;
esac
say "starting $NAME: podman run ${run_args[*]} $IMAGE"
# without systemd podman cannot schedule the periodic healthcheck timer and
# says so on stderr; `podman healthcheck run` below runs it by hand
"${P[@]}" run "${run_args[@]}" "$IMAGE" >"$TMP/run.out" 2>"$TMP/run.err" ||
    {
        cat "$TMP/run.err"
        die "podman run failed"
    }
started=1

healthy=0
for _ in $(seq 1 60); do
    if curl -fsS -m 2 -o /dev/null "$URL/healthz" 2>/dev/null; then
        healthy=1
        break
    fi
    [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$NAME")" = true ] || break
    sleep 0.5
done
if [ "$healthy" = 1 ]; then ok "GET /healthz answers 200 on $URL"; else
    not_ok "GET /healthz answers 200 on $URL"
    say "$passed passed, $failed failed"
    exit 1
fi
check "podman healthcheck run (pcapchart healthcheck inside) is healthy" \
    "${P[@]}" healthcheck run "$NAME"
state=$("${P[@]}" inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null || true)
check "podman inspect health status is 'healthy' (got '$state')" test "$state" = healthy
check "pcapchart healthcheck exits 0 via podman exec" "${P[@]}" exec "$NAME" pcapchart healthcheck

# --- the tshark sandbox in a real --cap-drop ALL, non-root container: which layers hold
sandbox_line=$("${P[@]}" logs "$NAME" 2>&1 | grep -m1 'tshark sandbox:' || true)
say "$sandbox_line"
check "the server logged its tshark sandbox once at start" test -n "$sandbox_line"
check "seccomp holds in the container (its filter loaded in every tshark run)" \
    grep -q 'seccomp' <<<"$sandbox_line"
check "RLIMIT_NPROC holds in the container" grep -q 'nproc' <<<"$sandbox_line"

# --- processes: PID 1 tini, server non-root
"${P[@]}" top "$NAME" pid user huser args >"$TMP/top.txt" 2>>"$TMP/check.log" || true
sed 's/^/     top: /' "$TMP/top.txt"
check "PID 1 is tini" grep -Eq '^1 +.*/usr/bin/tini' "$TMP/top.txt"
check "pcapchart runs as uid 10001 (not root) on the host side too" \
    grep -Eq '^[0-9]+ +pcapchart +10001 +/usr/bin/pcapchart' "$TMP/top.txt"
check "id -u inside the container is 10001" test "$("${P[@]}" exec "$NAME" id -u)" = 10001
check "root filesystem is read-only" \
    "${P[@]}" exec "$NAME" sh -c '! touch /usr/share/pcapchart/x 2>/dev/null'
check "tmpdir /tmp/pcapchart exists (0700, uid 10001) on the tmpfs" \
    test "$("${P[@]}" exec "$NAME" stat -c '%a %u' /tmp/pcapchart)" = "700 10001"

# --- the page and static files from /usr/share/pcapchart/www
code=$(curl -sS -m 10 -o "$TMP/index.html" -w '%{http_code} %{content_type}' "$URL/" || true)
check "GET / answers 200 text/html (www found: $code)" \
    grep -Eq '^200 text/html' <<<"$code"

# --- a real capture, compared with tshark on the host
tshark -n -r "$GOOD" -T fields -e frame.time_relative -e frame.len >"$TMP/ref.tsv" 2>/dev/null
code=$(curl -sS -m 60 -o "$TMP/chart.json" -w '%{http_code}' \
    -F "file=@$GOOD" "$URL/api/chart?format=json" || true)
check "POST /api/chart?format=json http.cap answers 200 (got $code)" test "$code" = 200
check "JSON: 43 packets, first points [0.0,62] [0.91131,62], every point as host tshark" \
    python3 - "$TMP/chart.json" "$TMP/ref.tsv" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
ref = [(float(t), int(n)) for t, n in (l.split() for l in open(sys.argv[2]) if l.strip())]
pts = doc["series"][0]["points"]
print("packets", doc["packets"], "points", len(pts), "first", pts[:2], "ref", len(ref), ref[:2])
assert doc["packets"] == 43 == len(ref), "packet count"
assert abs(pts[0][0] - 0.0) < 1e-6 and pts[0][1] == 62, pts[0]
assert abs(pts[1][0] - 0.91131) < 1e-6 and pts[1][1] == 62, pts[1]
assert len(pts) == len(ref), "point count"
for (t, n), (rt, rn) in zip(pts, ref):
    assert abs(t - rt) < 1e-6 and n == rn, ((t, n), (rt, rn))
EOF

code=$(curl -sS -m 60 -o "$TMP/chart.svg" -w '%{http_code} %{content_type}' \
    -F "file=@$GOOD" "$URL/api/chart?format=svg" || true)
check "POST /api/chart?format=svg answers 200 image/svg+xml (got $code)" \
    grep -Eq '^200 image/svg\+xml' <<<"$code"
check "SVG body has <svg" grep -q '<svg' "$TMP/chart.svg"

code=$(curl -sS -m 60 -o "$TMP/chart.csv" -w '%{http_code} %{content_type}' \
    -F "file=@$GOOD" "$URL/api/chart?format=csv" || true)
check "POST /api/chart?format=csv answers 200 text/csv (got $code)" \
    grep -Eq '^200 text/csv' <<<"$code"
check "CSV has a row for each of the 43 packets" \
    test "$(grep -Ec '^[0-9.]+,' "$TMP/chart.csv" || true)" -ge 43

# --- a bad capture
code=$(curl -sS -m 60 -o "$TMP/bad.out" -w '%{http_code}' \
    -F "file=@$BAD" "$URL/api/chart?format=json" || true)
check "truncated_global_header.pcap answers 422 (got $code)" test "$code" = 422

# --- no in-flight upload is left in the tmpdir (the profile dir and the store of
#     kept captures, <tmpdir>/store, stay by design)
left=$("${P[@]}" exec "$NAME" sh -c 'ls -A /tmp/pcapchart | grep -v -e "^pcapchart-profile-" -e "^store$" || true')
check "no upload left in /tmp/pcapchart (left: ${left:-none})" test -z "$left"

# ----------------------------------------------------------------- stop while tshark runs
# Several uploads in flight so that a tshark child is most likely running when
# SIGTERM arrives; the server must stop them, tini reaps, the exit is clean.
curl_pids=()
for _ in 1 2 3; do
    curl -sS -m 60 -o /dev/null -F "file=@$GOOD" "$URL/api/chart?format=json" >/dev/null 2>&1 &
    curl_pids+=($!)
done
for _ in $(seq 1 40); do
    "${P[@]}" top "$NAME" pid huser hpid args >"$TMP/top2.txt" 2>/dev/null || true
    grep -q tshark "$TMP/top2.txt" && break
    sleep 0.05
done
if grep -q tshark "$TMP/top2.txt"; then say "     tshark running at stop time"; else
    say "     (no tshark caught running at stop time)"; fi
"${P[@]}" top "$NAME" hpid args 2>/dev/null | awk 'NR > 1 { print $1 }' >"$TMP/hpids.txt" || true
t0=$(date +%s%N)
"${P[@]}" stop -t 10 "$NAME" >>"$TMP/check.log" 2>&1 || true
ms=$((($(date +%s%N) - t0) / 1000000))
for p in "${curl_pids[@]}"; do wait "$p" 2>/dev/null || true; done
curl_pids=()
rc=$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
check "podman stop -t 10: exit code 0 (got $rc)" test "$rc" = 0
check "stopped on SIGTERM in ${ms} ms, without the 10 s SIGKILL" test "$ms" -lt 9000
check "server logged its stop" grep -q 'stopping' <<<"$("${P[@]}" logs "$NAME" 2>&1)"
alive=
while read -r hp; do
    [ -n "$hp" ] && kill -0 "$hp" 2>/dev/null && alive="$alive $hp"
done <"$TMP/hpids.txt"
check "no process of the container (tshark included) survives the stop${alive:+:$alive}" \
    test -z "$alive"

say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
