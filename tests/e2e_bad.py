#!/usr/bin/env python3
"""e2e_bad.py - every malformed file of $CAPTURES_DIR/bad, and request errors.

What the answer must be follows from what tshark 4.0.17 does with the file
(MANIFEST.tsv tshark_rc / tshark_count, re-checked live):
  rc != 0, no frame     -> 422 {"error"} with tshark's reason on one line,
                           without the temp path or "Running as user";
  rc != 0, some frames  -> 200 with exactly those frames and a warning;
  rc == 0, no frame     -> 200, packets 0, a "no packets" warning (a 0-byte
                           file may instead get the "empty file" 400);
  rc == 0, garbage (PNG: one frame without time; zeros: frames of length 0)
                        -> 200 whose warnings say so, or 422 saying so;
  rc == 0, frames       -> 200 charted, frames equal tshark's.
Then the request-level errors: no file field, empty file, body over
--max-upload (Content-Length and chunked; the temp dir never holds more than
the limit), bad format/width/height/max_points, 405, 404 and path traversal.
Each request is followed by the leftover check (temp files, children, fds).
"""
import os
import re
import sys
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

LIMIT = 2000000  # --max-upload; the largest bad file is 1369766 bytes

# tshark accepts these with exit 0 although they hold no usable packet
GARBAGE = {
    "bad/png_renamed.pcap": re.compile(r"(?i)time"),
    "bad/header_then_zeros.pcap": re.compile(
        r"(?i)(length|len|bytes?|size)\D{0,20}\b(0|zero)\b|\b(0|zero)[- ]?(length|len|bytes?|size)"),
}


def reason_parts(stderr):
    """From MANIFEST's tshark_stderr: (main phrase, detail or None)."""
    segs = [s.strip() for s in stderr.split(" | ") if s.strip()]
    main, detail = segs[0], None
    for s in segs[1:]:
        if s.startswith("(") and s.endswith(")"):
            detail = s[1:-1]
    m = re.search(r'^tshark: The file ".*?" (.*?)\.?$', main)
    if m:
        main = m.group(1)
    return main, detail


def bad_file(R, srv, rel, row):
    path = pcc.capture(rel)
    data = pcc.read_file(path)
    fname = os.path.basename(rel)
    rc, cnt = int(row["tshark_rc"]), int(row["tshark_count"])
    ref = pcc.tshark_ref(path)
    R.check(ref.rc == rc and len(ref.frames) == cnt,
            "%s: tshark here agrees with MANIFEST (rc %d, %d frames)" % (rel, rc, cnt),
            "tshark here: rc %d, %d frames" % (ref.rc, len(ref.frames)))
    r = srv.post("/api/chart?format=json", data, fname)
    doc = None
    if r.status == 200:
        try:
            doc = r.json()
        except ValueError as e:
            R.fail("%s: 200 answer is JSON" % rel, "%s: %s" % (e, pcc.one_line(r.body, 200)))
            srv.check_clean("%s: API json" % rel)
            return
    warnings = doc.get("warnings") if isinstance(doc, dict) else None
    warnings = warnings if isinstance(warnings, list) else []

    if rel in GARBAGE:
        pat = GARBAGE[rel]
        if r.status == 200:
            R.ok("%s: tshark-accepted garbage -> 200 (or 422)" % rel)
            probs = pcc.check_chart_json(doc, ref, srv.tmpdir)
            R.check(not probs, "%s: 200 holds tshark's %d frames" % (rel, cnt), "; ".join(probs))
            R.check(any(pat.search(w) for w in warnings if isinstance(w, str)),
                    "%s: warnings say what is wrong (/%s/)" % (rel, pat.pattern),
                    "warnings: %r" % (warnings,))
        elif r.status == 422:
            R.ok("%s: tshark-accepted garbage -> 422 (or 200)" % rel)
            probs = pcc.json_error_problems(r, 422, srv.tmpdir)
            R.check(not probs, "%s: 422 {\"error\"} on one clean line" % rel, "; ".join(probs))
            if not probs:
                msg = r.json()["error"]
                R.check(pat.search(msg), "%s: 422 message says what is wrong (/%s/)"
                        % (rel, pat.pattern), repr(msg))
        else:
            R.fail("%s: tshark-accepted garbage -> 200 with warnings or 422" % rel, r.brief())
    elif rc != 0 and cnt == 0:
        probs = pcc.json_error_problems(r, 422, srv.tmpdir)
        R.check(not probs, "%s: unreadable (tshark rc %d, 0 frames) -> 422 {\"error\"} on one "
                "clean line" % (rel, rc), "; ".join(probs))
        if not probs:
            msg = r.json()["error"]
            main, detail = reason_parts(row["tshark_stderr"])
            R.check(main.lower() in msg.lower(), "%s: 422 message holds tshark's reason %r"
                    % (rel, main), repr(msg))
            if detail:
                R.check(detail.lower() in msg.lower(), "%s: 422 message holds tshark's detail"
                        " %r" % (rel, detail), repr(msg))
    elif rc != 0:
        if R.check(r.status == 200, "%s: damaged after %d frames (tshark rc %d) -> 200"
                   % (rel, cnt, rc), r.brief()):
            probs = pcc.check_chart_json(doc, ref, srv.tmpdir)
            R.check(not probs, "%s: 200 holds exactly the %d frames tshark printed"
                    % (rel, cnt), "; ".join(probs))
            R.check(len(warnings) > 0, "%s: 200 has a warning" % rel,
                    "warnings: %r" % (warnings,))
    elif cnt == 0 and len(data) == 0 and r.status == 400:
        # a 0-byte upload is also "an empty file" (-> 400), which the contract allows
        probs = pcc.json_error_problems(r, 400, srv.tmpdir)
        R.check(not probs, "%s: 0-byte file -> 400 {\"error\"} (empty file; or 200 with "
                "'no packets')" % rel, "; ".join(probs))
    elif cnt == 0:
        if R.check(r.status == 200, "%s: no packets (tshark rc 0) -> 200" % rel, r.brief()):
            R.check(doc.get("packets") == 0, "%s: packets 0" % rel, repr(doc.get("packets")))
            R.check(any("no packet" in w.lower() for w in warnings if isinstance(w, str)),
                    "%s: warns 'no packets'" % rel, "warnings: %r" % (warnings,))
    else:
        if R.check(r.status == 200, "%s: tshark reads it cleanly (%d frames) -> 200"
                   % (rel, cnt), r.brief()):
            probs = pcc.check_chart_json(doc, ref, srv.tmpdir)
            R.check(not probs, "%s: 200 holds tshark's %d frames" % (rel, cnt), "; ".join(probs))
    srv.check_clean("%s: API json" % rel)


