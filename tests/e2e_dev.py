#!/usr/bin/env python3
"""e2e_dev.py - every valid capture of $CAPTURES_DIR/dev through the real server.

For each capture: POST /api/chart as json, csv and svg, and the HTML form
(POST /). JSON points and CSV rows must equal what tshark itself prints
(count, order, time, length); the SVG must be an SVG; the page must hold the
inline SVG, the file name and the packet count. EXPECTED_SAMPLES.tsv spot
checks. The static routes, valid chart parameters, a hostile file name
(escaped in the page, never a file on disk) and concurrent analyses.
After every request: no temp file, no child process, fds back to baseline.
"""
import os
import random
import re
import subprocess
import sys
import time
import threading
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402


def static_routes(R, srv):
    r = srv.get("/healthz")
    R.check(r.status == 200 and r.body.strip() == b"ok", "GET /healthz -> 200 ok", r.brief())
    r = srv.get("/")
    if R.check(r.status == 200 and r.ctype.lower().startswith("text/html"),
               "GET / -> 200 text/html", r.brief()):
        forms = re.findall(r"(?is)<form\b[^>]*>", r.text)
        good = [f for f in forms
                if re.search(r"(?i)\bmethod\s*=\s*[\"']?post\b", f)
                and re.search(r"(?i)\benctype\s*=\s*[\"']?multipart/form-data", f)]
        R.check(good, "GET /: <form method=post enctype=multipart/form-data>",
                "forms: %s" % forms)
        inputs = re.findall(r"(?is)<input\b[^>]*>", r.text)
        good = [i for i in inputs
                if re.search(r"(?i)\btype\s*=\s*[\"']?file\b", i)
                and re.search(r"(?i)\bname\s*=\s*[\"']?file(?:[\"'\s/>])", i)]
        R.check(good, "GET /: <input type=file name=file>", "inputs: %s" % inputs)
    srv.check_clean("GET /")
    r = srv.get("/static/style.css")
    R.check(r.status == 200 and len(r.body) > 0, "GET /static/style.css -> 200", r.brief())
    R.check("css" in r.ctype.lower(), "GET /static/style.css is text/css", r.ctype)
    srv.check_clean("GET /static/style.css")


def dev_capture(R, srv, rel, results):
    path = pcc.capture(rel)
    data = pcc.read_file(path)
    fname = os.path.basename(rel)
    ref = pcc.tshark_ref(path)
    n = len(ref.frames)
    R.check(ref.rc == 0, "%s: tshark reads it (reference, %d frames)" % (rel, n),
            "tshark exited %d: %s" % (ref.rc, ref.stderr))

    # JSON
    r = srv.post("/api/chart?format=json", data, fname)
    if R.check(r.status == 200 and "json" in r.ctype.lower(),
               "%s: API json -> 200 application/json" % rel, r.brief()):
        try:
            doc = r.json()
        except ValueError as e:
            doc = None
            R.fail("%s: API json parses" % rel, "%s: %s" % (e, pcc.one_line(r.body, 200)))
        if doc is not None:
            probs = pcc.check_chart_json(doc, ref, srv.tmpdir)
            R.check(not probs, "%s: JSON has tshark's %d frames exactly" % (rel, n),
                    "; ".join(probs))
            results[rel] = doc
            if n == 0:
                w = doc.get("warnings") or []
                R.check(any("no packet" in x.lower() for x in w if isinstance(x, str)),
                        "%s: JSON warns 'no packets'" % rel, "warnings: %r" % (w,))
    srv.check_clean("%s: API json" % rel)

    # CSV
    r = srv.post("/api/chart?format=csv", data, fname)
    if R.check(r.status == 200 and r.ctype.lower().startswith("text/csv"),
               "%s: API csv -> 200 text/csv" % rel, r.brief()):
        try:
            header, rows = pcc.parse_csv(r.text)
            R.check(header == "time_relative,len", "%s: CSV header" % rel, repr(header))
            diff = pcc.compare_frames(rows, ref.frames, "rows")
            R.check(diff is None, "%s: CSV has tshark's %d frames exactly" % (rel, n), diff)
        except ValueError as e:
            R.fail("%s: CSV parses" % rel, str(e))
    srv.check_clean("%s: API csv" % rel)

    # SVG
    r = srv.post("/api/chart?format=svg", data, fname)
    if R.check(r.status == 200, "%s: API svg -> 200" % rel, r.brief()):
        probs = pcc.svg_problems(r.body, r.ctype)
        R.check(not probs, "%s: SVG is image/svg+xml, <svg ... viewBox>, well-formed" % rel,
                "; ".join(probs))
        if n == 0:
            R.check("no packet" in r.text.lower(), "%s: SVG says 'no packets'" % rel,
                    pcc.one_line(r.body, 300))
    srv.check_clean("%s: API svg" % rel)

    # the HTML form
    r = srv.post("/", data, fname)
    if R.check(r.status == 200 and r.ctype.lower().startswith("text/html"),
               "%s: form POST / -> 200 text/html" % rel, r.brief()):
        text = r.text
        R.check("<svg" in text, "%s: page holds an inline <svg" % rel, pcc.one_line(text, 200))
        R.check(pcc.html_escape(fname) in text, "%s: page names the file" % rel, fname)
        R.check(pcc.count_regex(n).search(text) is not None,
                "%s: page shows the packet count %d" % (rel, n))
        if n == 0:
            R.check("no packet" in text.lower(), "%s: page says 'no packets'" % rel)
    srv.check_clean("%s: form" % rel)


