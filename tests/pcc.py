"""pcc.py - shared helpers of the end-to-end tests (tests/e2e_*.py).

Python 3 standard library only. The tests start the REAL server binary
($PCAPCHART_BIN) on a free loopback port, talk HTTP to it and compare what it
answers with what the real tshark prints for the same capture.

Environment (set by ctest, see tests/CMakeLists.txt):
  PCAPCHART_BIN  the server binary
  CAPTURES_DIR   dev/, bad/, MANIFEST.tsv, EXPECTED_SAMPLES.tsv (default tests/captures)
  TESTS_DIR      this directory (fake-tshark.sh lives here)
  WWW_DIR        the static files (not passed: the binary's default is used)
  PCC_KEEP=1     keep the temp directories (server log, tmpdir) for debugging
  PCC_VERBOSE=1  print the server log at the end even when everything passed
  PCAPCHART_WRAPPER  a command prefix for the server, split like a shell
                 would (e.g. "valgrind --error-exitcode=99"; tests/valgrind/run.sh)
"""

import csv
import http.client
import io
import json
import os
import random
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.environ.get("TESTS_DIR") or HERE
CAPTURES_DIR = os.environ.get("CAPTURES_DIR") or os.path.join(HERE, "captures")
PCAPCHART_BIN = os.environ.get("PCAPCHART_BIN") or os.path.normpath(
    os.path.join(HERE, "..", "build-e2e", "pcapchart"))

WRAPPER = shlex.split(os.environ.get("PCAPCHART_WRAPPER", ""))

HTTP_TIMEOUT_S = 90  # per request; generous (sanitizer builds, noisy machines)
GRACE_S = 2.0        # leftovers (children, fds, temp files) must be gone by then
START_TIMEOUT_S = 90  # server start: tshark --version, -G protocols, listen


def config_h(name, _cache={}):
    """The value of an integer #define of include/config.h (an expression of
    numbers and other defines), so a test follows the limits it checks."""
    if not _cache:
        text = open(os.path.join(HERE, "..", "include", "config.h")).read()
        text = text.replace("\\\n", " ")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        for m in re.finditer(r"(?m)^\s*#define\s+([A-Z][A-Z0-9_]*)\s+(.+)$", text):
            _cache[m.group(1)] = m.group(2).strip()

    def value(n):
        expr = re.sub(r"\b([A-Z][A-Z0-9_]*)\b", lambda m: "(%d)" % value(m.group(1)),
                      _cache[n])
        return int(eval(re.sub(r"(\d+)[LlUu]+\b", r"\1", expr), {"__builtins__": {}}))

    return value(name)


# --------------------------------------------------------------------------
# results