def form_errors(R, srv):
    data = pcc.read_file(pcc.capture("bad/packetout.pcap"))
    r = srv.post("/", data, "packetout.pcap")
    probs = pcc.html_error_problems(r, 422)
    if not probs and "capture file" not in r.text:
        probs.append("the page does not give tshark's reason ('... capture file ...')")
    R.check(not probs, "form: not a capture -> 422 HTML page with the reason", "; ".join(probs))
    srv.check_clean("form: not a capture")

    data = pcc.read_file(pcc.capture("bad/ssl.dump.pcap"))
    r = srv.post("/", data, "ssl.dump.pcap")
    R.check(r.status == 200 and "<svg" in r.text, "form: cut-short capture -> 200 page with "
            "<svg", r.brief())
    srv.check_clean("form: cut-short capture")

    body, ctype = pcc.multipart([("other", None, b"hello", None)])
    r = pcc.request(srv.port, "POST", "/", body, {"Content-Type": ctype})
    probs = pcc.html_error_problems(r, 400)
    R.check(not probs, "form: no file field -> 400 HTML", "; ".join(probs))
    srv.check_clean("form: no file field")


def field_errors(R, srv):
    cap = pcc.read_file(pcc.capture("dev/http.cap"))
    cases = [
        ("no file field", [("other", None, b"hello", None)]),
        ("file field under another name", [("upload", "http.cap", cap,
                                            "application/octet-stream")]),
        ("empty file", [("file", "empty.pcap", b"", "application/octet-stream")]),
        ("no parts at all", []),
    ]
    for label, fields in cases:
        body, ctype = pcc.multipart(fields)
        r = pcc.request(srv.port, "POST", "/api/chart?format=json", body, {"Content-Type": ctype})
        probs = pcc.json_error_problems(r, 400, srv.tmpdir)
        R.check(not probs, "API: %s -> 400 {\"error\"}" % label, "; ".join(probs))
        srv.check_clean("API: %s" % label)
    r = pcc.request(srv.port, "POST", "/api/chart?format=json", b"",
                    {"Content-Type": "multipart/form-data; boundary=xyz"})
    probs = pcc.json_error_problems(r, 400, srv.tmpdir)
    R.check(not probs, "API: empty body -> 400 {\"error\"}", "; ".join(probs))
    srv.check_clean("API: empty body")
    r = pcc.request(srv.port, "POST", "/api/chart?format=json", cap,
                    {"Content-Type": "application/octet-stream"})
    R.check(r.status in (400, 415) and not pcc.json_error_problems(r, r.status, srv.tmpdir),
            "API: a body that is not multipart -> 400 (or 415) {\"error\"}", r.brief())
    srv.check_clean("API: not multipart")


