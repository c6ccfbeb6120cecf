#!/usr/bin/env python3
"""e2e_hostile.py - the real server against hostile clients (issue 5).

Every answer below must be the expected status with a clear message, must
carry the security headers, and must echo nothing unescaped; nothing may be
executed and nothing left behind:
  - file names: ../ and \\ paths, quotes, <script>/<img onerror>, NUL (%00 and
    raw), overlong UTF-8 (C0 AF), 5000 bytes; shown escaped in the HTML page,
    the SVG and the JSON, never used as a path;
  - display filters with shell metacharacters ($(...), ;, backticks, |, -w):
    400 with tshark's message escaped, /tmp/pwned never created (skipped
    with a message while the server does not take `filter` yet);
  - request heads past the gate's limits (gate.h): a request line too long or
    with too many query arguments -> 414, a head too large or with too many
    fields -> 431, each a text message with our headers; heads just within
    them -> 200;
  - wrong content types, multipart with no boundary, a bad boundary, several
    files (whatever their sizes), a truncated body: 4xx + message;
  - headers: Content-Security-Policy (no inline script unless hashed),
    X-Content-Type-Options: nosniff and Referrer-Policy on every answer, the
    gate's own answers included, and Connection: close (one request a
    connection, so every request passes the gate);
  - static files only from www/: traversal (../, %2e%2e%2f, //, backslashes,
    absolute-form URLs) -> 404, no listing of /static/;
  - slow-loris: clients that send nothing, stop mid-head or trickle the head
    byte by byte are dropped at the head deadline (HTTP_HEAD_DEADLINE_S after
    the accept; 408 to those that sent something), the server holds no
    descriptor of theirs afterwards, and a normal request succeeds meanwhile,
    also while one address holds every place it may hold in the gate;
  - --tmpdir full (a 256 KiB tmpfs, mounted when allowed, as root in CI) -> 507;
    --tmpdir unwritable (chattr +i, which stops root too; else swapped for a
    file) -> 5xx; both with a clear message, and the server keeps serving.
HOSTILE_PARTS=filenames,filters,... runs only those parts (names as in main()).
"""
import base64
import hashlib
import html.parser
import os
import random
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

HTTP_MAX_CONNS = pcc.config_h("GATE_MAX_CONNS_PER_IP") * 2  # enough to pass the per-address share
HTTP_MAX_CONNS_PER_IP = pcc.config_h("GATE_MAX_CONNS_PER_IP")
HTTP_HEAD_DEADLINE_S = pcc.config_h("HTTP_HEAD_DEADLINE_S")
HTTP_HEAD_MAX_BYTES = pcc.config_h("HTTP_HEAD_MAX_BYTES")
HTTP_URI_MAX_BYTES = pcc.config_h("HTTP_URI_MAX_BYTES")
HTTP_MAX_QUERY_ARGS = pcc.config_h("HTTP_MAX_QUERY_ARGS")
HTTP_MAX_HEADER_FIELDS = pcc.config_h("HTTP_MAX_HEADER_FIELDS")
MAX_FIELD_BYTES = pcc.config_h("MAX_FIELD_BYTES")
MAX_FILENAME_BYTES = pcc.config_h("MAX_FILENAME_BYTES")
LIMIT = 2000000
CAP = "dev/dhcp-nanosecond.pcap"
PWNED = "/tmp/pwned"
TAG = "pcc%06x" % random.getrandbits(24)  # marks what we injected

skips = []


def skip(R, what, why):
    skips.append((what, why))
    R.note("SKIP %s: %s" % (what, why))


def cap():
    return pcc.read_file(pcc.capture(CAP))


# --------------------------------------------------------------------------
# what every answer must carry


def csp_directives(value):
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