class Results:
    """One line per check, then 'N passed, N failed'."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.t0 = time.monotonic()

    def check(self, cond, name, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            self.failures.append((name, detail))
            msg = "FAIL %s" % name
            if detail:
                msg += ": " + one_line(detail, 900)
            print(msg, flush=True)
        return bool(cond)

    def ok(self, name):
        return self.check(True, name)

    def fail(self, name, detail=""):
        return self.check(False, name, detail)

    def note(self, text):
        print("#    %s" % text, flush=True)

    def finish(self):
        """Print the summary and return the exit code."""
        if self.failures:
            print("# failures of %s:" % self.name)
            for name, detail in self.failures:
                print("#   %s: %s" % (name, one_line(detail, 400)))
        print("# %s took %.1f s" % (self.name, time.monotonic() - self.t0))
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1


def one_line(s, limit=300):
    if isinstance(s, bytes):
        s = s.decode("utf-8", "replace")
    s = str(s).replace("\r", "\\r").replace("\n", "\\n")
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


def tshark_path():
    return shutil.which("tshark")


def preflight(R):
    """Skip (77) when tshark is missing; fail when the binary or captures are."""
    if tshark_path() is None:
        print("SKIP: tshark not found in PATH")
        sys.exit(77)
    good = R.check(os.path.isfile(PCAPCHART_BIN) and os.access(PCAPCHART_BIN, os.X_OK),
                   "server binary exists", PCAPCHART_BIN)
    good &= R.check(os.path.isdir(os.path.join(CAPTURES_DIR, "dev")),
                    "captures directory exists", CAPTURES_DIR)
    if not good:
        sys.exit(R.finish())


# --------------------------------------------------------------------------
# captures metadata and the tshark reference


def capture(rel):
    return os.path.join(CAPTURES_DIR, rel)


def read_manifest():
    """MANIFEST.tsv as {relative file: row dict}."""
    rows = {}
    with open(capture("MANIFEST.tsv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows[row["file"]] = row
    return rows


def read_samples():
    """EXPECTED_SAMPLES.tsv as a list of (file, frame index, time string, len)."""
    out = []
    with open(capture("EXPECTED_SAMPLES.tsv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.append((row["file"], int(row["frame_index"]), row["frame.time_relative"],
                        int(row["frame.len"])))
    return out


_ref_cache = {}


class Ref:
    def __init__(self, rc, frames, stderr):
        self.rc = rc          # tshark's exit status
        self.frames = frames  # [(time string or None, len int)] in capture order
        self.stderr = stderr  # without the "Running as user" line


def tshark_ref(path):
    """What tshark itself prints: tshark -n -r FILE -T fields -e ... (cached)."""
    if path in _ref_cache:
        return _ref_cache[path]
    p = subprocess.run([tshark_path(), "-n", "-r", path, "-T", "fields",
                        "-e", "frame.time_relative", "-e", "frame.len"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    frames = []
    for line in p.stdout.decode("utf-8", "replace").split("\n"):
        if line == "":
            continue
        t, _, ln = line.partition("\t")
        frames.append((t if t != "" else None, int(ln)))
    err = "\n".join(l for l in p.stderr.decode("utf-8", "replace").splitlines()
                    if l.strip() and not l.startswith("Running as user"))
    ref = Ref(p.returncode, frames, err)
    _ref_cache[path] = ref
    return ref


Q9 = Decimal("0.000000001")


def norm_time(v):
    """A time (JSON literal, CSV field or tshark text) as a canonical 9-decimal
    string; None for no time. Exact: decimal arithmetic, never floats."""
    if v is None:
        return None
    s = str(v).strip()
    if s == "":
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return "<not a number: %r>" % s
    if d == d.quantize(Q9):
        d = d.quantize(Q9)
        if d == 0:
            d = Decimal("0").quantize(Q9)  # -0.000000000 is 0
        return format(d, "f")
    return format(d, "f")  # more than 9 significant decimals: keep them all


def compare_frames(got, ref, what="points"):
    """got, ref: lists of (time, len). None when equal, else the first difference."""
    if len(got) != len(ref):
        first = ""
        for i in range(min(len(got), len(ref))):
            if (norm_time(got[i][0]), got[i][1]) != (norm_time(ref[i][0]), ref[i][1]):
                first = "; first difference at frame %d: got %r, tshark %r" % (
                    i + 1, got[i], ref[i])
                break
        return "%d %s, tshark printed %d frames%s" % (len(got), what, len(ref), first)
    for i, (g, r) in enumerate(zip(got, ref)):
        gt, rt = norm_time(g[0]), norm_time(r[0])
        if gt != rt or g[1] != r[1] or type(g[1]) is not int:
            return "frame %d: got (%r, %r), tshark (%r, %r)" % (i + 1, g[0], g[1], r[0], r[1])
    return None


# --------------------------------------------------------------------------
# JSON with the numbers' literal text kept


class RawNum(str):
    """A JSON number with a fraction or exponent, kept as its literal text."""


def loads_raw(text):
    return json.loads(text, parse_float=RawNum)


def is_num(v):
    return isinstance(v, RawNum) or (isinstance(v, int) and not isinstance(v, bool))


TIME_LITERAL = re.compile(r"-?\d+\.\d{9}$")


def check_chart_json(doc, ref, tmpdir=None):
    """Problems of an API JSON document against the contract and tshark's frames."""
    probs = []
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    n = len(ref.frames)
    if doc.get("packets") != n or not isinstance(doc.get("packets"), int):
        probs.append("packets %r, tshark printed %d frames" % (doc.get("packets"), n))
    if "duration" not in doc or not (is_num(doc["duration"]) or doc["duration"] is None):
        probs.append("duration missing or not a number: %r" % (doc.get("duration"),))
    elif doc["duration"] is not None and Decimal(str(doc["duration"])) < 0:
        probs.append("negative duration %s" % doc["duration"])
    if doc.get("decimated") is not False:
        probs.append("decimated is %r, expected false" % (doc.get("decimated"),))
    w = doc.get("warnings")
    if not isinstance(w, list) or not all(isinstance(x, str) and x for x in w):
        probs.append("warnings not a list of non-empty strings: %r" % (w,))
    else:
        for x in w:
            probs += message_problems(x, tmpdir, "warning")
    series = doc.get("series")
    if not isinstance(series, list) or len(series) != 1 or not isinstance(series[0], dict):
        probs.append("series is not a list of one object: %s" % one_line(repr(series), 200))
        return probs
    s = series[0]
    if s.get("name") != "Size":
        probs.append("series name %r, expected 'Size'" % (s.get("name"),))
    if s.get("filter") != "":
        probs.append("series filter %r, expected ''" % (s.get("filter"),))
    if not isinstance(s.get("color"), str) or not re.match(r"#[0-9a-fA-F]{3,8}$", s["color"]):
        probs.append("series color %r is not #hex" % (s.get("color"),))
    if s.get("packets") != n:
        probs.append("series packets %r, tshark printed %d" % (s.get("packets"), n))
    pts = s.get("points")
    if not isinstance(pts, list):
        probs.append("points is not a list")
        return probs
    got = []
    for i, p in enumerate(pts):
        if not (isinstance(p, list) and len(p) == 2):
            probs.append("point %d is not [t, len]: %r" % (i + 1, p))
            return probs
        t, ln = p
        if t is not None and not is_num(t):
            probs.append("point %d: time %r is not a number or null" % (i + 1, t))
            return probs
        got.append((t, ln))
    diff = compare_frames(got, ref.frames)
    if diff:
        probs.append(diff)
    bad = [str(t) for t, _ in got if t is not None and not TIME_LITERAL.match(str(t))]
    if bad:
        probs.append("%d time literals not printed with 9 decimals like tshark, e.g. %s"
                     % (len(bad), bad[:3]))
    return probs


