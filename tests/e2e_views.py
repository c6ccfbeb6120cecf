#!/usr/bin/env python3
"""e2e_views.py - several series, chart kinds, kept captures and views (issue 4).

Against the real server and the real tshark:
  - several series: repeated `filter` (query string and form fields), each
    series' points exactly what `tshark -Y FILTER` prints; names and colours
    paired in order; a bad filter is a 400 that quotes tshark and names the
    series, and the capture is not kept;
  - upload once, view many: every kind (size, io, hist) and format (json,
    csv, svg, html) through GET /c/<sha256>?... after one upload equals what
    the upload itself answered; the Content-Location header and the JSON's
    "view" name that URL; the id is the file's SHA-256;
  - 400 for a malformed id, 404 for an unknown one, 400 naming a bad parameter;
  - expiry: --store-ttl 2 -> 410 with a clear message, the file gone from disk
    without any request; eviction under a small --store-max (least recently
    used first) -> 410 for the evicted one only;
  - retain=0 keeps nothing; --store-max 0 keeps nothing and makes no store;
    the store is its own directory (<tmpdir>/store, or --store DIR), apart
    from the in-flight temp files, which still vanish with their request;
    --store equal to --tmpdir is refused at start;
  - an upload declaring a 10 GB Content-Length gets 413 at once and its
    connection is closed, the server having read almost nothing; a chunked
    body gets the same once it passes the cap;
  - nothing left behind after any request, and the store emptied at stop.
"""
import hashlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

HTTP = "dev/http.cap"            # 43 frames: 41 tcp, 2 udp
DHCP = "dev/dhcpfo.pcapng"       # udp only
SNMP = "dev/snmp_usm.pcap"
HEX64 = re.compile(r"^[0-9a-f]{64}$")

_fref = {}


