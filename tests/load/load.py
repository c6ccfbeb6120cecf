#!/usr/bin/env python3
"""load.py - a bounded load test of the real server, on loopback only.

  python3 tests/load/load.py [--requests 1000] [--concurrency 16] [--jobs 2]
                             [--max-upload 1000000] [--time-limit 600]

Starts the server ($PCAPCHART_BIN, as the e2e tests do) with --jobs and a
small --max-upload, then:
  1. probe: every payload once, one at a time, to learn its answer (status
     and, for a 200, the exact JSON);
  2. warm-up: a short burst at full concurrency, then the baseline: open
     descriptors, threads and VmRSS of the server (from /proc/PID);
  3. load: REQUESTS uploads at CONCURRENCY, mixing dev captures, bad files
     and bodies over --max-upload (plus a few page and static GETs). Every
     answer must be its probed status, byte for byte the probed JSON for a
     200, or a 503 with Retry-After and a JSON error - and a 503 only for an
     analysis (never for an oversized body, a page or a static file). A 503
     is retried after 20-100 ms (at most MAX_RETRIES times), so the load
     keeps both analysis slots busy; "busy 503" counts those answers;
  4. afterwards: descriptors, threads, children and temp files back to the
     baseline, and VmRSS within max(24 MiB, 50 %) of the warm baseline (an
     ASan build runs with a 16 MiB quarantine, so freed memory held by ASan
     does not read as growth);
  5. queue: JOBS+2 clients uploading at once. Without a wait queue every
     client past --jobs gets 503 at once; this is an expected failure
     pending the http change (a bounded wait queue before 503) while
     PCAPCHART_XFAIL=1 (the default).
Loops are bounded by the request count and --time-limit. Prints the numbers
(requests/s, statuses, latencies, RSS) and 'N passed, N failed'.
"""
import argparse
import os
import random
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import pcc  # noqa: E402

XFAIL = os.environ.get("PCAPCHART_XFAIL", "1") != "0"
MAX_RETRIES = 400  # of one upload answered 503

DEV = ["dev/dhcp-nanosecond.pcap", "dev/ptg_le_test011_spb_epb_mix.pcapng",
       "dev/http.cap", "dev/snmp_usm.pcap", "dev/220614_ip_flags_google.pcapng",
       "dev/vlan.cap.gz", "dev/empty.pcap", "dev/RawPacketIPv6Tunnel-UK6x.cap"]
BAD = ["bad/packetout.pcap", "bad/ssl.dump.pcap", "bad/truncated_global_header.pcap",
       "bad/pcap-invalid-version-1.pcap", "bad/zero_length.pcap",
       "bad/truncated_record_header.pcap"]


def proc_status(pid):
    """VmRSS (kB) and Threads of pid, from /proc/PID/status."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def asan_binary(path):
    """True when the binary was built with AddressSanitizer."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Payload:
    def __init__(self, name, data, oversized=False):
        self.name = name
        self.data = data
        self.oversized = oversized
        self.status = None  # probed
        self.body = None    # probed 200 JSON