def parse_csv(text):
    """(header, [(time or None, len)]) of the CSV export; raises ValueError."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ValueError("empty CSV")
    rows = []
    for i, line in enumerate(lines[1:], 2):
        parts = line.split(",")
        if len(parts) != 2:
            raise ValueError("line %d has %d fields: %r" % (i, len(parts), line))
        if not re.match(r"\d+$", parts[1]):
            raise ValueError("line %d: len %r is not an integer" % (i, parts[1]))
        rows.append((parts[0] if parts[0] != "" else None, int(parts[1])))
    return lines[0], rows


def message_problems(msg, tmpdir=None, what="message"):
    """A client-facing message: one readable line, no temp path, no root warning."""
    probs = []
    if not isinstance(msg, str) or not msg.strip():
        return ["%s is empty or not a string: %r" % (what, msg)]
    if "\n" in msg or "\r" in msg:
        probs.append("%s spans several lines: %r" % (what, one_line(msg)))
    if "Running as user" in msg:
        probs.append("%s holds tshark's 'Running as user' warning: %r" % (what, msg))
    if tmpdir and tmpdir in msg:
        probs.append("%s holds the server's temp path: %r" % (what, msg))
    if re.search(r"pcapchart-[A-Za-z0-9]{6}", msg):
        probs.append("%s names the server's temp file: %r" % (what, msg))
    return probs


def svg_problems(body, ctype=None):
    """Problems of an SVG answer: type, <svg start, viewBox, well-formed XML."""
    import xml.etree.ElementTree as ET
    probs = []
    if ctype is not None and not ctype.lower().startswith("image/svg+xml"):
        probs.append("content-type %r, expected image/svg+xml" % ctype)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    head = text.lstrip()
    if head.startswith("<?xml"):
        head = head[head.find("?>") + 2:].lstrip()
    if not head.startswith("<svg"):
        probs.append("does not start with <svg: %r" % text[:80])
    try:
        root = ET.fromstring(body if isinstance(body, bytes) else body.encode())
        if not root.tag.endswith("svg"):
            probs.append("root element is %r" % root.tag)
        elif "viewBox" not in root.attrib:
            probs.append("no viewBox on the root <svg>")
    except ET.ParseError as e:
        probs.append("not well-formed XML: %s" % e)
    return probs


def html_text(body):
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


def count_regex(n):
    """A regex matching the integer n as a whole number, thousands separators allowed."""
    s = str(n)
    groups = []
    while len(s) > 3:
        groups.insert(0, s[-3:])
        s = s[:-3]
    groups.insert(0, s)
    sep = r"(?:,|\.|\s|&nbsp;|&#160;|&#x[aA]0;|&thinsp;|&#8239;|&#x202[fF];|\u00a0|\u202f)?"
    return re.compile(r"(?<![\d.,])" + sep.join(groups) + r"(?![\d])")


def html_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


# --------------------------------------------------------------------------
# HTTP


class Resp:
    def __init__(self, status=None, headers=None, body=b"", error=None, elapsed=0.0):
        self.status = status
        self.headers = headers or {}  # lower-case name -> value
        self.body = body
        self.error = error            # transport error text, or None
        self.elapsed = elapsed

    @property
    def ctype(self):
        return self.headers.get("content-type", "")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return loads_raw(self.text)

    def brief(self):
        if self.status is None:
            return "no response (%s)" % self.error
        return "%s %s %s" % (self.status, self.ctype, one_line(self.body, 300))


def request(port, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """One request on a fresh connection (Connection: close). Never raises."""
    h = {"Connection": "close"}
    h.update(headers or {})
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.request(method, path, body=body, headers=h)
        except (BrokenPipeError, ConnectionResetError):
            # the server answered early and closed (413 for a body over the
            # cap): the answer is there to read all the same
            pass
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, hdrs, data, None, time.monotonic() - t0)
    except Exception as e:  # noqa: BLE001 - any transport failure is a result
        return Resp(None, {}, b"", "%s: %s" % (type(e).__name__, e), time.monotonic() - t0)
    finally:
        conn.close()


def multipart(fields, boundary=None):
    """fields: [(name, filename or None, bytes, content type or None)] ->
    (body bytes, Content-Type value). filename is put in as given (str or bytes)."""
    boundary = boundary or "pcc%016x" % random.getrandbits(64)
    out = io.BytesIO()
    for name, filename, data, ctype in fields:
        out.write(b"--" + boundary.encode() + b"\r\n")
        disp = b'Content-Disposition: form-data; name="' + name.encode() + b'"'
        if filename is not None:
            fn = filename.encode("utf-8") if isinstance(filename, str) else filename
            disp += b'; filename="' + fn + b'"'
        out.write(disp + b"\r\n")
        if ctype or filename is not None:
            out.write(b"Content-Type: " + (ctype or "application/octet-stream").encode()
                      + b"\r\n")
        out.write(b"\r\n")
        out.write(data)
        out.write(b"\r\n")
    out.write(b"--" + boundary.encode() + b"--\r\n")
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def post_file(port, path, data, filename="upload.pcap", field="file", timeout=HTTP_TIMEOUT_S):
    body, ctype = multipart([(field, filename, data, "application/octet-stream")])
    return request(port, "POST", path, body, {"Content-Type": ctype}, timeout)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def _parse_response(raw):
    """Parse raw HTTP/1.x response bytes -> (status, headers, body)."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None, {}, raw
    lines = head.decode("iso-8859-1").split("\r\n")
    # skip interim 1xx responses
    while lines and re.match(r"HTTP/1\.[01] 1\d\d", lines[0]):
        head, sep, rest = rest.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n") if sep else []
    if not lines:
        return None, {}, rest
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    status = int(m.group(1)) if m else None
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    body = rest
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        out, pos = b"", 0
        while True:
            nl = body.find(b"\r\n", pos)
            if nl < 0:
                break
            try:
                size = int(body[pos:nl].split(b";")[0], 16)
            except ValueError:
                break
            if size == 0:
                break
            out += body[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
        body = out
    elif "content-length" in hdrs:
        try:
            body = body[:int(hdrs["content-length"])]
        except ValueError:
            pass
    return status, hdrs, body


def _response_complete(raw):
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    if re.match(rb"HTTP/1\.[01] 1\d\d", head):
        return _response_complete(rest)
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if m:
        return len(rest) >= int(m.group(1))
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        return rest.endswith(b"0\r\n\r\n")
    return False


def raw_exchange(port, head, body_parts=(), pause=0.0, stop_when_answered=True,
                 timeout=HTTP_TIMEOUT_S, close_after_send=False, on_progress=None):
    """Send head (bytes), then each part of body_parts with pause seconds between,
    over a raw socket; stop sending as soon as the server answers (when
    stop_when_answered) or the connection breaks. Then read the answer.
    Returns (Resp, bytes of body sent). With close_after_send, close right after
    sending (a client hang-up) and return no response."""
    t0 = time.monotonic()
    sent = 0
    raw = b""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    err = None
    try:
        s.sendall(head)
        for part in body_parts:
            if stop_when_answered:
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    break
            try:
                s.sendall(part)
                sent += len(part)
            except (BrokenPipeError, ConnectionResetError) as e:
                err = "send: %s" % type(e).__name__
                break
            if on_progress:
                on_progress(sent)
            if pause:
                time.sleep(pause)
        if close_after_send:
            return Resp(None, {}, b"", "closed by the client", time.monotonic() - t0), sent
        s.settimeout(timeout)
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError) as e:
                err = (err + "; " if err else "") + "recv: %s" % type(e).__name__
                break
            except socket.timeout:
                err = (err + "; " if err else "") + "recv: timeout"
                break
            if not chunk:
                break
            raw += chunk
            if _response_complete(raw):
                break
    finally:
        s.close()
    status, hdrs, body = _parse_response(raw)
    if status is None:
        return Resp(None, {}, raw, err or "no HTTP response", time.monotonic() - t0), sent
    return Resp(status, hdrs, body, None, time.monotonic() - t0), sent