def too_large(R, srv):
    payload = os.urandom(LIMIT + 1000000)
    for label, path, chunked_body in (("Content-Length", "/api/chart?format=json", False),
                                      ("chunked", "/api/chart?format=json", True),
                                      ("form, Content-Length", "/", False)):
        body, ctype = pcc.multipart([("file", "big.pcap", payload, "application/octet-stream")])
        headers = {"Content-Type": ctype, "Connection": "close"}
        if chunked_body:
            headers["Transfer-Encoding"] = "chunked"
            parts = pcc.chunked(pcc.split(body, 65536))
        else:
            headers["Content-Length"] = str(len(body))
            parts = pcc.split(body, 65536)
        poll = pcc.Poller(srv.temp_bytes)
        poll.start()
        r, sent = pcc.raw_exchange(srv.port, pcc.request_head("POST", path, headers), parts)
        peak = poll.stop()
        name = "over --max-upload (%s, %d bytes) -> 413" % (label, len(body))
        if path == "/":
            R.check(r.status == 413, name, r.brief())
        else:
            probs = pcc.json_error_problems(r, 413, srv.tmpdir)
            R.check(not probs, name + " {\"error\"}", "; ".join(probs))
        R.check(peak <= LIMIT, "over --max-upload (%s): temp files never held more than %d "
                "bytes" % (label, LIMIT), "peak %d bytes (%d samples)" % (peak, poll.samples))
        R.note("%s: sent %d of %d body bytes before the answer; temp peak %d bytes"
               % (label, sent, len(body), peak))
        srv.check_clean("over --max-upload (%s)" % label)
    # just under the limit still works
    data = pcc.read_file(pcc.capture("bad/moin_import.log"))
    r = srv.post("/api/chart?format=json", data, "moin_import.log")
    R.check(r.status != 413, "a %d-byte upload under the limit is not 413" % len(data),
            r.brief())
    srv.check_clean("upload under the limit")


def bad_params(R, srv):
    cap = pcc.read_file(pcc.capture("dev/http.cap"))
    queries = ["format=xml", "format=JSONP", "format=json&width=abc",
               "format=svg&width=-5", "format=svg&width=99999999999999999999",
               "format=svg&height=abc", "format=svg&height=12px",
               "format=json&max_points=abc", "format=json&max_points=-1",
               "format=json&max_points=99999999999999999999999"]
    for q in queries:
        r = srv.post("/api/chart?" + q, cap, "http.cap")
        probs = pcc.json_error_problems(r, 400, srv.tmpdir)
        R.check(not probs, "API ?%s -> 400 {\"error\"}" % q, "; ".join(probs))
        srv.check_clean("API ?%s" % q)


def routes(R, srv):
    r = pcc.request(srv.port, "DELETE", "/")
    R.check(r.status == 405, "DELETE / -> 405", r.brief())
    srv.check_clean("DELETE /")
    for path in ["/nope", "/api/nope", "/static/nope.css", "/static/../CMakeLists.txt",
                 "/static/%2e%2e/CMakeLists.txt", "/static/%2E%2E%2FCMakeLists.txt",
                 "/static/..%2fCMakeLists.txt", "/static/%2e%2e/%2e%2e/CMakeLists.txt",
                 "/static/../../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd"]:
        r = srv.get(path)
        leak = b"cmake_minimum_required" in r.body or b"root:x:" in r.body
        R.check(r.status == 404 and not leak, "GET %s -> 404" % path, r.brief())
        srv.check_clean("GET %s" % path)
    r = srv.get("/static/")
    R.check(r.status in (403, 404), "GET /static/ (no listing) -> 404 or 403", r.brief())
    srv.check_clean("GET /static/")


def main():
    R = pcc.Results("e2e_bad")
    pcc.preflight(R)
    srv = pcc.Server(R, ["--max-upload", str(LIMIT), "--jobs", "2"], name="bad server")
    if not srv.start():
        return R.finish()
    try:
        manifest = pcc.read_manifest()
        baddir = pcc.capture("bad")
        names = sorted(n for n in os.listdir(baddir) if os.path.isfile(os.path.join(baddir, n)))
        R.check(len(names) == 28, "bad/ holds the 28 files the README lists", str(len(names)))
        for name in names:
            rel = "bad/" + name
            row = manifest.get(rel)
            if row is None:
                R.fail("%s: listed in MANIFEST.tsv" % rel)
                continue
            bad_file(R, srv, rel, row)
        form_errors(R, srv)
        field_errors(R, srv)
        too_large(R, srv)
        bad_params(R, srv)
        routes(R, srv)
    except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        srv.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