class Load:
    def __init__(self, R, requests=1000, concurrency=16, jobs=2, max_upload=1000000,
                 time_limit=600, seed=5):
        self.R = R
        self.requests = requests
        self.concurrency = concurrency
        self.jobs = jobs
        self.max_upload = max_upload
        self.time_limit = time_limit
        self.rng = random.Random(seed)
        self.srv = None
        self.numbers = {}

    # -- payloads

    def payloads(self):
        out = []
        for rel in DEV + BAD:
            data = pcc.read_file(pcc.capture(rel))
            if len(data) <= self.max_upload:
                out.append(Payload(os.path.basename(rel), data))
        big = os.urandom(self.max_upload + 200000)
        out.append(Payload("oversized.pcap", big, oversized=True))
        return out

    def send(self, p, timeout=120):
        return self.srv.post("/api/chart?format=json", p.data, p.name, timeout=timeout)

    def probe(self, payloads):
        R = self.R
        for p in payloads:
            r = self.send(p)
            for _ in range(20):
                if r.status != 503:
                    break
                time.sleep(0.5)
                r = self.send(p)
            p.status = r.status
            p.body = r.body if r.status == 200 else None
            if p.oversized:
                R.check(r.status == 413, "probe: a body over --max-upload -> 413", r.brief())
            else:
                R.check(r.status is not None and r.status in (200, 400, 413, 422),
                        "probe: %s -> %s" % (p.name, r.status), r.brief())
        self.srv.check_clean("probe")

    # -- the load itself

    def run_batch(self, items, concurrency, record):
        """Send items [(kind, payload)] with concurrency threads; record(kind, p, r)."""
        lock = threading.Lock()
        idx = [0]
        deadline = time.monotonic() + self.time_limit

        def worker():
            while time.monotonic() < deadline:
                with lock:
                    if idx[0] >= len(items):
                        return
                    kind, p = items[idx[0]]
                    idx[0] += 1
                if kind == "upload":
                    r = self.send(p)
                    # a busy answer is retried soon, as a client honouring
                    # Retry-After would (only faster), so the load keeps both
                    # analysis slots busy; every 503 is still checked
                    for _ in range(MAX_RETRIES):
                        if r.status != 503 or time.monotonic() > deadline:
                            break
                        record("busy", p, r)
                        time.sleep(random.uniform(0.02, 0.1))
                        r = self.send(p)
                elif kind == "once":
                    r = self.send(p)
                elif kind == "page":
                    r = self.srv.get("/", timeout=60)
                elif kind == "static":
                    r = self.srv.get("/static/style.css", timeout=60)
                else:
                    r = self.srv.get("/healthz", timeout=60)
                record(kind, p, r)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(1.0, deadline - time.monotonic() + 5))
        return time.monotonic() - t0, idx[0]

    def mix(self, payloads, n):
        items = []
        for _ in range(n):
            x = self.rng.random()
            if x < 0.04:
                items.append((self.rng.choice(["page", "static", "health"]), None))
            else:
                items.append(("upload", self.rng.choice(payloads)))
        return items

    def load(self, payloads):
        R = self.R
        stats = {"status": {}, "bad": [], "lat": [], "n": 0}
        lock = threading.Lock()

        def record(kind, p, r):
            prob = None
            if r.status is None:
                prob = "no answer: %s" % r.error
            elif kind == "busy" or (kind == "upload" and r.status == 503):
                if p.oversized:
                    prob = "503 for a body over --max-upload (413 comes first)"
                elif not r.headers.get("retry-after", "").isdigit():
                    prob = "503 without Retry-After"
                elif pcc.json_error_problems(r, 503):
                    prob = "503: %s" % "; ".join(pcc.json_error_problems(r, 503))
            elif kind != "upload":
                if r.status != 200:
                    prob = "%s -> %s" % (kind, r.brief())
            elif r.status != p.status:
                prob = "%s: %s, probed %s" % (p.name, r.brief(), p.status)
            elif r.status == 200 and r.body != p.body:
                prob = "%s: 200 with another JSON than alone (%d vs %d bytes)" % (
                    p.name, len(r.body), len(p.body or b""))
            with lock:
                stats["n"] += kind != "busy"
                key = "%s %s" % (kind, r.status)
                stats["status"][key] = stats["status"].get(key, 0) + 1
                if kind == "upload" and r.status not in (None, 503, 413):
                    stats["lat"].append(r.elapsed)
                if prob:
                    stats["bad"].append(prob)

        items = self.mix(payloads, self.requests)
        elapsed, started = self.run_batch(items, self.concurrency, record)
        R.check(started == len(items) and stats["n"] == len(items),
                "load: all %d requests sent and answered within %d s"
                % (len(items), self.time_limit),
                "%d started, %d answered in %.0f s" % (started, stats["n"], elapsed))
        R.check(not stats["bad"], "load: every answer is its probed status (or a proper "
                "503 for an analysis)", "%d bad, e.g. %s" % (len(stats["bad"]),
                                                            stats["bad"][:5]))
        lat = sorted(stats["lat"])
        pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0)
        self.numbers.update({
            "requests": len(items), "concurrency": self.concurrency, "jobs": self.jobs,
            "seconds": round(elapsed, 1), "req_per_s": round(len(items) / elapsed, 1),
            "statuses": dict(sorted(stats["status"].items())),
            "latency_p50_s": round(pct(0.5), 3), "latency_p95_s": round(pct(0.95), 3),
            "latency_max_s": round(lat[-1], 3) if lat else 0.0,
        })
        return stats

    # -- the state of the server process

    def working_children(self):
        """Children of the server but the idle tsharks of its warm pool."""
        warm = getattr(pcc, "is_warm_tshark", lambda pid: False)
        return [c for c in self.srv.children() if not warm(c[0])]

    def settle(self, grace=10.0):
        """Wait for the server to go idle: no working child, no temp file."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not self.working_children() and not self.srv.temp_files():
                break
            time.sleep(0.1)
        time.sleep(0.5)

    def snapshot(self):
        pid = self.srv.proc.pid
        st = proc_status(pid)
        return {"fds": len(pcc.fd_table(pid)), "threads": st.get("Threads"),
                "rss_kb": st.get("VmRSS"), "hwm_kb": st.get("VmHWM")}

    def queue(self, payload):
        """JOBS+2 uploads at once: with a wait queue, none gets 503."""
        R = self.R
        got = []
        lock = threading.Lock()

        def record(kind, p, r):
            with lock:
                got.append(r.status)

        n = self.jobs + 2
        for _ in range(3):  # three rounds of n simultaneous uploads
            self.run_batch([("once", payload)] * n, n, record)
        busy = got.count(503)
        self.numbers["queue_round"] = {"clients": n, "answers": len(got), "503": busy}
        ok = busy == 0 and all(s == payload.status for s in got)
        name = ("queue: %d simultaneous uploads with --jobs %d all get their chart (they "
                "wait, no 503)" % (n, self.jobs))
        detail = "%d of %d got 503: %s" % (busy, len(got), got)
        pending = ("a bounded wait queue before 503: an analysis past --jobs waits (up "
                   "to a queue length and a wait deadline) instead of an instant 503")
        if ok:
            R.ok(name)
        elif XFAIL and busy > 0 and all(s in (503, payload.status) for s in got):
            self.numbers.setdefault("xfail", []).append((name, pending))
            R.note("XFAIL %s: expected failure pending http change: %s (%s)"
                   % (name, pending, detail))
        else:
            R.fail(name, detail + " [pending http change: %s]" % pending)

    # -- all of it

    def run(self):
        R = self.R
        if asan_binary(pcc.PCAPCHART_BIN):
            # ASan keeps freed memory in a quarantine (256 MiB by default), which
            # would read as growth; a small one keeps VmRSS meaningful
            extra = "quarantine_size_mb=16:thread_local_quarantine_size_kb=256"
            old = os.environ.get("ASAN_OPTIONS", "")
            os.environ["ASAN_OPTIONS"] = old + (":" if old else "") + extra
            R.note("AddressSanitizer build: the server runs with %s" % extra)
        self.srv = pcc.Server(R, ["--jobs", str(self.jobs), "--max-upload",
                                  str(self.max_upload)], name="load server")
        if not self.srv.start():
            return
        try:
            payloads = self.payloads()
            self.probe(payloads)
            self.run_batch(self.mix(payloads, max(32, self.concurrency * 3)),
                           self.concurrency, lambda k, p, r: None)
            self.settle()
            before = self.snapshot()
            base_fds = dict(pcc.fd_table(self.srv.proc.pid))
            self.load(payloads)
            self.settle()
            after = self.snapshot()
            self.numbers["before"] = before
            self.numbers["after"] = after
            R.check(after["fds"] <= before["fds"], "after the load: open descriptors back "
                    "to %d" % before["fds"], "%d now; new: %s" % (after["fds"], {
                        k: v for k, v in pcc.fd_table(self.srv.proc.pid).items()
                        if base_fds.get(k) != v}))
            R.check(after["threads"] is not None and after["threads"] <= before["threads"],
                    "after the load: threads back to %s" % before["threads"],
                    "%s now" % after["threads"])
            kids = self.working_children()
            R.check(not kids, "after the load: no child process (but the idle warm "
                    "pool)", repr(kids))
            files = self.srv.temp_files()
            R.check(not files, "after the load: no temp file", repr(files))
            bound = max(24 * 1024, before["rss_kb"] // 2)
            R.check(after["rss_kb"] <= before["rss_kb"] + bound,
                    "after the load: VmRSS %d kB within %d kB of the warm baseline %d kB"
                    % (after["rss_kb"], bound, before["rss_kb"]),
                    "grew by %d kB" % (after["rss_kb"] - before["rss_kb"]))
            small = [p for p in payloads if p.status == 200]
            if small:
                self.queue(small[0])
            self.srv.check_clean("after the queue round", grace=5)
        except Exception:  # noqa: BLE001
            R.fail("load test raised", traceback.format_exc())
        finally:
            self.srv.stop()

    def report(self):
        n = self.numbers
        if not n:
            return
        print("# load: %s requests at concurrency %s, --jobs %s: %.1f s, %.1f requests/s"
              % (n.get("requests"), n.get("concurrency"), n.get("jobs"),
                 n.get("seconds", 0), n.get("req_per_s", 0)))
        print("# load: statuses %s" % n.get("statuses"))
        print("# load: latency of analysed uploads p50 %s s, p95 %s s, max %s s"
              % (n.get("latency_p50_s"), n.get("latency_p95_s"), n.get("latency_max_s")))
        for k in ("before", "after"):
            if k in n:
                print("# load: %-6s fds %s, threads %s, VmRSS %s kB (peak VmHWM %s kB)"
                      % (k, n[k]["fds"], n[k]["threads"], n[k]["rss_kb"], n[k]["hwm_kb"]))
        if "queue_round" in n:
            print("# load: queue round %s" % n["queue_round"])
        for name, pending in n.get("xfail", []):
            print("# XFAIL (expected failure pending http change): %s -- needs: %s"
                  % (name, pending))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-upload", type=int, default=1000000)
    ap.add_argument("--time-limit", type=int, default=600)
    a = ap.parse_args(argv)
    if not (1 <= a.requests <= 100000 and 1 <= a.concurrency <= 60):
        ap.error("--requests 1..100000, --concurrency 1..60 (under HTTP_MAX_CONNS)")
    R = pcc.Results("load")
    pcc.preflight(R)
    L = Load(R, a.requests, a.concurrency, a.jobs, a.max_upload, a.time_limit)
    L.run()
    L.report()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