class PageScan(html.parser.HTMLParser):
    """Tags, attributes and inline scripts of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.probs = []
        self.inline = []  # inline script bodies
        self._script = None

    def handle_starttag(self, tag, attrs):
        t = tag.lower()
        if TAG in t or t in ("iframe", "object", "embed", "base", "frame"):
            self.probs.append("unexpected element <%s>" % tag)
        for k, v in attrs:
            k = (k or "").lower()
            if k.startswith("on"):
                self.probs.append("inline event handler %s= on <%s>" % (k, tag))
            if TAG in k:
                self.probs.append("injected attribute %r on <%s>" % (k, tag))
            if v and re.match(r"\s*(javascript|vbscript|data:text/html)", v, re.I):
                self.probs.append("script URL in %s=%r" % (k, v[:60]))
        if t == "script":
            # A data block (a type that is not JavaScript) is never run, so
            # script-src does not concern it; its text must still not close
            # the element early, which the parser sees as a stray tag.
            typ = dict(attrs).get("type", "") or ""
            runs = typ.strip().lower() in ("", "text/javascript", "module")
            if runs and not any(k == "src" for k, _ in attrs):
                self._script = ""

    def handle_endtag(self, tag):
        if tag.lower() == "script" and self._script is not None:
            self.inline.append(self._script)
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script += data


def header_problems(r):
    """Security headers of one answer (and the inline scripts of an HTML one)."""
    if r.status is None:
        return []
    probs = []
    h = r.headers
    if h.get("connection", "").lower() != "close":
        probs.append("Connection %r, not close" % h.get("connection"))
    if h.get("x-content-type-options", "").lower() != "nosniff":
        probs.append("X-Content-Type-Options %r" % h.get("x-content-type-options"))
    if not h.get("referrer-policy"):
        probs.append("no Referrer-Policy")
    csp = h.get("content-security-policy")
    if not csp:
        probs.append("no Content-Security-Policy")
        return probs
    d = csp_directives(csp)
    script = d.get("script-src", d.get("default-src"))
    if script is None:
        probs.append("CSP limits no script source: %r" % csp)
    else:
        bad = [w for w in script if w.lower() in ("'unsafe-inline'", "'unsafe-eval'",
                                                  "*", "http:", "https:", "data:")]
        if bad:
            probs.append("CSP script-src allows %s" % bad)
    if "object-src" not in d and "default-src" not in d:
        probs.append("CSP has no object-src/default-src")
    if r.ctype.lower().startswith("text/html") and r.body:
        scan = PageScan()
        try:
            scan.feed(r.text)
            scan.close()
        except Exception as e:  # noqa: BLE001
            probs.append("HTML does not parse: %s" % e)
        hashes = [w.strip("'") for w in (script or []) if w.startswith("'sha")]
        for body in scan.inline:
            hv = "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            if hv not in hashes:
                probs.append("inline <script> whose hash %s is not in the CSP" % hv)
    return probs


def markup_problems(r):
    """An HTML or SVG answer: valid UTF-8, nothing we injected as markup."""
    probs = []
    try:
        text = r.body.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["not valid UTF-8: %s" % e]
    if "\x00" in text:
        probs.append("a NUL in the answer")
    ct = r.ctype.lower()
    if ct.startswith("text/html"):
        scan = PageScan()
        scan.feed(text)
        scan.close()
        probs += scan.probs
    elif ct.startswith("image/svg"):
        probs += pcc.svg_problems(r.body, r.ctype)
        try:
            root = ET.fromstring(r.body)
            for el in root.iter():
                name = el.tag.split("}")[-1].lower()
                if name in ("script", "foreignobject", "iframe") or TAG in name:
                    probs.append("SVG element <%s>" % name)
                for k, v in el.attrib.items():
                    kl = k.split("}")[-1].lower()
                    if kl.startswith("on") or TAG in kl:
                        probs.append("SVG attribute %s=" % kl)
                    if kl == "href" and not v.startswith("#"):
                        probs.append("SVG link to %r" % v[:60])
        except ET.ParseError:
            pass  # svg_problems said so
    return probs


class Client:
    """Requests to one server; every answer's headers are checked."""

    def __init__(self, R, srv):
        self.R = R
        self.srv = srv

    def seen(self, r, label):
        probs = header_problems(r)
        self.R.check(not probs, "%s: security headers" % label, "; ".join(probs))
        return r

    def get(self, path, label=None, **kw):
        return self.seen(self.srv.get(path, **kw), label or "GET %s" % path[:80])

    def req(self, method, path, body=None, headers=None, label=None, **kw):
        r = pcc.request(self.srv.port, method, path, body, headers, **kw)
        return self.seen(r, label or "%s %s" % (method, path[:80]))

    def post_fields(self, path, fields, label, boundary=None, **kw):
        body, ctype = pcc.multipart(fields, boundary)
        return self.req("POST", path, body, {"Content-Type": ctype}, label, **kw)

    def post_file(self, path, data, filename, label, **kw):
        return self.post_fields(path, [("file", filename, data, "application/octet-stream")],
                                label, **kw)


def expect_4xx(R, r, label, statuses=None, api=True, srv=None):
    """A 4xx (one of statuses, if given) with a clear message."""
    if statuses and r.status not in statuses:
        return R.fail("%s -> %s" % (label, "/".join(map(str, statuses))), r.brief())
    if r.status is None or not 400 <= r.status < 500:
        return R.fail("%s -> 4xx" % label, r.brief())
    if api:
        probs = pcc.json_error_problems(r, r.status, srv.tmpdir if srv else None)
    else:
        probs = pcc.html_error_problems(r, r.status)
        visible = re.sub(r"(?s)<(script|style)\b.*?</\1>|<[^>]*>", " ", r.text)
        if not probs and str(r.status) not in visible:
            probs.append("the page does not show the status")
        if not probs and not re.search(r"[a-z]{3,}( [a-z'\"]+){3,}", visible):
            probs.append("the page has no message")
    return R.check(not probs, "%s -> %d with a clear message" % (label, r.status),
                   "; ".join(probs))


# --------------------------------------------------------------------------
# file names


HOSTILE_NAMES = [
    ("traversal", "../../../../../tmp/%s_trav.pcap" % TAG, "%s_trav.pcap" % TAG),
    ("backslashes", "..\\..\\..\\tmp\\%s_bs.pcap" % TAG, "%s_bs.pcap" % TAG),
    ("quotes", "%s_q\"uo'te.pcap" % TAG, None),
    ("script tag", "<script>%s_s()" % TAG, None),
    ("img onerror", "<img src=x onerror=%s_i()>.pcap" % TAG, None),
    ("attribute breakout", "\"><svg onload=%s_o()>'.pcap" % TAG, None),
    ("percent NUL", "%s_n%%00.pcap" % TAG, "%s_n%%00.pcap" % TAG),
    ("raw NUL", (TAG + "_rn").encode() + b"\x00evil.pcap", None),
    ("overlong C0 AF", (TAG + "_ov").encode() + b"\xc0\xafetc\xc0\xafpasswd.pcap", None),
    ("control bytes", (TAG + "_cc").encode() + b"\x1b[31m\x07\x7f.pcap", None),
    ("very long", TAG + "_" + "A" * 5000 + ".pcap", None),
]