def samples(R, results):
    for rel, idx, t, ln in pcc.read_samples():
        name = "sample %s frame %d = (%s, %d)" % (rel, idx, t, ln)
        ref = pcc.tshark_ref(pcc.capture(rel))
        if idx > len(ref.frames) or (pcc.norm_time(ref.frames[idx - 1][0]), ref.frames[idx - 1][1]) \
                != (pcc.norm_time(t), ln):
            R.fail(name + " (tshark reference)", "tshark printed %r" %
                   (ref.frames[idx - 1] if idx <= len(ref.frames) else None,))
        doc = results.get(rel)
        if doc is None:
            R.fail(name, "no JSON result for %s" % rel)
            continue
        try:
            p = doc["series"][0]["points"][idx - 1]
            R.check(pcc.norm_time(p[0]) == pcc.norm_time(t) and p[1] == ln, name,
                    "got %r" % (p,))
        except (KeyError, IndexError, TypeError) as e:
            R.fail(name, "no such point: %r" % e)


def params(R, srv):
    rel = "dev/http.cap"
    data = pcc.read_file(pcc.capture(rel))
    ref = pcc.tshark_ref(pcc.capture(rel))
    r = srv.post("/api/chart?format=svg&width=1000&height=500", data, "http.cap")
    R.check(r.status == 200 and not pcc.svg_problems(r.body, r.ctype),
            "svg with width=1000&height=500 -> 200 SVG",
            r.brief() if r.status != 200 else "; ".join(pcc.svg_problems(r.body, r.ctype)))
    srv.check_clean("svg width/height")
    r = srv.post("/api/chart?format=json&max_points=100", data, "http.cap")
    if R.check(r.status == 200, "json with max_points=100 (43 packets) -> 200", r.brief()):
        try:
            probs = pcc.check_chart_json(r.json(), ref, srv.tmpdir)
        except ValueError as e:
            probs = ["not JSON: %s" % e]
        R.check(not probs, "json with max_points=100: exact, not decimated", "; ".join(probs))
    srv.check_clean("json max_points=100")
    r = srv.post("/api/chart?format=csv&width=300&height=200&max_points=50", data, "http.cap")
    R.check(r.status == 200, "csv with width, height and max_points -> 200", r.brief())
    srv.check_clean("csv with parameters")


def names_on_disk(roots_recursive, roots_flat, token):
    hits = []
    for root in roots_recursive:
        for dirpath, dirnames, filenames in os.walk(root):
            for n in dirnames + filenames:
                if token in n:
                    hits.append(os.path.join(dirpath, n))
    for root in roots_flat:
        try:
            hits += [os.path.join(root, n) for n in os.listdir(root) if token in n]
        except OSError:
            pass
    return hits


