#!/usr/bin/env python3
"""e2e_faults.py - the server against a misbehaving tshark and misbehaving clients.

One server runs with --tshark pointing at a wrapper script written here, with
--timeout 5 and --jobs 1. The wrapper answers --version and -G like tshark
(it execs the real one) and otherwise does what the mode file says: replay
what the real tshark printed for http.cap (replay), run the real tshark
(normal, slow), hang, hang ignoring SIGTERM, die by SIGSEGV, print garbage,
print some packets and exit 2, print packets forever, flood stderr... (and,
when $TESTS_DIR/fake-tshark.sh exists, its hang/crash/garbage modes).
Every fault must give the right status, leave no child, temp file or fd
behind, and be followed by a normal request that succeeds.

Only the fault modes may reach the short --timeout: the requests that must
succeed on that server use replay, which prints the frames the test took
from the real tshark beforehand (no timeout) in an instant, so their verdict
does not depend on how fast a real tshark starts on a loaded machine. The
real tshark is run through the server by the graceful-stop server, whose
--timeout is 30 s, and by the other e2e tests (--timeout 300 s).
Clients: slow uploads, hang-ups mid-upload and mid-analysis, more analyses
than --jobs (503 + Retry-After). Start-up with a missing tshark must fail
with a message naming tshark. SIGTERM during an analysis ends cleanly.
"""
import json
import os
import signal
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

TIMEOUT_S = 5  # reached by the fault modes only: the normal requests replay
EXIT_MID_PACKETS = 5
EXIT_MID_FRAMES = [("%d.%09d" % divmod(i * 250000000, 1000000000), 60 + i)
                   for i in range(EXIT_MID_PACKETS)]

WRAPPER = r"""#!/bin/bash
# fake tshark of e2e_faults.py; the mode comes from a file, read per run
export PCC_MARK=@MARK@
REAL=@REAL@
for a in "$@"; do
    case "$a" in --version|-v|-G|-h|--help) exec "$REAL" "$@" ;; esac
done
mode=normal
[ -r @MODEFILE@ ] && mode=$(< @MODEFILE@)
fmt=json; fields=(); prev=
for a in "$@"; do
    case "$prev" in -e) fields+=("$a") ;; -T) fmt=$a ;; esac
    prev=$a
done
[ ${#fields[@]} -eq 0 ] && fields=(frame.number frame.time_relative frame.len)
# pkt SEPARATOR NUMBER TIME LEN: one packet as tshark -T json / -T fields prints it
pkt() {
    local sep=$1 n=$2 t=$3 len=$4 f v i=0 line=
    if [ "$fmt" = fields ]; then
        for f in "${fields[@]}"; do
            case $f in frame.number) v=$n ;; frame.time_relative) v=$t ;; frame.len) v=$len ;; *) v= ;; esac
            [ $i -gt 0 ] && line+=$'\t'
            line+=$v; i=$((i + 1))
        done
        printf '%s\n' "$line"
        return
    fi
    printf '%s  {\n    "_index": "packets-2004-05-13",\n    "_type": "doc",\n    "_score": null,\n    "_source": {\n      "layers": {\n' "$sep"
    for f in "${fields[@]}"; do
        case $f in frame.number) v=$n ;; frame.time_relative) v=$t ;; frame.len) v=$len ;; *) v=0 ;; esac
        i=$((i + 1))
        if [ $i -lt ${#fields[@]} ]; then c=,; else c=; fi
        printf '        "%s": [\n          "%s"\n        ]%s\n' "$f" "$v" "$c"
    done
    printf '      }\n    }\n  }'
}
start() { [ "$fmt" = fields ] || printf '[\n'; }
some() {  # the first N packets of the exit_mid series
    local i sep=
    for ((i = 0; i < @N@; i++)); do
        pkt "$sep" $((i + 1)) "$(printf '%d.%09d' $((i * 250000000 / 1000000000)) $((i * 250000000 % 1000000000)))" $((60 + i))
        sep=$',\n'
    done
    [ "$fmt" = fields ] || printf ',\n'
}
case "$mode" in
replay)  # the frames the real tshark printed for http.cap (TIME<TAB>LEN lines)
    start; n=0; sep=
    while IFS=$'\t' read -r t len; do
        n=$((n + 1)); pkt "$sep" $n "$t" "$len"; sep=$',\n'
    done < @REPLAY@
    [ "$fmt" = fields ] || printf '\n]\n'
    exit 0 ;;
normal) exec "$REAL" "$@" ;;
slow) @SLEEP@ 1; exec "$REAL" "$@" ;;
hang) exec @SLEEP@ 3600 ;;
hang_noterm) trap '' TERM INT HUP; exec @SLEEP@ 3600 ;;
hang_after_packets) start; some; exec @SLEEP@ 3600 ;;
crash) ulimit -c 0; start; kill -SEGV $$ ;;
crash_after_packets) ulimit -c 0; start; some; kill -SEGV $$ ;;
garbage) printf 'this is not tshark output <html>\001\002\377{{{\n'; exit 0 ;;
exit_mid)
    start; some
    echo 'tshark: The file "x.pcap" appears to have been cut short in the middle of a packet.' >&2
    exit 2 ;;
endless)
    start; i=1; sep=
    while :; do printf -v t '%d.%09d' $((i / 1000)) $(((i % 1000) * 1000000)); pkt "$sep" $i "$t" 60; sep=$',\n'; i=$((i + 1)); done ;;
stderr_flood)
    x=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
    x=$x$x$x$x$x$x$x$x$x$x; x=$x$x$x$x$x$x$x$x$x$x
    for ((i = 0; i < 300; i++)); do printf '%s' "$x" >&2; done
    echo >&2
    echo 'tshark: The file "x.pcap" isn'"'"'t a capture file in a format TShark understands.' >&2
    exit 2 ;;
ext:*) export FAKE_TSHARK_MODE=${mode#ext:}; exec @FAKE@ "$@" ;;
*) echo "unknown mode $mode" >&2; exit 99 ;;
esac
"""