def filenames(R, srv, cl):
    data = cap()
    for label, name, shown in HOSTILE_NAMES:
        for route, path in (("form", "/"), ("svg", "/api/chart?format=svg"),
                            ("json", "/api/chart?format=json")):
            what = "file name %s (%s)" % (label, route)
            r = cl.post_file(path, data, name, what)
            if r.status != 200:
                if r.status is not None and 400 <= r.status < 500:
                    expect_4xx(R, r, what, api=route != "form", srv=srv)
                else:
                    R.fail("%s -> 200 (or 4xx)" % what, r.brief())
                srv.check_clean(what)
                continue
            R.ok("%s -> 200" % what)
            probs = markup_problems(r)
            if route == "json":
                try:
                    r.json()
                except ValueError as e:
                    probs.append("JSON does not parse: %s" % e)
            text = r.body.decode("utf-8", "replace")
            raw = name if isinstance(name, str) else name.decode("utf-8", "replace")
            if "<" in raw:  # from the first '<' to our marker and past it
                bad = raw[raw.index("<"):][:len(TAG) + 30]
                if bad in text:
                    probs.append("the name's markup %r appears unescaped" % bad)
            if route == "form" and shown and shown not in text:
                probs.append("the page does not show the base name %r" % shown)
            if route == "form" and "_trav" in raw and ("../" in text.split(TAG)[0][-20:]):
                probs.append("the page shows the ../ path")
            runs = [len(m) for m in re.findall(r"A{100,}", text)]
            if runs and max(runs) > MAX_FILENAME_BYTES:
                probs.append("a %d-byte run of the name (cap %d)" % (max(runs),
                                                                      MAX_FILENAME_BYTES))
            if label == "overlong C0 AF" and route != "json" and TAG + "_ov/" in text:
                probs.append("the overlong sequence was decoded to '/'")
            R.check(not probs, "%s: shown escaped, valid UTF-8, nothing injected" % what,
                    "; ".join(probs))
            srv.check_clean(what)
    # the names never named a file anywhere
    made = [p for p in (os.path.join("/tmp", "%s_trav.pcap" % TAG),
                        os.path.join("/tmp", "%s_bs.pcap" % TAG)) if os.path.exists(p)]
    for root, dirs, files in os.walk(srv.base):
        made += [os.path.join(root, f) for f in files if TAG in f]
    R.check(not made, "hostile file names never became file names", repr(made))


# --------------------------------------------------------------------------
# display filters


HOSTILE_FILTERS = [
    "$(touch %s)" % PWNED,
    "frame.len > 0 && $(touch %s)" % PWNED,
    "`touch %s`" % PWNED,
    "; touch %s; rm -rf @CANARY@" % PWNED,
    "| touch %s" % PWNED,
    "frame' ; touch %s ; echo '" % PWNED,
    "-w %s" % PWNED,
    "-o gui.lua_script:@CANARY@/x.lua",
    "frame\n-w %s" % PWNED,
    "frame.len > 0 -w %s" % PWNED,
]


def filter_supported(cl):
    q = urllib.parse.quote("frame.number==1", safe="")
    r = cl.post_file("/api/chart?format=json&filter=" + q, cap(), "dhcp.pcap",
                     "filter probe")
    if r.status != 200:
        return False, r.brief()
    try:
        doc = r.json()
        f = doc["series"][0].get("filter")
        n = doc["series"][0].get("packets")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        return False, "JSON without series[0].filter: %s" % e
    if f != "frame.number==1":
        return False, "series[0].filter is %r: the parameter is ignored" % (f,)
    return True, "series filter echoed, %s packets" % n


def filters(R, srv, cl):
    ok, why = filter_supported(cl)
    if not ok:
        skip(R, "display filter checks", "the server does not take the 'filter' parameter "
             "yet (%s); they run once it does" % why)
        return
    R.ok("the server takes 'filter' (%s)" % why)
    canary = os.path.join(srv.base, "canary")
    os.mkdir(canary)
    with open(os.path.join(canary, "keep"), "w") as f:
        f.write("keep")
    data = cap()
    for flt in HOSTILE_FILTERS + ["frame contains \"<script>%s_f()\"" % TAG,
                                  "a" * 5000]:
        flt = flt.replace("@CANARY@", canary)
        q = urllib.parse.quote(flt, safe="")
        label = "filter %r" % pcc.one_line(flt, 50)
        r = cl.post_file("/api/chart?format=json&filter=" + q, data, "dhcp.pcap",
                         label + " (API)")
        if flt.startswith("frame contains"):
            R.check(r.status == 200, "%s (a valid filter) -> 200" % label, r.brief())
        else:
            expect_4xx(R, r, label + " (API)", [400], srv=srv)
        fields = [("filter", None, flt.encode(), None),
                  ("file", "dhcp.pcap", data, "application/octet-stream")]
        r = cl.post_fields("/", fields, label + " (form)")
        if flt.startswith("frame contains"):
            R.check(r.status == 200, "%s (form) -> 200" % label, r.brief())
        else:
            expect_4xx(R, r, label + " (form)", [400], api=False)
        probs = markup_problems(r)
        R.check(not probs, "%s (form): echoed escaped" % label, "; ".join(probs))
        r = cl.post_file("/api/chart?format=svg&filter=" + q, data, "dhcp.pcap",
                         label + " (svg)")
        if r.status == 200:
            probs = markup_problems(r)
            R.check(not probs, "%s (svg): legend escaped" % label, "; ".join(probs))
        srv.check_clean(label)
    R.check(not os.path.exists(PWNED), "no filter ran a command: %s does not exist" % PWNED)
    R.check(os.path.exists(os.path.join(canary, "keep")),
            "no filter ran a command: the canary file is still there")
    left = [f for f in os.listdir(canary) if f != "keep"]
    R.check(not left, "no filter wrote a file", repr(left))