def hostile_names(R, srv):
    data = pcc.read_file(pcc.capture("dev/http.cap"))
    token = "pcc%06d" % random.randrange(10 ** 6)
    evil = "../../%s<script>x<img src=x onerror=alert('%s')>&.pcap" % (token, token)
    r = srv.post("/", data, evil)
    if R.check(r.status == 200, "hostile file name: form -> 200", r.brief()):
        text = r.text
        raw = [s for s in ("<script>x", "<img src=x", "alert('%s')" % token) if s in text]
        R.check(not raw, "hostile file name never appears raw in the page", "raw: %s" % raw)
        R.check("&lt;script&gt;x&lt;img src=x onerror=alert(" in text,
                "hostile file name appears escaped in the page",
                "no '&lt;script&gt;x&lt;img src=x onerror=alert(' in the page")
    srv.check_clean("hostile file name: form")
    r = srv.post("/api/chart?format=svg", data, evil)
    if R.check(r.status == 200, "hostile file name: API svg -> 200", r.brief()):
        probs = pcc.svg_problems(r.body, r.ctype)
        if "<script" in r.text or "<img" in r.text:
            probs.append("raw markup from the file name in the SVG")
        R.check(not probs, "hostile file name: SVG well-formed, nothing raw", "; ".join(probs))
    srv.check_clean("hostile file name: API svg")
    r = srv.post("/api/chart?format=json", data, evil)
    if R.check(r.status == 200, "hostile file name: API json -> 200", r.brief()):
        try:
            r.json()
            R.ok("hostile file name: JSON parses")
        except ValueError as e:
            R.fail("hostile file name: JSON parses", str(e))
    srv.check_clean("hostile file name: API json")
    base_parent = os.path.dirname(srv.base)
    hits = names_on_disk([srv.base], [base_parent, os.path.dirname(base_parent), "/tmp",
                                      os.getcwd()], token)
    R.check(not hits, "hostile file name never became a file on disk", repr(hits))

    # bytes that are not UTF-8 in the name: the page must stay valid UTF-8
    r = srv.post("/", data, b"bad\xff\xfe\xc3(name.pcap")
    if R.check(r.status == 200, "non-UTF-8 file name: form -> 200", r.brief()):
        try:
            r.body.decode("utf-8")
            R.ok("non-UTF-8 file name: page is valid UTF-8")
        except UnicodeDecodeError as e:
            R.fail("non-UTF-8 file name: page is valid UTF-8", str(e))
    srv.check_clean("non-UTF-8 file name")


def concurrent(R, srv):
    rels = ["dev/http.cap", "dev/vlan.cap.gz", "dev/dhcpfo.pcapng"]
    out = {}

    def one(rel):
        out[rel] = srv.post("/api/chart?format=json", pcc.read_file(pcc.capture(rel)),
                            os.path.basename(rel))

    threads = [threading.Thread(target=one, args=(rel,)) for rel in rels]
    for t in threads:
        t.start()
    for t in threads:
        t.join(pcc.HTTP_TIMEOUT_S + 10)
    for rel in rels:
        r = out.get(rel)
        if r is None or r.status != 200:
            R.fail("concurrent (--jobs 4): %s -> 200" % rel, r.brief() if r else "no answer")
            continue
        try:
            probs = pcc.check_chart_json(r.json(), pcc.tshark_ref(pcc.capture(rel)), srv.tmpdir)
        except ValueError as e:
            probs = ["not JSON: %s" % e]
        R.check(not probs, "concurrent (--jobs 4): %s exact" % rel, "; ".join(probs))
    srv.check_clean("3 concurrent analyses")


def tshark_rchars(srv):
    """{pid: bytes read} of the server's tshark processes that read stdin from a pipe
    (the warm ones: idle, they are blocked and read nothing more). In the sandbox
    tshark is a grandchild of bwrap's: the leaves of the server's process tree."""
    out = {}
    leaves, todo = [], [srv.proc.pid]
    while todo:
        kids = [c for c, _, _ in pcc.children_of(todo.pop())]
        for c in kids:
            if pcc.children_of(c):
                todo.append(c)
            else:
                leaves.append(c)
    for pid in leaves:
        try:
            if not os.readlink("/proc/%d/fd/0" % pid).startswith("pipe:"):
                continue
            with open("/proc/%d/io" % pid) as f:
                fields = dict(l.split(": ", 1) for l in f.read().splitlines() if ": " in l)
            out[pid] = int(fields["rchar"])
        except (OSError, KeyError, ValueError):
            continue
    return out