def request_head(method, path, headers):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    lines += ["%s: %s" % (k, v) for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def chunked(parts):
    """HTTP/1.1 chunked encoding of parts (one chunk each), the terminator last."""
    res = [("%x\r\n" % len(p)).encode() + p + b"\r\n" for p in parts if p]
    res.append(b"0\r\n\r\n")
    return res


# --------------------------------------------------------------------------
# processes


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_stat(pid):
    """(comm, state, ppid, pgrp) of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = data.find("("), data.rfind(")")
    fields = data[rp + 2:].split()
    try:
        return data[lp + 1:rp], fields[0], int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        return None


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def children_of(pid):
    """[(pid, comm, state)] of the processes whose parent is pid."""
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[2] == pid:
            out.append((p, st[0], st[1]))
    return out


def cmdline(pid):
    """argv of pid as a list of str ([] for a zombie or a process gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0")[:-1]]


def is_warm_tshark(pid):
    """A warm tshark of the server's pool: started ahead, reading stdin (-r -)
    from a pipe. (Every tshark reads `-r -`; a cold one has the capture file
    itself as stdin.)"""
    args = cmdline(pid)
    if not any(a == "-r" and b == "-" for a, b in zip(args, args[1:])):
        return False
    try:
        return os.readlink("/proc/%d/fd/0" % pid).startswith("pipe:")
    except OSError:
        return False


def proc_uid(pid):
    """Real uid of pid from /proc/PID/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
        return int(data[data.rfind(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def pids_with_env(marker):
    """Processes whose environment holds marker (e.g. 'PCC_MARK=abc')."""
    out = []
    want = marker.encode()
    for p in all_pids():
        if p == os.getpid():
            continue
        try:
            with open("/proc/%d/environ" % p, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if want in env:
            st = proc_stat(p)
            out.append((p, st[0] if st else "?", st[1] if st else "?"))
    return out


# read(2)'s number in /proc/PID/syscall, per machine
_READ_NR = {"x86_64": 0, "aarch64": 63, "i686": 3, "armv7l": 3}


def blocked_reading_stdin(pid):
    """True when pid sleeps in read(0, ...): /proc/PID/syscall where the
    kernel shows it (root, or our own process), else a sleeping process whose
    wait channel is a pipe read (its stdin is the pipe it waits on)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            words = f.read().split()
        nr = _READ_NR.get(os.uname().machine)
        if nr is not None and len(words) >= 2 and words[0].isdigit():
            return int(words[0]) == nr and int(words[1], 16) == 0
    except (OSError, ValueError):
        pass
    try:
        with open("/proc/%d/wchan" % pid) as f:
            wchan = f.read()
        st = proc_stat(pid)
        return st is not None and st[1] == "S" and "pipe" in wchan
    except OSError:
        return False


def fd_table(pid):
    out = {}
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                out[int(fd)] = "?"
    except OSError:
        pass
    return out


class Server:
    """The real server on a free loopback port with a private --tmpdir."""

    def __init__(self, R, args=(), name="server", marker=None, prefix=()):
        self.R = R
        self.args = list(args)
        self.prefix = list(prefix)  # a command that execs the rest (same pid), e.g. unshare
        self.name = name
        self.marker = marker  # env marker of our fake tshark's processes, if any
        self.base = tempfile.mkdtemp(prefix="pcc-e2e-")
        self.tmpdir = os.path.join(self.base, "tmp")
        self.cwd = os.path.join(self.base, "cwd")
        os.mkdir(self.tmpdir, 0o700)
        os.mkdir(self.cwd, 0o700)
        self.log_path = os.path.join(self.base, "server.log")
        self.proc = None
        self.port = None
        self.baseline = {}
        self.restarts = 0
        self.warm = 0  # size of the server's warm tshark pool (from its start-up line)

    # -- lifecycle

    def start(self):
        """Start and wait for /healthz. True on success (a check line either way)."""
        last = ""
        for attempt in range(6):
            port = free_port()
            log = open(self.log_path, "ab")
            cmd = self.prefix + WRAPPER + [PCAPCHART_BIN, "--port", str(port), "--bind",
                                           "127.0.0.1", "--tmpdir", self.tmpdir] + self.args
            log.write(("\n### %s\n" % " ".join(cmd)).encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.cwd)
            log.close()
            self.port = port
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                r = request(port, "GET", "/healthz", timeout=5)
                if r.status is not None:
                    if r.status == 200 and r.body.strip() == b"ok":
                        m = re.search(r"listening on .*?\b(\d+) warm\b", self.log_text())
                        self.warm = int(m.group(1)) if m else 0
                        self._settle_baseline()
                        return self.R.check(True, "%s: started on port %d" % (self.name, port))
                    last = "GET /healthz answered %s" % r.brief()
                    break
                time.sleep(0.1)
            if self.proc.poll() is None:
                if not last:
                    last = "no /healthz answer within %d s" % START_TIMEOUT_S
                self.proc.kill()
                self.proc.wait()
                break
            last = "exited %s: %s" % (self.proc.returncode, self.log_tail(600))
            if not re.search(r"(?i)in use|bind", self.log_tail(2000)):
                break
        self.proc = None
        return self.R.fail("%s: started" % self.name, last)

    def _settle_baseline(self):
        # warm up the static routes once, then take the fd table when it is stable
        request(self.port, "GET", "/", timeout=10)
        prev = None
        for _ in range(20):
            cur = fd_table(self.proc.pid)
            if prev is not None and sorted(cur) == sorted(prev):
                break
            prev = cur
            time.sleep(0.1)
        self.baseline = fd_table(self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ensure_alive(self, label):
        """After a request: a dead server is a failure; restart it to go on."""
        if self.alive():
            return True
        rc = self.proc.returncode if self.proc else None
        self.R.fail("%s: server still running after %s" % (self.name, label),
                    "exited %s: %s" % (rc, self.log_tail(1500)))
        self.restarts += 1
        if self.restarts > 3:
            return False
        return self.start()

    def stop(self, expect_rc=0, wait_s=60, label="stop", sig=signal.SIGTERM):
        """Signal sig (SIGTERM); check the exit status and that the temp dir is clean."""
        R = self.R
        if self.proc is None:
            R.fail("%s: %s" % (self.name, label), "server was not running")
            return
        # every child, warm tshark included, must be gone once the server is
        kids = [(p, start_time(p)) for p, _, _ in children_of(self.proc.pid)]
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(wait_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                R.fail("%s: exits within %d s of %s" % (self.name, wait_s, sig.name),
                       self.log_tail(800))
        rc = self.proc.returncode
        R.check(rc == expect_rc, "%s: exit status %d after %s" % (self.name, expect_rc,
                                                                 sig.name),
                "got %s: %s" % (rc, self.log_tail(800)))
        deadline = time.monotonic() + GRACE_S
        while True:
            alive = [(p, t) for p, t in kids if t is not None and start_time(p) == t
                     and (proc_stat(p) or ("", "X"))[1] not in ("Z", "X")]
            if not alive or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        R.check(not alive, "%s: no child left after stop (warm tshark included, %d seen)"
                % (self.name, len(kids)), "still running: %s" % alive)
        left = sorted(os.listdir(self.tmpdir)) if os.path.isdir(self.tmpdir) else []
        R.check(not left, "%s: --tmpdir empty after stop" % self.name, "left: %s" % left)
        if self.marker:
            procs = self.wait_no_marker(GRACE_S)
            R.check(not procs, "%s: no fake-tshark process left after stop" % self.name,
                    repr(procs))
        log = self.log_text()
        san = re.findall(r"(ERROR: AddressSanitizer.*|ERROR: LeakSanitizer.*|"
                         r".*runtime error:.*)", log)
        R.check(not san, "%s: no sanitizer report in the server log" % self.name,
                "; ".join(san[:3]))
        self.proc = None
        if os.environ.get("PCC_VERBOSE") or R.failed:
            print("# ---- %s log (tail) ----" % self.name)
            for line in self.log_tail(4000).splitlines():
                print("#  " + line)
        if os.environ.get("PCC_KEEP"):
            R.note("kept %s" % self.base)
        else:
            shutil.rmtree(self.base, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=1000):
        return self.log_text()[-n:]

    # -- leftovers

    def temp_files(self):
        out = []
        try:
            for name in os.listdir(self.tmpdir):
                p = os.path.join(self.tmpdir, name)
                if name.startswith("pcapchart-") and os.path.isfile(p) and not os.path.islink(p):
                    try:
                        out.append((name, os.path.getsize(p)))
                    except OSError:
                        pass
        except OSError:
            pass
        return out

    def temp_bytes(self):
        return sum(sz for _, sz in self.temp_files())

    def children(self):
        """Children of the server, except its idle warm tshark processes: those
        running `-r -`, as many as the pool holds. More of them than that is a
        leak, and then all of them are reported."""
        if not self.alive():
            return []
        kids = children_of(self.proc.pid)
        warm = [k for k in kids if is_warm_tshark(k[0])]
        if len(warm) <= self.warm:
            kids = [k for k in kids if k not in warm]
        return kids

    def wait_no_marker(self, grace):
        deadline = time.monotonic() + grace
        while True:
            procs = pids_with_env(self.marker)
            if not procs or time.monotonic() >= deadline:
                return procs
            time.sleep(0.05)

    def leftovers(self, grace=GRACE_S):
        """Problems after a request ends, polled for up to grace seconds."""
        deadline = time.monotonic() + grace
        while True:
            probs = []
            if not self.alive():
                return ["server is not running"]
            kids = self.children()
            if kids:
                probs.append("child processes: %s" % kids)
            files = self.temp_files()
            if files:
                probs.append("temp files: %s" % files)
            fds = fd_table(self.proc.pid)
            if len(fds) > len(self.baseline):
                extra = {k: v for k, v in fds.items() if self.baseline.get(k) != v}
                probs.append("%d open fds, baseline %d; new: %s"
                             % (len(fds), len(self.baseline), extra))
            if self.marker:
                procs = pids_with_env(self.marker)
                if procs:
                    probs.append("fake-tshark processes: %s" % procs)
            if not probs or time.monotonic() >= deadline:
                return probs
            time.sleep(0.05)

    def check_clean(self, label, grace=GRACE_S):
        probs = self.leftovers(grace)
        ok = self.R.check(not probs, "%s: nothing left behind" % label, "; ".join(probs))
        self.ensure_alive(label)
        return ok

    # -- requests

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def post(self, path, data, filename="upload.pcap", **kw):
        return post_file(self.port, path, data, filename, **kw)


def json_error_problems(r, status, tmpdir=None):
    """Problems of an API error answer: the status, JSON {"error": "..."}."""
    probs = []
    if r.status != status:
        return ["expected %d, got %s" % (status, r.brief())]
    if "json" not in r.ctype.lower():
        probs.append("content-type %r is not JSON" % r.ctype)
    try:
        doc = r.json()
    except ValueError as e:
        return probs + ["body is not JSON (%s): %s" % (e, one_line(r.body, 200))]
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), str):
        return probs + ["no \"error\" string: %s" % one_line(r.body, 200)]
    probs += message_problems(doc["error"], tmpdir, "error")
    return probs


def html_error_problems(r, status):
    probs = []
    if r.status != status:
        return ["expected %d, got %s" % (status, r.brief())]
    if not r.ctype.lower().startswith("text/html"):
        probs.append("content-type %r is not text/html" % r.ctype)
    if "<" not in r.text:
        probs.append("body is not HTML: %s" % one_line(r.body, 200))
    return probs


class Poller(threading.Thread):
    """Samples a function in the background; keeps the maximum seen."""

    def __init__(self, fn, period=0.005):
        super().__init__(daemon=True)
        self.fn = fn
        self.period = period
        self.max = 0
        self.samples = 0
        self._stop_ev = threading.Event()

    def run(self):
        while not self._stop_ev.is_set():
            try:
                v = self.fn()
                self.max = max(self.max, v)
                self.samples += 1
            except Exception:  # noqa: BLE001
                pass
            time.sleep(self.period)

    def stop(self):
        self._stop_ev.set()
        self.join(5)
        return self.max