# --------------------------------------------------------------------------
# requests


def expect_gate(R, r, label, status, words):
    """An answer of the gate (gate.h): status, a one-line text message that
    says words, Connection: close (the security headers: Client.seen)."""
    probs = []
    if r.status != status:
        probs.append("expected %d, got %s" % (status, r.brief()))
    else:
        if not r.ctype.lower().startswith("text/plain"):
            probs.append("content-type %r" % r.ctype)
        msg = r.text.strip()
        probs += pcc.message_problems(msg)
        if words not in msg:
            probs.append("the message %r does not say %r" % (msg, words))
    return R.check(not probs, "%s -> %d with a clear message" % (label, status),
                   "; ".join(probs))


def big_requests(R, srv, cl):
    data = cap()
    # a known parameter over MAX_FIELD_BYTES: our handler's 400, as JSON
    over = "9" * (MAX_FIELD_BYTES + 100)
    r = cl.post_file("/api/chart?format=json&width=" + over, data, "a.pcap",
                     "%d-byte width parameter" % len(over))
    expect_4xx(R, r, "%d-byte width parameter" % len(over), [400], srv=srv)
    srv.check_clean("long width parameter")
    # past the gate's limits: its own answer, whatever the route
    many = "&".join("x%d=%d" % (i, i) for i in range(5000))
    body, ctype = pcc.multipart([("file", "a.pcap", data, "application/octet-stream")])
    for label, method, path, headers, body_, status, words in (
            ("70 KB request line", "GET", "/?a=" + "b" * 70000, {}, None, 414,
             "request line longer than %d bytes" % HTTP_URI_MAX_BYTES),
            ("300 KB query string (API)", "POST", "/api/chart?format=json&a="
             + "b" * 300000, {"Content-Type": ctype}, body, 414, "request line longer"),
            ("5000 query parameters (52 KB)", "POST", "/api/chart?format=json&" + many,
             {"Content-Type": ctype}, body, 414,
             "more than %d query arguments" % HTTP_MAX_QUERY_ARGS),
            ("%d query parameters" % (HTTP_MAX_QUERY_ARGS + 1), "GET",
             "/c/%s?" % ("0" * 64) + "&".join("x%d=1" % i
                                              for i in range(HTTP_MAX_QUERY_ARGS + 1)),
             {}, None, 414, "more than %d query arguments" % HTTP_MAX_QUERY_ARGS),
            ("300 KB header", "GET", "/", {"X-Pad": "p" * 300000}, None, 431,
             "request head larger than %d bytes" % HTTP_HEAD_MAX_BYTES),
            ("5000 headers", "GET", "/", {"X-H%d" % i: "v" for i in range(5000)}, None,
             431, "more than %d header fields" % HTTP_MAX_HEADER_FIELDS)):
        t0 = time.monotonic()
        r = cl.req(method, path, body_, headers, label, timeout=30)
        expect_gate(R, r, label, status, words)
        R.check(time.monotonic() - t0 < 5 and srv.alive(), "%s: answered within 5 s"
                % label, "%s after %.1f s" % (r.brief(), time.monotonic() - t0))
        srv.check_clean(label)
    # just within the limits: libmicrohttpd takes them (its pool holds them)
    line = "/healthz?" + "&".join("x%d=%d" % (i, i)
                                  for i in range(HTTP_MAX_QUERY_ARGS - 1))
    line += "&p=" + "q" * (HTTP_URI_MAX_BYTES - len("GET  HTTP/1.1&p=") - len(line))
    # http.client adds Host, Accept-Encoding and our Connection: close
    fields = {"X-H%d" % i: "v" for i in range(HTTP_MAX_HEADER_FIELDS - 4)}
    used = len("GET %s HTTP/1.1\r\n\r\n" % line) + 100 + len("X-Pad: \r\n") + sum(
        len(k) + len(v) + 4 for k, v in fields.items())
    fields["X-Pad"] = "p" * (HTTP_HEAD_MAX_BYTES - 200 - used)
    for label, path, headers in (
            ("a request line of %d bytes, %d arguments"
             % (HTTP_URI_MAX_BYTES, HTTP_MAX_QUERY_ARGS), line, {}),
            ("a head of almost %d bytes, %d header fields"
             % (HTTP_HEAD_MAX_BYTES, HTTP_MAX_HEADER_FIELDS), line, fields)):
        r = cl.req("GET", path, None, headers, label, timeout=30)
        R.check(r.status == 200, "%s -> 200" % label, r.brief())
    srv.check_clean("heads within the limits")