class FakeTshark:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pcc-fake-")
        os.chmod(self.dir, 0o755)  # a root server runs tshark as other users
        self.path = os.path.join(self.dir, "tshark")
        self.modefile = os.path.join(self.dir, "mode")
        self.replay = os.path.join(self.dir, "replay.tsv")
        with open(self.replay, "w") as f:
            for t, ln in pcc.tshark_ref(pcc.capture(HTTP_CAP)).frames:
                f.write("%s\t%d\n" % (t or "", ln))
        self.marker_value = "pcc%012x" % random.getrandbits(48)
        self.marker = "PCC_MARK=" + self.marker_value
        # beside the wrapper: a sandboxed run sees the wrapper's directory, not tests/
        self.ext = os.path.join(self.dir, "fake-tshark.sh")
        shutil.copy(os.path.join(pcc.TESTS_DIR, "fake-tshark.sh"), self.ext)
        text = (WRAPPER.replace("@MARK@", self.marker_value)
                .replace("@REAL@", pcc.tshark_path())
                .replace("@MODEFILE@", self.modefile)
                .replace("@REPLAY@", self.replay)
                .replace("@SLEEP@", shutil.which("sleep") or "/bin/sleep")
                .replace("@N@", str(EXIT_MID_PACKETS))
                .replace("@FAKE@", self.ext))
        with open(self.path, "w") as f:
            f.write(text)
        os.chmod(self.path, 0o755)
        self.set("replay")

    def set(self, mode):
        tmp = self.modefile + ".new"
        with open(tmp, "w") as f:
            f.write(mode)
        os.replace(tmp, self.modefile)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


HTTP_CAP = "dev/http.cap"


def cap_data():
    return pcc.read_file(pcc.capture(HTTP_CAP))


def normal_ok(R, srv, fake, label):
    """A normal request succeeds (the server keeps serving). The fake replays
    the real tshark's frames: the verdict does not hang on --timeout."""
    fake.set("replay")
    r = srv.post("/api/chart?format=json", cap_data(), "http.cap")
    # --jobs 1 --queue 0: the fault's slot may be given back just after its
    # answer; ask again until it is (each 503 is answered at once)
    deadline = time.monotonic() + 30
    tries = 1
    while r.status == 503 and time.monotonic() < deadline:
        time.sleep(0.05)  # poll interval only: the condition is the next answer
        r = srv.post("/api/chart?format=json", cap_data(), "http.cap")
        tries += 1
    if tries > 1:
        R.note("%s: the slot was free at the normal request's try %d" % (label, tries))
    probs = []
    if r.status != 200:
        probs = ["expected 200, got %s" % r.brief()]
    else:
        try:
            probs = pcc.check_chart_json(r.json(), pcc.tshark_ref(pcc.capture(HTTP_CAP)),
                                         srv.tmpdir)
        except ValueError as e:
            probs = ["not JSON: %s" % e]
    R.check(not probs, "%s: then a normal request -> 200 with the 43 frames" % label,
            "; ".join(probs))
    srv.check_clean("%s: normal request" % label)