def wait_warm(srv, timeout=60):
    """Wait until the pool is full and every warm tshark has loaded: each
    sleeps in read() on its stdin; return their byte counts then."""
    deadline = time.monotonic() + timeout
    now = {}
    while time.monotonic() < deadline:
        now = tshark_rchars(srv)
        if len(now) >= srv.warm and all(pcc.blocked_reading_stdin(p) for p in now):
            return tshark_rchars(srv)
        time.sleep(0.02)
    return now


def wait_reading(srv, before, want, timeout=15):
    """Wait until a tshark that was idle in before has read want more bytes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = tshark_rchars(srv)
        if any(pid in before and now[pid] - before[pid] >= want for pid in now):
            return True
        time.sleep(0.02)
    return False


def overlap(R, srv):
    """An unfiltered upload is charted while it arrives: a warm tshark reads its
    first half before the second is sent; the answer is still exact."""
    rel = "dev/nfs_bad_stalls.cap"
    data = pcc.read_file(pcc.capture(rel))
    body, ctype = pcc.multipart([("file", "nfs.cap", data, "application/octet-stream")])
    head = pcc.request_head("POST", "/api/chart?format=json",
                            {"Content-Type": ctype, "Content-Length": str(len(body)),
                             "Connection": "close"})
    half = len(body) // 2
    for hang_up in (False, True):
        before = wait_warm(srv)
        seen = {}

        def progress(sent):
            if sent == half:
                seen["read"] = wait_reading(srv, before, half // 2)

        r, _ = pcc.raw_exchange(srv.port, head, [body[:half], body[half:]],
                                on_progress=progress, close_after_send=False) \
            if not hang_up else pcc.raw_exchange(srv.port, head, [body[:half]],
                                                 on_progress=progress,
                                                 close_after_send=True)
        what = "hang-up after half an upload" if hang_up else "upload in two halves"
        R.check(seen.get("read"), "%s: a warm tshark read the first half before the "
                "second was sent" % what)
        if hang_up:
            srv.check_clean(what)
            continue
        if r.status != 200:
            R.fail("%s -> 200" % what, r.brief())
            continue
        probs = pcc.check_chart_json(r.json(), pcc.tshark_ref(pcc.capture(rel)),
                                     srv.tmpdir)
        R.check(not probs, "%s -> 200, every frame exact" % what, "; ".join(probs))
        srv.check_clean(what)

    # a form field after the file changes the view: charted again, with the filter
    wait_warm(srv)
    body, ctype = pcc.multipart([("file", "nfs.cap", data, "application/octet-stream"),
                                 ("filter", None, b"udp", None)])
    r = pcc.request(srv.port, "POST", "/api/chart?format=json", body,
                    {"Content-Type": ctype})
    want = subprocess.run([pcc.tshark_path(), "-n", "-r", pcc.capture(rel), "-Y", "udp",
                           "-T", "fields", "-e", "frame.len"], capture_output=True,
                          text=True).stdout.split()
    try:
        series = r.json()["series"] if r.status == 200 else []
    except ValueError:
        series = []
    got = [p[1] for p in series[0]["points"]] if len(series) == 1 else None
    R.check(got == [int(x) for x in want] and series[0]["filter"] == "udp",
            "filter field after the file -> the udp series (%d frames), not the early "
            "chart" % len(want), r.brief() if got is None else "got %d" % len(got))
    srv.check_clean("filter field after the file")


def main():
    R = pcc.Results("e2e_dev")
    pcc.preflight(R)
    srv = pcc.Server(R, ["--jobs", "4"], name="dev server")
    if not srv.start():
        return R.finish()
    try:
        static_routes(R, srv)
        results = {}
        devdir = pcc.capture("dev")
        for name in sorted(os.listdir(devdir)):
            if os.path.isfile(os.path.join(devdir, name)):
                dev_capture(R, srv, "dev/" + name, results)
        samples(R, results)
        params(R, srv)
        hostile_names(R, srv)
        concurrent(R, srv)
        overlap(R, srv)
    except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        srv.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