def content_types(R, srv, cl):
    data = cap()
    body, _ = pcc.multipart([("file", "a.pcap", data, "application/octet-stream")],
                            "pccbnd")
    for ctype in ("text/plain", "application/json", "application/octet-stream",
                  "application/x-www-form-urlencoded", "multipart/mixed; boundary=pccbnd",
                  "multipart/form-dataX; boundary=pccbnd", "text/html; boundary=pccbnd",
                  None):
        for route, path in (("API", "/api/chart?format=json"), ("form", "/")):
            label = "%s with Content-Type %s" % (route, ctype)
            h = {"Content-Type": ctype} if ctype else {}
            b = body if ctype != "application/x-www-form-urlencoded" else b"file=abc&x=1"
            r = cl.req("POST", path, b, h, label)
            expect_4xx(R, r, label, [400, 415], api=route == "API", srv=srv)
            srv.check_clean(label)


def multiparts(R, srv, cl):
    data = cap()
    good, _ = pcc.multipart([("file", "a.pcap", data, "application/octet-stream")],
                            "pccbnd")
    two, _ = pcc.multipart([("file", "a.pcap", data, "application/octet-stream"),
                            ("file", "b.pcap", data, "application/octet-stream")], "pccbnd")
    cases = [
        ("no boundary", "multipart/form-data", good),
        ("empty boundary", "multipart/form-data; boundary=", good),
        ("boundary of 5000 bytes", "multipart/form-data; boundary=" + "b" * 5000, good),
        ("another boundary in the body", "multipart/form-data; boundary=other", good),
        ("several files", "multipart/form-data; boundary=pccbnd", two),
        ("truncated body (no closing boundary)", "multipart/form-data; boundary=pccbnd",
         good[:len(good) // 2]),
        ("truncated in the part headers", "multipart/form-data; boundary=pccbnd",
         good[:40]),
        ("part without Content-Disposition", "multipart/form-data; boundary=pccbnd",
         b"--pccbnd\r\nContent-Type: application/octet-stream\r\n\r\n" + data
         + b"\r\n--pccbnd--\r\n"),
        ("body that is not multipart", "multipart/form-data; boundary=pccbnd",
         b"\x00\xff" * 500),
    ]
    for label, ctype, body in cases:
        for route, path in (("API", "/api/chart?format=json"), ("form", "/")):
            lab = "%s: multipart %s" % (route, label)
            r = cl.req("POST", path, body, {"Content-Type": ctype}, lab)
            expect_4xx(R, r, lab, api=route == "API", srv=srv)
            if route == "form" and r.status is not None:
                probs = markup_problems(r)
                R.check(not probs, "%s: page escaped" % lab, "; ".join(probs))
            srv.check_clean(lab)
    several_files(R, srv, cl)


def several_files(R, srv, cl):
    """Two parts named file -> 400 "more than one", whatever their sizes, also
    with a field between them; one part sent in pieces (libmicrohttpd calls an
    empty chunk first when its bytes are late) is still one file -> 200."""
    data = cap()
    f = lambda d: ("file", "a.pcap", d, "application/octet-stream")  # noqa: E731
    field = ("width", None, b"900", None)
    for label, fields in (("an empty file, then a file", [f(b""), f(data)]),
                          ("a file, then an empty one", [f(data), f(b"")]),
                          ("two empty files", [f(b""), f(b"")]),
                          ("two files", [f(data), f(data)]),
                          ("an empty file, a field, a file", [f(b""), field, f(data)])):
        body, ctype = pcc.multipart(fields)
        for route, path in (("API", "/api/chart?format=json"), ("form", "/")):
            lab = "%s: %s" % (route, label)
            r = cl.req("POST", path, body, {"Content-Type": ctype}, lab)
            if expect_4xx(R, r, lab, [400], api=route == "API", srv=srv):
                R.check("more than one field" in r.text, "%s: says there is more than "
                        "one file" % lab, pcc.one_line(r.text, 200))
            srv.check_clean(lab)
    # an empty file part, then the next part's head and a file, sent apart
    body, ctype = pcc.multipart([f(b""), f(data)])
    second = body.index(b"--", body.index(b"\r\n\r\n") + 4)
    head = pcc.request_head("POST", "/api/chart?format=json", {
        "Content-Type": ctype, "Content-Length": str(len(body)), "Connection": "close"})
    r, _ = pcc.raw_exchange(srv.port, head, [body[:second + 10], body[second + 10:]],
                            pause=0.3)
    cl.seen(r, "an empty file, then a file, sent apart")
    expect_4xx(R, r, "an empty file, then a file, sent apart", [400], srv=srv)
    # one file, its bytes late: right after its part head, and a '\r' first
    for cut, first in ((0, data), (1, b"\r" + data)):
        body, ctype = pcc.multipart([f(first)])
        at = body.index(b"\r\n\r\n") + 4 + cut
        head = pcc.request_head("POST", "/api/chart?format=json", {
            "Content-Type": ctype, "Content-Length": str(len(body)),
            "Connection": "close"})
        r, _ = pcc.raw_exchange(srv.port, head, [body[:at], body[at:]], pause=0.3)
        lab = "one file whose bytes come late (cut %d after its part head)" % cut
        cl.seen(r, lab)
        R.check(r.status in (200, 422), "%s -> one file, charted" % lab, r.brief())
        srv.check_clean(lab)


# --------------------------------------------------------------------------
# headers on every kind of answer, static files


def headers_everywhere(R, srv, cl):
    data = cap()
    cl.get("/", "index page")
    cl.req("HEAD", "/", label="HEAD /")
    for name in ("style.css", "app.js", "favicon.svg"):
        cl.get("/static/" + name)
    cl.get("/healthz")
    cl.get("/nope", "404")
    cl.req("DELETE", "/", label="405")
    cl.req("TRACE", "/", label="TRACE -> 405")
    for fmt in ("svg", "json", "csv"):
        r = cl.post_file("/api/chart?format=" + fmt, data, "a.pcap", "API 200 " + fmt)
        R.check(r.status == 200, "API %s -> 200" % fmt, r.brief())
    r = cl.post_file("/", data, "a.pcap", "form result page")
    R.check(r.status == 200, "form -> 200", r.brief())
    cl.post_file("/", pcc.read_file(pcc.capture("bad/packetout.pcap")), "x.pcap",
                 "form 422 page")
    cl.post_file("/api/chart?format=json", b"", "e.pcap", "API 400")
    r = cl.post_file("/api/chart?format=json", os.urandom(LIMIT + 100000), "big.pcap",
                     "API 413")
    R.check(r.status == 413, "upload over --max-upload -> 413", r.brief())
    one_request_a_connection(R, srv, cl)
    srv.check_clean("headers on every answer")


def one_request_a_connection(R, srv, cl):
    """A client that asks to keep the connection gets Connection: close and
    the close: a second request on it would pass no gate (gate.h)."""
    req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    raw, rest = b"", b""
    try:
        s.sendall(req)
        while not pcc._response_complete(raw):
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
        status, hdrs, body = pcc._parse_response(raw)
        r = cl.seen(pcc.Resp(status, hdrs, body), "keep-alive GET /healthz")
        R.check(r.status == 200, "keep-alive GET /healthz -> 200", r.brief())
        try:
            s.sendall(req)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except OSError:
            pass
        R.check(b"HTTP/1." not in rest, "a second request on that connection gets no "
                "answer: the server closed it", pcc.one_line(rest, 200))
    finally:
        s.close()


def static_files(R, srv, cl):
    paths = [
        "/static/", "/static", "/static/.", "/static/..", "/static/index.html",
        "/static/../CMakeLists.txt", "/static/%2e%2e%2fCMakeLists.txt",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%252e%252e%252fCMakeLists.txt", "/static//etc/passwd",
        "//static/style.css/../../../CMakeLists.txt", "/static/..\\..\\CMakeLists.txt",
        "/static/%5c..%5c..%5cCMakeLists.txt", "/static/style.css/",
        "/static/./style.css", "/static//style.css",
        "/static/STYLE.CSS", "/static/%2fetc%2fpasswd", "/static/%c0%ae%c0%ae/CMakeLists.txt",
        "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/www/index.html",
        "/index.html", "/CMakeLists.txt", "/src/http.c",
    ]
    for p in paths:
        r = cl.get(p)
        leak = (b"cmake_minimum_required" in r.body or b"root:x:0" in r.body
                or b"<!--RESULT-->" in r.body or b"#include" in r.body)
        listing = re.search(rb"(?i)index of|style\.css.*app\.js|<li>.*\.css", r.body)
        R.check(r.status in (400, 404) and not leak and not listing,
                "GET %s -> 404, nothing served" % p, r.brief())
    # an encoded NUL: the decoded URL must not be cut at it
    r = cl.get("/static/style.css%00.html")
    R.check(r.status in (400, 404), "GET /static/style.css%00.html -> 400 or 404",
            r.brief())
    # raw request lines that http.client would normalise
    for line in (b"GET /static/../../../../etc/passwd HTTP/1.1",
                 b"GET http://127.0.0.1/static/../CMakeLists.txt HTTP/1.1",
                 b"GET /static/..\\..\\CMakeLists.txt HTTP/1.1",
                 b"GET /static/%2e%2e%2f%2e%2e%2fCMakeLists.txt HTTP/1.0"):
        r, _ = pcc.raw_exchange(srv.port, line + b"\r\nHost: 127.0.0.1\r\nConnection: close"
                                b"\r\n\r\n", timeout=20)
        cl.seen(r, "raw %s" % line.decode())
        leak = b"cmake_minimum_required" in r.body or b"root:x:0" in r.body
        R.check(r.status in (400, 404) and not leak, "raw %s -> 404" % line.decode(),
                r.brief())
    srv.check_clean("static files")


# --------------------------------------------------------------------------
# slow clients


def connect_from(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def server_end(s, partial=None):
    """What the server did with s so far: None (still open), b"" (closed
    without an answer), or the answer's bytes (closed after them, or reset).
    partial keeps the bytes of a socket still open between calls (an answer
    can come before its close)."""
    s.setblocking(False)
    partial = {} if partial is None else partial
    data = partial.pop(s, b"")
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    except BlockingIOError:
        partial[s] = data
        return None
    except OSError:
        return data


def server_sockets(srv):
    """Sockets the server holds beyond those of its start (its listener...)."""
    fds = pcc.fd_table(srv.proc.pid)
    return sum(1 for fd, link in fds.items() if link.startswith("socket:")
               and srv.baseline.get(fd) != link)


def wait_server_sockets(srv, n, timeout):
    """Wait until the server holds n more sockets than at its start; return
    how many it holds then (fewer when timeout passed first)."""
    deadline = time.monotonic() + timeout
    while True:
        held = server_sockets(srv)
        if held >= n or time.monotonic() >= deadline:
            return held
        time.sleep(0.02)


def wait_ended(socks, ended, t_open, until, want=None, partial=None):
    """Record in ended[s] = (seconds after t_open, what came) each socket the
    server ends, waiting on the sockets themselves, until the monotonic time
    until or, when want is given, until that many have ended."""
    partial = {} if partial is None else partial
    while len(ended) < (len(socks) if want is None else want):
        left = until - time.monotonic()
        pending = [s for s in socks if s not in ended]
        if left <= 0 or not pending:
            return
        select.select(pending, [], [], min(left, 0.5))
        for s in pending:
            got = server_end(s, partial)
            if got is not None:
                ended[s] = (time.monotonic() - t_open, got)


def slow_clients(R, srv, cl):
    """Clients that send nothing, stop mid-head, or trickle the head byte by
    byte (each byte well within any idle timeout) are all dropped at the head
    deadline, while a normal upload is answered; then the server holds
    nothing of theirs, though they keep their sockets open."""
    idle, stalled, trickle = [], [], []
    ended = {}  # socket -> (seconds after it connected, what the server said)
    stop = threading.Event()
    try:
        t_open = time.monotonic()
        for _ in range(24):
            idle.append(connect_from("127.0.0.1", srv.port))
        for _ in range(8):
            s = connect_from("127.0.0.1", srv.port)
            s.sendall(b"POST /api/chart HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            stalled.append(s)
        for _ in range(4):
            trickle.append(connect_from("127.0.0.1", srv.port))
        head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"s" * 200

        def trickler():
            i = 0
            while not stop.is_set() and i < len(head):
                for s in trickle:
                    try:
                        s.send(head[i:i + 1])
                    except OSError:
                        pass
                i += 1
                stop.wait(0.5)

        th = threading.Thread(target=trickler, daemon=True)
        th.start()
        n = len(idle) + len(stalled) + len(trickle)
        held = wait_server_sockets(srv, n, HTTP_HEAD_DEADLINE_S - 2)
        R.check(held >= n, "the gate holds the %d slow clients before the upload" % n,
                "%d sockets held" % held)
        r = cl.post_file("/api/chart?format=json", cap(), "a.pcap",
                         "upload among 36 slow clients", timeout=30)
        R.check(r.status == 200 and r.elapsed < 10,
                "a normal upload succeeds while 36 slow clients hold connections",
                "%s after %.1f s" % (r.brief(), r.elapsed))
        socks = idle + stalled + trickle
        limit = HTTP_HEAD_DEADLINE_S + 5
        wait_ended(socks, ended, t_open, t_open + limit)
        stop.set()
        for name, group, answer in (("send nothing", idle, None),
                                    ("stop mid-head", stalled, b"HTTP/1.1 408 "),
                                    ("trickle the head (1 byte / 0.5 s)", trickle,
                                     b"HTTP/1.1 408 ")):
            lives = [ended[s][0] for s in group if s in ended]
            wrong = [ended[s][1][:40] for s in group if s in ended
                     and not (ended[s][1].startswith(answer) if answer
                              else ended[s][1] == b"")]
            R.note("clients that %s: dropped after %s s" % (
                name, ", ".join("%.1f" % t for t in sorted(set(round(x, 1)
                                                                for x in lives)))))
            R.check(len(lives) == len(group) and min(lives) >= HTTP_HEAD_DEADLINE_S - 1,
                    "clients that %s are dropped at the head deadline (%d s), within %d s"
                    % (name, HTTP_HEAD_DEADLINE_S, limit),
                    "%d of %d still open after %.0f s; dropped after %s s" % (
                        len(group) - len(lives), len(group),
                        time.monotonic() - t_open, lives))
            R.check(not wrong, "clients that %s get %s" % (
                name, "408" if answer else "no answer"), repr(wrong[:3]))
        # the clients keep their sockets: the server must have let go of its side
        probs = srv.leftovers(grace=pcc.config_h("GATE_LINGER_MS") / 1000.0 + 3)
        R.check(not probs, "the server holds no descriptor of the dropped clients "
                "while they keep their sockets open", "; ".join(probs))
        r = cl.get("/healthz", "health after the slow clients")
        R.check(r.status == 200, "the server answers after the slow clients", r.brief())
    finally:
        stop.set()
        for s in idle + stalled + trickle:
            s.close()
    srv.check_clean("slow clients", grace=5)


def one_address_holds_every_slot(R, srv, cl):
    """Another loopback address opens HTTP_MAX_CONNS idle connections."""
    socks = []
    try:
        for _ in range(HTTP_MAX_CONNS + 4):
            try:
                socks.append(connect_from("127.0.0.2", srv.port))
            except OSError:
                break
        if len(socks) < HTTP_MAX_CONNS:
            skip(R, "one address holds every slot", "only %d connections from 127.0.0.2"
                 % len(socks))
            return
        # the others are closed at once: wait for them on the sockets (well
        # before the head deadline drops the held ones too)
        ended, partial = {}, {}
        t_open = time.monotonic()
        wait_ended(socks, ended, t_open, t_open + HTTP_HEAD_DEADLINE_S - 2,
                   want=len(socks) - HTTP_MAX_CONNS_PER_IP, partial=partial)
        held = sum(s not in ended and server_end(s, partial) is None for s in socks)
        R.check(held == HTTP_MAX_CONNS_PER_IP, "the gate holds %d connections of one "
                "address, closes the others at once" % HTTP_MAX_CONNS_PER_IP,
                "%d of %d held" % (held, len(socks)))
        r = cl.get("/healthz", "health while 127.0.0.2 holds every slot", timeout=10)
        R.check(r.status == 200, "a client answers while another address holds %d "
                "idle connections" % len(socks), r.brief())
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and srv.get("/healthz", timeout=5).status != 200:
        time.sleep(0.5)
    srv.check_clean("one address holds every slot", grace=5)


# --------------------------------------------------------------------------
# temp dir full, read-only, gone


def mount_tmpfs(path, size):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "not root"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size,
                        "pcc-tmpfs", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return None if p.returncode == 0 else p.stdout.decode("utf-8", "replace").strip()


def umount(path):
    subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)


def expect_5xx(R, r, label, status=None):
    ok = r.status is not None and 500 <= r.status < 600 and (status is None
                                                             or r.status == status)
    want = str(status) if status else "5xx"
    if not R.check(ok, "%s -> %s" % (label, want), r.brief()):
        return
    probs = pcc.json_error_problems(r, r.status)
    R.check(not probs, "%s: %d with a clear message" % (label, r.status), "; ".join(probs))


def tmpdir_full(R):
    """--tmpdir on a 256 KiB tmpfs: an upload that does not fit gets 507."""
    srv = pcc.Server(R, ["--max-upload", str(LIMIT), "--jobs", "2"], name="full server")
    why = mount_tmpfs(srv.tmpdir, "256k")
    if why is not None:
        skip(R, "--tmpdir full (507)", "cannot mount a small tmpfs here: %s" % why)
        shutil.rmtree(srv.base, ignore_errors=True)
        return
    try:
        if not srv.start():
            return
        cl = Client(R, srv)
        big = pcc.read_file(pcc.capture("dev/hari.pcap"))  # 702 KB
        r = cl.post_file("/api/chart?format=json", big, "hari.pcap", "full --tmpdir")
        expect_5xx(R, r, "a 702 KB upload into a 256 KiB --tmpdir", 507)
        r = cl.post_file("/", big, "hari.pcap", "full --tmpdir (form)")
        R.check(r.status == 507 and not pcc.html_error_problems(r, 507),
                "the form, full --tmpdir -> 507 HTML page", r.brief())
        srv.check_clean("--tmpdir full")
        r = cl.post_file("/api/chart?format=json", cap(), "dhcp.pcap", "after full")
        R.check(r.status == 200, "then a small upload -> 200 (the space was freed)",
                r.brief())
    finally:
        if srv.proc is not None:
            srv.stop()
        umount(srv.tmpdir)
        shutil.rmtree(srv.base, ignore_errors=True)


def tmpdir_unwritable(R):
    """--tmpdir made immutable (chattr +i stops root too), else swapped for a file."""
    srv = pcc.Server(R, ["--max-upload", str(LIMIT), "--jobs", "2"], name="read-only server")
    if not srv.start():
        return
    cl = Client(R, srv)
    small = cap()
    try:
        how = None
        if shutil.which("chattr") and subprocess.run(
                ["chattr", "+i", srv.tmpdir], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL).returncode == 0:
            how = "immutable (chattr +i)"
            undo = lambda: subprocess.run(["chattr", "-i", srv.tmpdir])  # noqa: E731
        else:
            away = srv.tmpdir + ".away"
            os.rename(srv.tmpdir, away)
            with open(srv.tmpdir, "w") as f:
                f.write("not a directory")
            how = "a file, not a directory"

            def undo():
                os.unlink(srv.tmpdir)
                os.rename(away, srv.tmpdir)
        try:
            r = cl.post_file("/api/chart?format=json", small, "dhcp.pcap", "unwritable")
            expect_5xx(R, r, "an upload when --tmpdir is %s" % how)
            r = cl.post_file("/", small, "dhcp.pcap", "unwritable (form)")
            R.check(r.status is not None and r.status >= 500
                    and not pcc.html_error_problems(r, r.status),
                    "the form, --tmpdir %s -> 5xx HTML page" % how, r.brief())
        finally:
            undo()
        r = cl.post_file("/api/chart?format=json", small, "dhcp.pcap", "writable again")
        R.check(r.status == 200, "--tmpdir writable again -> 200", r.brief())
    finally:
        srv.stop()


# --------------------------------------------------------------------------


def main():
    R = pcc.Results("e2e_hostile")
    pcc.preflight(R)
    only = [p for p in os.environ.get("HOSTILE_PARTS", "").split(",") if p]
    if os.path.exists(PWNED):
        R.note("%s existed before the test (a stale canary): removed" % PWNED)
        os.unlink(PWNED)
    srv = pcc.Server(R, ["--max-upload", str(LIMIT), "--jobs", "2"], name="hostile server")
    if not srv.start():
        return R.finish()
    cl = Client(R, srv)
    only = [p for p in os.environ.get("HOSTILE_PARTS", "").split(",") if p]
    try:
        for part in (headers_everywhere, filenames, filters, big_requests, content_types,
                     multiparts, static_files, slow_clients, one_address_holds_every_slot):
            if only and part.__name__ not in only:
                continue
            try:
                part(R, srv, cl)
            except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
                R.fail("%s: test raised" % part.__name__, traceback.format_exc())
            if not srv.ensure_alive(part.__name__):
                break
    finally:
        srv.stop()
    for part in (tmpdir_full, tmpdir_unwritable):
        if only and part.__name__ not in only:
            continue
        try:
            part(R)
        except Exception:  # noqa: BLE001
            R.fail("%s: test raised" % part.__name__, traceback.format_exc())
    R.check(not os.path.exists(PWNED), "nothing was executed: %s does not exist" % PWNED)
    for what, why in skips:
        print("# SKIP %s: %s" % (what, why))
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