def expect_error(status):
    def check(r, srv):
        return pcc.json_error_problems(r, status, srv.tmpdir)
    check.desc = "%d {\"error\"}" % status
    return check


def expect_frames(frames, warning=True):
    """200 with exactly these (time, len) frames, and a warning when asked."""
    def check(r, srv):
        if r.status != 200:
            return ["expected 200, got %s" % r.brief()]
        try:
            doc = r.json()
        except ValueError as e:
            return ["not JSON: %s" % e]
        probs = pcc.check_chart_json(doc, pcc.Ref(0, frames, ""), srv.tmpdir)
        if warning and not doc.get("warnings"):
            probs.append("no warning")
        return probs
    check.desc = "200 with the %d packets printed%s" % (len(frames),
                                                       " and a warning" if warning else "")
    return check


def expect_error_with(status, phrase):
    """status {"error"} whose clean one-line message holds phrase."""
    def check(r, srv):
        probs = pcc.json_error_problems(r, status, srv.tmpdir)
        if not probs and phrase not in r.json()["error"]:
            probs.append("message %r does not hold %r" % (r.json()["error"], phrase))
        return probs
    check.desc = "%d {\"error\"} with %r on one clean line" % (status, phrase)
    return check


def either(*checks):
    def check(r, srv):
        all_probs = []
        for c in checks:
            probs = c(r, srv)
            if not probs:
                return []
            all_probs.append("[%s] %s" % (c.desc, "; ".join(probs)))
        return all_probs
    check.desc = " or ".join(c.desc for c in checks)
    return check


def expect_stopped_or(status, npackets=None):
    """200 with a warning (packets read before the stop are real), or status."""
    def check(r, srv):
        if r.status == status:
            return pcc.json_error_problems(r, status, srv.tmpdir)
        if r.status != 200:
            return ["expected 200 with a warning or %d, got %s" % (status, r.brief())]
        try:
            doc = r.json()
        except ValueError as e:
            return ["not JSON: %s" % e]
        probs = []
        if not doc.get("warnings"):
            probs.append("200 without a warning")
        if npackets is not None:
            probs += pcc.check_chart_json(doc, pcc.Ref(0, EXIT_MID_FRAMES[:npackets], ""),
                                          srv.tmpdir)
        elif not isinstance(doc.get("packets"), int) or doc["packets"] <= 0:
            probs.append("200 with packets %r" % (doc.get("packets"),))
        return probs
    check.desc = "200 with a warning, or %d" % status
    return check


def expect_flood(r, srv):
    if r.status not in (422, 502):
        return ["expected 422 (or 502), got %s" % r.brief()]
    probs = pcc.json_error_problems(r, r.status, srv.tmpdir)
    if not probs and len(r.json()["error"]) > 2048:
        probs.append("error message of %d chars" % len(r.json()["error"]))
    return probs


expect_flood.desc = "422 (or 502) with a short one-line message"


def fault_modes(R, srv, fake):
    modes = [
        ("hang", expect_error(504)),
        ("hang_noterm", expect_error(504)),
        ("crash", expect_error(502)),
        ("garbage", expect_error(502)),
        ("exit_mid", expect_frames(EXIT_MID_FRAMES)),
        ("hang_after_packets", expect_stopped_or(504, EXIT_MID_PACKETS)),
        ("crash_after_packets", expect_stopped_or(502, EXIT_MID_PACKETS)),
        ("endless", expect_stopped_or(504)),
        ("stderr_flood", expect_flood),
    ]
    if os.path.isfile(fake.ext) and os.access(fake.ext, os.X_OK):
        R.note("%s exists: its modes run too (through the wrapper)" % fake.ext)
        two = [("0.000000000", 60), ("0.500000000", 70)]
        three = [("0.000000000", 60), ("0.500000000", 1514), ("1.250000000", 42)]
        modes += [
            ("ext:hang", expect_error(504)),
            ("ext:grandchild", expect_error(504)),
            ("ext:hang_after", either(expect_frames(two), expect_error(504))),
            ("ext:crash", expect_error(502)),
            ("ext:garbage", expect_error(502)),
            ("ext:garbage_mid", expect_error(502)),
            ("ext:cut", either(expect_frames(two), expect_error(502))),
            ("ext:exit_mid", expect_frames(two)),
            ("ext:exit2", expect_error_with(422, "damaged or corrupt")),
            ("ext:stderr", expect_frames(three, warning=False)),
            ("ext:endless", expect_stopped_or(504)),
        ]
    else:
        R.note("%s not there (yet): only this script's own fake modes run" % fake.ext)
    for mode, check in modes:
        fake.set(mode)
        r = srv.post("/api/chart?format=json", cap_data(), "http.cap", timeout=60)
        probs = check(r, srv)
        if r.status is not None and r.elapsed > 30:
            probs.append("answered after %.1f s (--timeout %d)" % (r.elapsed, TIMEOUT_S))
        R.check(not probs, "fake tshark '%s' -> %s" % (mode, check.desc), "; ".join(probs))
        R.note("'%s' answered %s in %.1f s" % (mode, r.status, r.elapsed))
        srv.check_clean("fake tshark '%s'" % mode)
        normal_ok(R, srv, fake, "after '%s'" % mode)