def tshark_filtered(path, flt):
    """(time, len) frames tshark prints for display filter flt (cached)."""
    key = (path, flt)
    if key not in _fref:
        args = [pcc.tshark_path(), "-n", "-r", path]
        if flt:
            args += ["-Y", flt]
        p = subprocess.run(args + ["-T", "fields", "-e", "frame.time_relative",
                                   "-e", "frame.len"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=300)
        frames = []
        for line in p.stdout.decode("utf-8", "replace").split("\n"):
            if line:
                t, _, ln = line.partition("\t")
                frames.append((t or None, int(ln)))
        _fref[key] = frames
    return _fref[key]


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def form(fields, data, filename="upload.pcap"):
    """multipart body with the file and (name, value) fields."""
    parts = [(k, None, v.encode() if isinstance(v, str) else v, None) for k, v in fields]
    parts.append(("file", filename, data, "application/octet-stream"))
    return pcc.multipart(parts)


def post_form(srv, path, fields, data, filename="upload.pcap"):
    body, ctype = form(fields, data, filename)
    return pcc.request(srv.port, "POST", path, body, {"Content-Type": ctype})


def view_path(r):
    """The path of the Content-Location of r (None when missing)."""
    loc = r.headers.get("content-location")
    return loc if loc and loc.startswith("/c/") else None


def store_dir(srv):
    return os.path.join(srv.tmpdir, "store")


def store_files(d):
    try:
        return sorted(n for n in os.listdir(d) if n != ".lock")
    except OSError:
        return None


# --------------------------------------------------------------------------
# several series


def series_problems(doc, want):
    """want: [(name, filter, frames)]; problems of doc's series against them."""
    probs = []
    ser = doc.get("series") if isinstance(doc, dict) else None
    if not isinstance(ser, list) or len(ser) != len(want):
        return ["series is not a list of %d: %s" % (len(want), pcc.one_line(repr(ser), 200))]
    for i, (s, (name, flt, frames)) in enumerate(zip(ser, want), 1):
        if s.get("name") != name:
            probs.append("series %d name %r, expected %r" % (i, s.get("name"), name))
        if s.get("filter") != flt:
            probs.append("series %d filter %r, expected %r" % (i, s.get("filter"), flt))
        pts = s.get("points")
        if not isinstance(pts, list):
            probs.append("series %d has no points list" % i)
            continue
        diff = pcc.compare_frames([tuple(p) for p in pts], frames)
        if diff:
            probs.append("series %d (%s): %s" % (i, flt, diff))
    return probs


def several_series(R, srv):
    path = pcc.capture(HTTP)
    data = pcc.read_file(path)
    tcp, udp = tshark_filtered(path, "tcp"), tshark_filtered(path, "udp")
    R.check(len(tcp) > 0 and len(udp) > 0, "reference: http.cap has tcp (%d) and udp (%d)"
            % (len(tcp), len(udp)))

    # query string
    r = srv.post("/api/chart?format=json&filter=tcp&filter=udp", data, "http.cap")
    if R.check(r.status == 200, "filter=tcp&filter=udp (query) -> 200", r.brief()):
        probs = series_problems(r.json(), [("tcp", "tcp", tcp), ("udp", "udp", udp)])
        R.check(not probs, "two series: each exactly what tshark -Y prints", "; ".join(probs))
    srv.check_clean("two series (query)")

    # form fields, names and colours paired in order, a blank row skipped
    fields = [("filter", "udp"), ("name", "UDP"), ("color", "#ff0000"),
              ("filter", ""), ("name", ""), ("color", "#00ff00"),
              ("filter", "tcp.len > 0"), ("name", ""), ("color", "#0000ff")]
    r = post_form(srv, "/api/chart?format=json&filter=ignored.by.the.form", fields, data,
                  "http.cap")
    if R.check(r.status == 200, "series as form fields -> 200", r.brief()):
        doc = r.json()
        probs = series_problems(doc, [("UDP", "udp", udp),
                                      ("tcp.len > 0", "tcp.len > 0",
                                       tshark_filtered(path, "tcp.len > 0"))])
        cols = [s.get("color", "").lower() for s in doc.get("series", [])]
        if cols != ["#ff0000", "#0000ff"]:
            probs.append("colours %r, expected the form's, in order" % cols)
        R.check(not probs, "form series: names, colours, filters paired in order; the form's "
                "series replace the query's; a blank row is skipped", "; ".join(probs))
    srv.check_clean("series as form fields")

    # eight is the most
    q = "&".join(["filter=ip"] * 9)
    r = srv.post("/api/chart?format=json&" + q, data, "http.cap")
    probs = pcc.json_error_problems(r, 400, srv.tmpdir)
    R.check(not probs, "nine filters -> 400 {\"error\"}", "; ".join(probs))
    srv.check_clean("nine filters")


def bad_filter(R, srv):
    data = pcc.read_file(pcc.capture(SNMP))
    sha = sha256_of(data)
    q = "/api/chart?format=json&filter=udp&filter=tcp.bogus_field%20%3D%3D%201&name=U&name=Bogus"
    r = srv.post(q, data, "snmp.pcap")
    probs = pcc.json_error_problems(r, 400, srv.tmpdir)
    if not probs:
        msg = r.json()["error"]
        if "series 2" not in msg:
            probs.append("message does not name series 2: %r" % msg)
        if "Bogus" not in msg:
            probs.append("message does not give the series' name: %r" % msg)
        if "tcp.bogus_field" not in msg:
            probs.append("message does not quote tshark: %r" % msg)
    R.check(not probs, "bad filter of series 2 -> 400 quoting tshark, naming the series",
            "; ".join(probs))
    srv.check_clean("bad filter")
    r = srv.get("/c/%s?format=json" % sha)
    R.check(r.status == 404, "a capture refused for its filter is not kept (GET -> 404)",
            r.brief())
    # the form page: 400 HTML, the filter kept in the form to be fixed
    r = post_form(srv, "/", [("filter", "nope.nope")], data, "snmp.pcap")
    probs = pcc.html_error_problems(r, 400)
    if not probs:
        if "series 1" not in r.text:
            probs.append("page does not name series 1")
        if 'value="nope.nope"' not in r.text:
            probs.append("the bad filter is not back in the form")
    R.check(not probs, "form with a bad filter -> 400 page naming the series, filter kept",
            "; ".join(probs))
    srv.check_clean("form, bad filter")
    # shell metacharacters are only a filter: one argv element, a 400 from tshark
    for flt in ("$(touch /tmp/pcc-pwned)", "tcp; touch /tmp/pcc-pwned", "-w /tmp/pcc-pwned"):
        r = srv.post("/api/chart?format=json&filter=" + urllib.parse.quote(flt), data,
                     "snmp.pcap")
        R.check(r.status == 400 and not os.path.exists("/tmp/pcc-pwned"),
                "filter %r -> 400, nothing run" % flt, r.brief())
    srv.check_clean("hostile filters")


# --------------------------------------------------------------------------
# views of a kept capture


def views(R, srv):
    path = pcc.capture(HTTP)
    data = pcc.read_file(path)
    sha = sha256_of(data)
    ref = pcc.tshark_ref(path)

    r = srv.post("/api/chart?format=json", data, "http.cap")
    if not R.check(r.status == 200, "upload -> 200", r.brief()):
        return
    loc = view_path(r)
    R.check(loc is not None and loc.startswith("/c/%s?" % sha) and "format=json" in loc,
            "Content-Location is /c/<sha256 of the file>?...&format=json", repr(loc))
    doc = r.json()
    R.check(isinstance(doc.get("view"), str) and doc["view"].startswith("/c/" + sha)
            and "format=" not in doc["view"],
            "JSON names the view (\"view\": \"/c/<sha256>?...\")", repr(doc.get("view")))
    probs = pcc.check_chart_json({k: v for k, v in doc.items() if k != "view"}, ref,
                                 srv.tmpdir)
    R.check(not probs, "JSON keeps its shape and tshark's frames", "; ".join(probs))
    files = store_files(store_dir(srv))
    R.check(files == [sha], "the store holds the capture as <tmpdir>/store/<sha256>",
            repr(files))
    if files == [sha]:
        st = os.stat(os.path.join(store_dir(srv), sha))
        R.check(st.st_mode & 0o777 == 0o600 and st.st_size == len(data),
                "stored file: mode 0600, the upload's bytes",
                "mode %o size %d" % (st.st_mode & 0o777, st.st_size))
        with open(os.path.join(store_dir(srv), sha), "rb") as f:
            R.check(f.read() == data, "stored file is the upload, byte for byte")
    R.check(not srv.temp_files(), "no in-flight temp file left in --tmpdir",
            repr(srv.temp_files()))
    srv.check_clean("upload kept")

    # every kind and format through /c/ equals what an upload answers
    for kind, extra in (("size", ""), ("io", "&interval=1&y=bytes"),
                        ("io", "&y=packets/s&sma=5&log=1"), ("hist", ""),
                        ("size", "&filter=tcp&filter=udp&start=1&end=20")):
        for fmt in ("json", "csv", "svg", "html"):
            q = "kind=%s%s" % (kind, extra)
            label = "%s %s" % (q, fmt)
            if fmt == "html":
                body, ctype = form([(k, v) for k, v in urllib.parse.parse_qsl(q)], data,
                                   "http.cap")
                up = pcc.request(srv.port, "POST", "/", body, {"Content-Type": ctype})
            else:
                up = srv.post("/api/chart?format=%s&%s" % (fmt, q), data, "http.cap")
            if not R.check(up.status == 200, "%s: upload -> 200" % label, up.brief()):
                continue
            loc = view_path(up)
            if not R.check(loc is not None, "%s: upload names its view" % label,
                           repr(up.headers)):
                continue
            v = srv.get(loc)
            same = v.status == 200 and v.body == up.body and v.ctype == up.ctype
            R.check(same, "%s: GET %s equals the upload's answer" % (label, loc[:60]),
                    "GET %s; bytes %d vs %d" % (v.brief()[:200], len(v.body), len(up.body)))
            if fmt == "svg":
                R.check(not pcc.svg_problems(v.body, v.ctype), "%s: SVG well-formed" % label,
                        "; ".join(pcc.svg_problems(v.body, v.ctype)))
            if fmt == "html":
                R.check("<svg" in v.text and "Update chart" in v.text and
                        "format=csv" in v.text,
                        "%s: page has the chart, the controls and downloads" % label)
        srv.check_clean("views of kind %s" % kind)

    # the same view with the parameters in another order, and no filename
    a = srv.get("/c/%s?format=json&kind=io&interval=0.5" % sha)
    b = srv.get("/c/%s?interval=0.500&format=json&kind=io" % sha)
    R.check(a.status == 200 and a.body == b.body,
            "a view is stateless: same parameters in any order -> same bytes", a.brief())
    # HEAD, the default format (HTML), and a view of a capture only named by id
    r = srv.get("/c/%s" % sha)
    R.check(r.status == 200 and r.ctype.startswith("text/html") and "<svg" in r.text
            and "capture %s" % sha[:12] in r.text,
            "GET /c/<sha256> -> 200 HTML page, named after the id", r.brief())
    r = pcc.request(srv.port, "HEAD", "/c/%s?format=svg" % sha)
    R.check(r.status == 200 and r.body == b"", "HEAD /c/<sha256> -> 200, no body", r.brief())
    srv.check_clean("views")

    # errors
    cases = [
        ("/c/%s?format=json" % sha.upper(), 400, "upper-case id"),
        ("/c/%s?format=json" % sha[:63], 400, "63 digits"),
        ("/c/%sx?format=json" % sha[:63], 400, "not hex"),
        ("/c/%s/x?format=json" % sha, 400, "a path after the id"),
        ("/c/?format=json", 400, "no id"),
        ("/c/%s?format=json" % ("0" * 64), 404, "unknown id"),
        ("/c/%s?format=json&kind=pie" % sha, 400, "kind=pie"),
        ("/c/%s?format=json&interval=0.0000001" % sha, 400, "interval under 1 us"),
        ("/c/%s?format=json&y=frames" % sha, 400, "y=frames"),
        ("/c/%s?format=json&start=3&end=2" % sha, 400, "start after end"),
        ("/c/%s?format=json&sma=x" % sha, 400, "sma=x"),
        ("/c/%s?format=xml" % sha, 400, "format=xml"),
    ]
    for p, status, label in cases:
        r = srv.get(p)
        probs = pcc.json_error_problems(r, status, srv.tmpdir)
        if not probs and status == 400 and "=" in label:
            key = label.split("=")[0].split()[-1]
            if key not in r.json()["error"] and label != "format=xml":
                probs.append("message does not name %r: %r" % (key, r.json()["error"]))
        R.check(not probs, "GET /c/ %s -> %d {\"error\"}" % (label, status), "; ".join(probs))
    r = srv.get("/c/%s?kind=pie" % sha)
    R.check(r.status == 400 and r.ctype.startswith("text/html") and "kind" in r.text,
            "GET /c/ HTML view with kind=pie -> 400 page", r.brief())
    r = pcc.request(srv.port, "POST", "/c/%s" % sha, b"x", {"Content-Type": "text/plain"})
    R.check(r.status == 405, "POST /c/<sha256> -> 405", r.brief())
    srv.check_clean("view errors")


def retain0(R, srv):
    data = pcc.read_file(pcc.capture(DHCP))
    sha = sha256_of(data)
    before = store_files(store_dir(srv)) or []
    r = srv.post("/api/chart?format=json&retain=0", data, "dhcpfo.pcapng")
    ok = R.check(r.status == 200, "retain=0 upload -> 200", r.brief())
    if ok:
        R.check("view" not in r.json() and view_path(r) is None,
                "retain=0: no view named", repr(r.headers.get("content-location")))
    after = store_files(store_dir(srv)) or []
    R.check(sha not in after and after == before, "retain=0: nothing added to the store",
            "before %s after %s" % (before, after))
    r = srv.get("/c/%s?format=json" % sha)
    R.check(r.status == 404, "retain=0: GET /c/<its sha256> -> 404", r.brief())
    # as a form field too, and the page says so
    r = post_form(srv, "/", [("retain", "0")], data, "dhcpfo.pcapng")
    R.check(r.status == 200 and "Not kept on the server" in r.text and
            "/api/chart?" in r.text and sha not in (store_files(store_dir(srv)) or []),
            "retain=0 form field: page says not kept, offers the re-upload form", r.brief())
    srv.check_clean("retain=0")


def store_apart(R, srv):
    """In-flight temp files in --tmpdir, kept captures in the store: seen mid-upload."""
    data = pcc.read_file(pcc.capture(SNMP))
    body, ctype = pcc.multipart([("file", "snmp.pcap", data, "application/octet-stream")])
    head = pcc.request_head("POST", "/api/chart?format=json",
                            {"Content-Type": ctype, "Content-Length": str(len(body)),
                             "Connection": "close"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    try:
        s.sendall(head + body[:len(body) // 2])
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen:
            seen = srv.temp_files()
            time.sleep(0.02)
        R.check(seen and all(n.startswith("pcapchart-") for n, _ in seen),
                "mid-upload: the temp file is in --tmpdir itself", repr(seen))
        R.check(sha256_of(data) not in (store_files(store_dir(srv)) or []),
                "mid-upload: nothing in the store yet")
        s.sendall(body[len(body) // 2:])
        raw = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            raw += c
    finally:
        s.close()
    R.check(raw.startswith(b"HTTP/1.1 200"), "the upload ends 200", pcc.one_line(raw[:100]))
    R.check(not srv.temp_files(), "the temp file went with its request", repr(srv.temp_files()))
    R.check(sha256_of(data) in (store_files(store_dir(srv)) or []),
            "the capture is in the store, <tmpdir>/store")
    srv.check_clean("store apart from temp files")


# --------------------------------------------------------------------------
# 413 without reading the body


def early_413(R, srv, limit):
    boundary = "pcc413"
    head = pcc.request_head("POST", "/api/chart?format=json", {
        "Content-Type": "multipart/form-data; boundary=" + boundary,
        "Content-Length": str(10 * 1024 ** 3)})
    pre = ('--%s\r\nContent-Disposition: form-data; name="file"; filename="x.pcap"\r\n'
           'Content-Type: application/octet-stream\r\n\r\n' % boundary).encode()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    t0 = time.monotonic()
    sent, raw, closed, err = 0, b"", False, None
    try:
        s.sendall(head + pre + b"x" * 4096)
        sent = 4096
        s.settimeout(30)  # an answer to the head needs no body
        while True:
            try:
                c = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError) as e:
                closed, err = True, type(e).__name__
                break
            except socket.timeout:
                err = "timeout"
                break
            if not c:
                closed = True
                break
            raw += c
    finally:
        s.close()
    elapsed = time.monotonic() - t0
    status = re.match(rb"HTTP/1\.1 (\d{3})", raw)
    R.check(status is not None and status.group(1) == b"413",
            "10 GB Content-Length, 4 KB sent -> 413", pcc.one_line(raw[:200]))
    # the body never comes (4 KB of 10 GB): any answer is one that did not wait for it
    R.check(status is not None, "413 without waiting for the body (%.2f s)" % elapsed)
    R.check(closed, "then the server closes the connection", "recv: %s" % err)
    R.check(b"connection: close" in raw.lower(), "the 413 says Connection: close",
            pcc.one_line(raw[:300]))
    R.note("10 GB declared: answered in %.3f s after %d body bytes" % (elapsed, sent))
    srv.check_clean("10 GB Content-Length")

    # chunked: answered once the bytes pass the cap, then closed
    head = pcc.request_head("POST", "/api/chart?format=json", {
        "Content-Type": "multipart/form-data; boundary=" + boundary,
        "Transfer-Encoding": "chunked"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    got = {"raw": b"", "closed": False}
    done = threading.Event()

    def reader():
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    got["closed"] = True
                    break
                got["raw"] += c
        except OSError:
            got["closed"] = True
        done.set()

    t0 = time.monotonic()
    sent = 0
    try:
        s.sendall(head + b"%x\r\n" % len(pre) + pre + b"\r\n")
        th = threading.Thread(target=reader, daemon=True)
        th.start()
        chunk = b"x" * 65536
        while not done.is_set() and sent < 20 * limit and time.monotonic() - t0 < 20:
            try:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                break
            sent += len(chunk)
        done.wait(10)
    finally:
        s.close()
    raw = got["raw"]
    R.check(raw.startswith(b"HTTP/1.1 413"), "chunked body past the cap -> 413",
            pcc.one_line(raw[:200]))
    R.check(got["closed"] and sent < 20 * limit,
            "chunked: the server closed the connection, the client could not send on "
            "(%d bytes sent for a %d-byte cap)" % (sent, limit))
    srv.check_clean("chunked over the cap")
    # the server still works
    r = srv.post("/api/chart?format=json", pcc.read_file(pcc.capture(SNMP)), "snmp.pcap")
    R.check(r.status == 200, "after the 413s an upload still works", r.brief())
    srv.check_clean("upload after 413")


# --------------------------------------------------------------------------
# other servers: expiry, eviction, no store, --store DIR


def expiry(R):
    srv = pcc.Server(R, ["--store-ttl", "2"], name="ttl server")
    if not srv.start():
        return
    try:
        data = pcc.read_file(pcc.capture(HTTP))
        sha = sha256_of(data)
        r = srv.post("/api/chart?format=json", data, "http.cap")
        loc = view_path(r)
        R.check(r.status == 200 and loc, "ttl: upload -> 200 with a view", r.brief())
        # t0 before the view (its last use): the server's 2 s run from a moment
        # after t0 however slow the answer, so the lower bound holds under load
        t0 = time.monotonic()
        r = srv.get("/c/%s?format=json&kind=hist" % sha)
        R.check(r.status == 200, "ttl: view within the ttl -> 200", r.brief())
        stored = os.path.join(store_dir(srv), sha)
        while os.path.exists(stored) and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        gone_after = time.monotonic() - t0
        R.check(not os.path.exists(stored) and gone_after >= 1.5,
                "ttl: the file leaves the disk by itself ~2 s after its last use "
                "(%.1f s)" % gone_after)
        r = srv.get("/c/%s?format=json" % sha)
        probs = pcc.json_error_problems(r, 410, srv.tmpdir)
        if not probs:
            msg = r.json()["error"]
            if "expired" not in msg or "upload" not in msg or "2 seconds" not in msg:
                probs.append("unclear message: %r" % msg)
        R.check(not probs, "ttl: view after expiry -> 410 saying it expired and what to do",
                "; ".join(probs))
        r = srv.get("/c/%s" % sha)
        R.check(r.status == 410 and r.ctype.startswith("text/html") and "expired" in r.text,
                "ttl: the HTML view -> 410 page", r.brief())
        # uploading again brings it back
        r = srv.post("/api/chart?format=json", data, "http.cap")
        r2 = srv.get("/c/%s?format=json" % sha)
        R.check(r.status == 200 and r2.status == 200, "ttl: upload again -> kept again",
                r2.brief())
        srv.check_clean("ttl")
    except Exception:  # noqa: BLE001
        R.fail("expiry test raised", traceback.format_exc())
    finally:
        srv.stop()


def eviction(R):
    a = pcc.read_file(pcc.capture(HTTP))      # 25803 bytes
    b = pcc.read_file(pcc.capture(SNMP))      # 34608
    c = pcc.read_file(pcc.capture(DHCP))      # 44780
    cap = len(b) + len(c) + 1000
    srv = pcc.Server(R, ["--store-max", str(cap)], name="small store server")
    if not srv.start():
        return
    try:
        for data, name in ((a, "a.cap"), (b, "b.pcap")):
            r = srv.post("/api/chart?format=json", data, name)
            R.check(r.status == 200 and view_path(r), "small store: %s kept" % name,
                    r.brief())
        r = srv.get("/c/%s?format=csv" % sha256_of(b))  # b is now the most recent use
        R.check(r.status == 200, "small store: view of b -> 200", r.brief())
        r = srv.post("/api/chart?format=json", c, "c.pcapng")  # evicts a, the LRU
        R.check(r.status == 200 and view_path(r), "small store: c kept", r.brief())
        files = store_files(store_dir(srv)) or []
        total = sum(os.path.getsize(os.path.join(store_dir(srv), f)) for f in files)
        R.check(sorted(files) == sorted([sha256_of(b), sha256_of(c)]) and total <= cap,
                "small store: the least recently used (a) went, %d <= %d bytes"
                % (total, cap), repr(files))
        r = srv.get("/c/%s?format=json" % sha256_of(a))
        probs = pcc.json_error_problems(r, 410, srv.tmpdir)
        if not probs and "room" not in r.json()["error"]:
            probs.append("message does not say why: %r" % r.json()["error"])
        R.check(not probs, "small store: the evicted one -> 410 'to make room'",
                "; ".join(probs))
        for data, name in ((b, "b"), (c, "c")):
            r = srv.get("/c/%s?format=json" % sha256_of(data))
            R.check(r.status == 200, "small store: %s still there -> 200" % name, r.brief())
        # bigger than the whole store: answered, not kept
        big = pcc.read_file(pcc.capture("dev/hari.pcap"))
        r = srv.post("/api/chart?format=json", big, "hari.pcap")
        R.check(r.status == 200 and view_path(r) is None and "view" not in r.json(),
                "small store: a capture larger than the store is answered, not kept",
                r.brief())
        srv.check_clean("eviction")
    except Exception:  # noqa: BLE001
        R.fail("eviction test raised", traceback.format_exc())
    finally:
        srv.stop()


def no_store(R):
    srv = pcc.Server(R, ["--store-max", "0"], name="no-store server")
    if not srv.start():
        return
    try:
        data = pcc.read_file(pcc.capture(SNMP))
        r = srv.post("/api/chart?format=json", data, "snmp.pcap")
        R.check(r.status == 200 and "view" not in r.json() and view_path(r) is None,
                "--store-max 0: answered, no view", r.brief())
        R.check(not os.path.exists(store_dir(srv)), "--store-max 0: no store directory")
        r = srv.get("/c/%s?format=json" % sha256_of(data))
        R.check(r.status == 404 and "keeps no capture" in r.text,
                "--store-max 0: GET /c/ -> 404 'keeps no capture'", r.brief())
        r = srv.get("/")
        R.check(r.status == 200 and "deletes the file as soon as the answer is sent" in r.text,
                "--store-max 0: the page says nothing is kept", r.brief()[:200])
        srv.check_clean("no store")
    except Exception:  # noqa: BLE001
        R.fail("no-store test raised", traceback.format_exc())
    finally:
        srv.stop()


def explicit_store(R):
    base = tempfile.mkdtemp(prefix="pcc-store-")
    sdir = os.path.join(base, "kept")
    srv = pcc.Server(R, ["--store", sdir], name="--store server")
    if not srv.start():
        return
    try:
        data = pcc.read_file(pcc.capture(SNMP))
        r = srv.post("/api/chart?format=json", data, "snmp.pcap")
        R.check(r.status == 200 and view_path(r), "--store DIR: upload kept", r.brief())
        R.check(store_files(sdir) == [sha256_of(data)] and
                not os.path.exists(store_dir(srv)),
                "--store DIR: the capture is in DIR, nothing under --tmpdir",
                repr(store_files(sdir)))
        R.check(os.stat(sdir).st_mode & 0o777 == 0o700, "--store DIR created 0700")
        srv.check_clean("--store DIR")
    except Exception:  # noqa: BLE001
        R.fail("--store test raised", traceback.format_exc())
    finally:
        srv.stop()
    R.check(not os.path.exists(sdir), "--store DIR: emptied and removed at stop",
            repr(store_files(sdir)))
    # the store may not be the temp directory itself
    tmp = os.path.join(base, "tmp")
    os.mkdir(tmp, 0o700)
    p = subprocess.run(pcc.WRAPPER + [pcc.PCAPCHART_BIN, "--port", str(pcc.free_port()),
                                      "--tmpdir", tmp, "--store", tmp],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    text = p.stdout.decode("utf-8", "replace")
    R.check(p.returncode != 0 and "store" in text and "temp directory" in text,
            "--store equal to --tmpdir: refused at start with a clear message",
            "exit %s: %s" % (p.returncode, pcc.one_line(text, 300)))
    subprocess.run(["rm", "-rf", base])


def main():
    R = pcc.Results("e2e_views")
    pcc.preflight(R)
    limit = 1024 * 1024
    srv = pcc.Server(R, ["--max-upload", str(limit), "--jobs", "2"], name="views server")
    try:
        if srv.start():
            several_series(R, srv)
            bad_filter(R, srv)
            views(R, srv)
            retain0(R, srv)
            store_apart(R, srv)
            early_413(R, srv, limit)
    except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        if srv.proc is not None:
            srv.stop()
    R.check(not os.path.exists(store_dir(srv)), "views server: the store is gone after stop")
    for part in (expiry, eviction, no_store, explicit_store):
        try:
            part(R)
        except Exception:  # noqa: BLE001
            R.fail("%s raised" % part.__name__, traceback.format_exc())
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