def form_faults(R, srv, fake):
    for mode, status in (("crash", 502), ("hang", 504)):
        fake.set(mode)
        r = srv.post("/", cap_data(), "http.cap", timeout=60)
        probs = pcc.html_error_problems(r, status)
        R.check(not probs, "form with fake tshark '%s' -> %d HTML page" % (mode, status),
                "; ".join(probs))
        srv.check_clean("form, fake tshark '%s'" % mode)
    normal_ok(R, srv, fake, "after the form faults")


def slow_uploads(R, srv, fake):
    fake.set("replay")
    ref = pcc.tshark_ref(pcc.capture(HTTP_CAP))
    body, ctype = pcc.multipart([("file", "http.cap", cap_data(), "application/octet-stream")])
    for label, headers, parts in (
            ("Content-Length", {"Content-Length": str(len(body))}, pcc.split(body, 1500)),
            ("chunked", {"Transfer-Encoding": "chunked"}, pcc.chunked(pcc.split(body, 1500)))):
        headers.update({"Content-Type": ctype, "Connection": "close"})
        r, _ = pcc.raw_exchange(srv.port,
                                pcc.request_head("POST", "/api/chart?format=json", headers),
                                parts, pause=0.05)
        probs = []
        if r.status != 200:
            probs = ["expected 200, got %s" % r.brief()]
        else:
            try:
                probs = pcc.check_chart_json(r.json(), ref, srv.tmpdir)
            except ValueError as e:
                probs = ["not JSON: %s" % e]
        R.check(not probs, "slow upload (%s, %d pieces over ~%.0f s) -> 200 exact"
                % (label, len(parts), len(parts) * 0.05), "; ".join(probs))
        srv.check_clean("slow upload (%s)" % label)


def spooled(srv, timeout=15):
    """Wait until the upload in flight has its temp file in --tmpdir."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.temp_files():
            return True
        time.sleep(0.02)
    return False


def hangups_mid_upload(R, srv, fake):
    fake.set("replay")
    body, ctype = pcc.multipart([("file", "http.cap", cap_data(), "application/octet-stream")])
    big, bigctype = pcc.multipart([("file", "big.pcap", os.urandom(1500000),
                                    "application/octet-stream")])
    cases = [
        ("after the headers", ctype, body, 0, False),
        ("after 10 KB", ctype, body, 10000, False),
        ("1 byte before the end", ctype, body, len(body) - 1, False),
        ("after 600 KB of 1.5 MB", bigctype, big, 600000, False),
        ("chunked, after 10 KB", ctype, body, 10000, True),
    ]
    for label, ct, data, upto, is_chunked in cases:
        headers = {"Content-Type": ct}
        if is_chunked:
            headers["Transfer-Encoding"] = "chunked"
            parts = pcc.chunked(pcc.split(data[:upto], 4096))[:-1]  # no terminator
        else:
            headers["Content-Length"] = str(len(data))
            parts = pcc.split(data[:upto], 65536) if upto else []
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        try:
            s.sendall(pcc.request_head("POST", "/api/chart?format=json", headers))
            for p in parts:
                s.sendall(p)
            if upto > 0 and not spooled(srv):
                R.note("hang-up %s: no temp file seen before the hang-up" % label)
        except OSError as e:
            R.note("hang-up %s: send failed early: %s" % (label, e))
        finally:
            s.close()
        srv.check_clean("client hangs up mid-upload (%s)" % label)
    normal_ok(R, srv, fake, "after the mid-upload hang-ups")


def wait_child(srv, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.children():
            return True
        time.sleep(0.02)
    return False


def post_upload(srv):
    """Send a whole upload of http.cap to /api/chart; return the socket unread."""
    body, ctype = pcc.multipart([("file", "http.cap", cap_data(),
                                  "application/octet-stream")])
    head = pcc.request_head("POST", "/api/chart?format=json",
                            {"Content-Type": ctype, "Content-Length": str(len(body)),
                             "Connection": "close"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(head + body)
    return s


def hangup_mid_analysis(R, srv, fake):
    for mode in ("hang", "hang_noterm"):
        fake.set(mode)
        s = post_upload(srv)
        started = wait_child(srv)
        R.check(started, "hang-up mid-analysis ('%s'): tshark was started" % mode)
        t0 = time.monotonic()
        s.close()
        ok = srv.check_clean("client hangs up mid-analysis ('%s')" % mode,
                             grace=TIMEOUT_S + 4)
        if ok:
            R.note("'%s': everything gone %.1f s after the hang-up" % (mode,
                                                                     time.monotonic() - t0))
    normal_ok(R, srv, fake, "after the mid-analysis hang-ups")


def tshark_user(R, srv, fake):
    """A root server runs tshark as a user of its own per run (its own user otherwise)."""
    fake.set("hang")
    s = post_upload(srv)
    root = os.geteuid() == 0
    want = os.geteuid()
    uids = []
    deadline = time.monotonic() + 15
    while not uids and time.monotonic() < deadline:
        # only children that have exec'ed tshark: between fork and exec a
        # child is still the server (and root) and has not dropped its uid
        uids = [pcc.proc_uid(k[0]) for k in srv.children()
                if pcc.PCAPCHART_BIN not in " ".join(pcc.cmdline(k[0]) or [])]
        uids = [u for u in uids if u is not None]
        time.sleep(0.02)
    if root:  # SANDBOX_USERS_BASE up; the warm one and the hanging run differ
        R.check(uids and all(u >= 0x7e000000 for u in uids) and len(set(uids)) == len(uids),
                "tshark runs as users of its own (uids from 2113929216, one per run)",
                repr(uids))
    else:
        R.check(uids and all(u == want for u in uids),
                "tshark runs as the server's uid %d" % want, repr(uids))
    s.close()
    srv.check_clean("after the tshark user check", grace=TIMEOUT_S + 4)
    fake.set("replay")


def jobs_limit(R, srv, fake):
    fake.set("hang")
    out = {}

    def first():
        out["a"] = srv.post("/api/chart?format=json", cap_data(), "http.cap", timeout=60)

    t = threading.Thread(target=first)
    t.start()
    if not R.check(wait_child(srv), "--jobs 1: the first (hanging) analysis is running"):
        t.join(70)
        return
    b = srv.post("/api/chart?format=json", cap_data(), "http.cap", timeout=60)
    probs = pcc.json_error_problems(b, 503, srv.tmpdir)
    ra = b.headers.get("retry-after", "")
    if b.status == 503 and not ra.strip().isdigit():
        probs.append("Retry-After missing or not seconds: %r" % ra)
    R.check(not probs, "--jobs 1: a second analysis meanwhile -> 503 {\"error\"} with "
            "Retry-After", "; ".join(probs))
    t.join(70)
    a = out.get("a")
    probs = pcc.json_error_problems(a, 504, srv.tmpdir) if a else ["no answer"]
    R.check(not probs, "--jobs 1: the hanging analysis -> 504", "; ".join(probs))
    srv.check_clean("--jobs 1: two analyses")
    normal_ok(R, srv, fake, "after the --jobs test")


def stop_mid_analysis(R, srv, fake, mode, label, sig=signal.SIGTERM):
    """Start an analysis with the fake in mode, signal the server (sig) while
    it runs; return the answer the request in flight got (None for none)."""
    fake.set(mode)
    out = {}

    def req():
        out["a"] = srv.post("/api/chart?format=json", cap_data(), "http.cap", timeout=60)

    t = threading.Thread(target=req)
    t.start()
    R.check(wait_child(srv), "%s: the analysis is running" % label)
    srv.stop(label=label, sig=sig)
    t.join(70)
    return out.get("a")


def graceful_stop(R, srv, fake, sig=signal.SIGTERM):
    """sig while an analysis runs: it still gets its chart, then exit 0 with
    nothing left behind (srv.stop checks the tmpdir and the children)."""
    a = stop_mid_analysis(R, srv, fake, "slow", "graceful stop (%s)" % sig.name, sig)
    ok = a is not None and a.status == 200 and json.loads(a.body).get("packets") == 43
    R.check(ok, "%s during an analysis: the request in flight still gets its chart "
            "(200, 43 packets) within the grace period" % sig.name,
            a.brief() if a else "no answer")


def stop_during_analysis(R, srv, fake):
    a = stop_mid_analysis(R, srv, fake, "hang_noterm", "SIGTERM mid-analysis")
    R.note("the request in flight at SIGTERM got %s" % (a.brief() if a else "nothing"))


def missing_tshark(R):
    progs = ["/nonexistent", "/bin/false"]
    wrapdir = tempfile.mkdtemp(prefix="pcc-fake-")
    os.chmod(wrapdir, 0o755)  # a root server runs tshark as other users
    ext = os.path.join(pcc.TESTS_DIR, "fake-tshark.sh")
    if os.access(ext, os.X_OK):
        # answers --version like something that is not tshark
        bad = os.path.join(wrapdir, "tshark-badversion")
        with open(bad, "w") as f:
            f.write('#!/bin/bash\nexport FAKE_TSHARK_MODE=badversion\nexec %s "$@"\n' % ext)
        os.chmod(bad, 0o755)
        progs.append(bad)
    for prog in progs:
        base = tempfile.mkdtemp(prefix="pcc-e2e-")
        tmp = os.path.join(base, "tmp")
        os.mkdir(tmp)
        cmd = [pcc.PCAPCHART_BIN, "--port", str(pcc.free_port()), "--bind", "127.0.0.1",
               "--tmpdir", tmp, "--tshark", prog]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd=base)
        try:
            out, _ = p.communicate(timeout=60)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            rc = None
        text = out.decode("utf-8", "replace")
        R.check(rc is not None and rc != 0, "--tshark %s: the server exits non-zero at start"
                % prog, "exit status %s; output: %s" % (rc, pcc.one_line(text, 300)))
        R.check("tshark" in text.lower(), "--tshark %s: its message names tshark" % prog,
                pcc.one_line(text, 300))
        files = [n for n in os.listdir(tmp) if os.path.isfile(os.path.join(tmp, n))]
        R.check(not files, "--tshark %s: no file left in --tmpdir" % prog, repr(files))
        shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(wrapdir, ignore_errors=True)


def main():
    R = pcc.Results("e2e_faults")
    pcc.preflight(R)
    try:
        missing_tshark(R)
    except Exception:  # noqa: BLE001
        R.fail("missing tshark: test raised", traceback.format_exc())
    fake = FakeTshark()
    # --queue 0: a second analysis during a hanging one must get 503 at once.
    # --warm 0: the wrapper picks its fault when a run starts, which a warm
    # tshark (started ahead) would have done before the test set the mode
    srv = pcc.Server(R, ["--tshark", fake.path, "--timeout", str(TIMEOUT_S), "--jobs", "1",
                         "--queue", "0", "--warm", "0"],
                     name="faults server", marker=fake.marker)
    try:
        if srv.start():
            normal_ok(R, srv, fake, "fake tshark replaying the real output")
            fault_modes(R, srv, fake)
            form_faults(R, srv, fake)
            slow_uploads(R, srv, fake)
            hangups_mid_upload(R, srv, fake)
            hangup_mid_analysis(R, srv, fake)
            tshark_user(R, srv, fake)
            jobs_limit(R, srv, fake)
            stop_during_analysis(R, srv, fake)
            # every stop signal ends the server as gracefully as SIGTERM
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
                srv2 = pcc.Server(R, ["--tshark", fake.path, "--timeout", "30", "--warm",
                                      "0"], name="graceful server (%s)" % sig.name,
                                  marker=fake.marker)
                if srv2.start():
                    graceful_stop(R, srv2, fake, sig)
    except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        if srv.proc is not None:
            srv.stop()
        leftover = pcc.pids_with_env(fake.marker)
        R.check(not leftover, "no fake-tshark process left at the end", repr(leftover))
        for pid, _, _ in leftover:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        fake.cleanup()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
