#!/usr/bin/env python3
"""e2e_attack_http.py - the HTTP side of issue 11, tried as an attacker would.

Loopback only, bounded counts and times (about two minutes), verdicts that
do not hang on the machine's speed: "answered at all within 10 s", "dropped
after the grace period, not before", counts of sockets held.

  capacity     500 silent connections from 10 addresses and 64 uploads that
               trickle 1 byte every 2 s from 2 others: /healthz and a normal
               upload from another address are answered all along; the
               silent ones hold a small share of the gate per address; the
               trickling ones get 408 once the body grace period passed.
  unread       a client that never reads a large answer is dropped by the
               idle (send) timeout.
  budget       with --answer-budget below two large answers: one held by a
               client that does not read makes the next 503 + Retry-After;
               once it is gone the next is 200.
  edges        a half-closed client gets its answer; Content-Length -1 or
               garbage, HTTP/2.0 and HTTP/1.2, Transfer-Encoding gzip: our
               answer (400, 505, 501) with our headers once, at once;
               BOUNDARY= in upper case is an upload like any other.
  stop         SIGTERM while uploads are in flight: each gets 503 with
               Retry-After, and so does a request that arrives meanwhile.

ATTACK_PARTS=capacity,edges runs only those parts.
"""

import os
import re
import signal
import socket
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

GRACE_S = pcc.config_h("HTTP_BODY_GRACE_S")
IDLE_S = pcc.config_h("HTTP_CONN_TIMEOUT_S")
GATE_PER_IP = pcc.config_h("GATE_MAX_CONNS_PER_IP")
HEAD_DEADLINE_S = pcc.config_h("HTTP_HEAD_DEADLINE_S")
RETRY_AFTER_S = pcc.config_h("RETRY_AFTER_S")
# a CSV of 2 x 300,000 intervals (about 5 MB): more than loopback's socket buffers
BIG_QUERY = "/api/chart?format=csv&kind=io&interval=0.0001&filter=tcp&filter=ip"


def cap():
    return pcc.read_file(pcc.capture("dev/http.cap"))


def connect_from(addr, port, rcvbuf=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((addr, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def upload_bytes(query=BIG_QUERY, boundary="pccAttack", param="boundary"):
    body, _ = pcc.multipart([("file", "a.cap", cap(), "application/octet-stream")],
                            boundary=boundary)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
            "%s=%s\r\nContent-Length: %d\r\n\r\n" % (query, param, boundary, len(body)))
    return head.encode(), body


def read_all(s, limit_s):
    """Everything the server sends on s until it closes, within limit_s."""
    out = b""
    s.settimeout(limit_s)
    end = time.monotonic() + limit_s
    try:
        while time.monotonic() < end:
            c = s.recv(1 << 20)
            if not c:
                break
            out += c
    except OSError:
        pass
    return out


def exchange(port, data, halfclose=False, limit_s=15, addr="127.0.0.1"):
    t0 = time.monotonic()
    s = connect_from(addr, port)
    try:
        s.sendall(data)
        if halfclose:
            s.shutdown(socket.SHUT_WR)
        raw = read_all(s, limit_s)
    finally:
        s.close()
    return raw, time.monotonic() - t0


def heads_of(raw):
    """The header block of a raw answer (text), "" when none."""
    return raw.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1") if raw else ""


# --------------------------------------------------------------------------


def capacity(R, srv, before_clean=None):
    port = srv.port
    silent_addrs = ["127.0.0.%d" % i for i in range(2, 12)]
    trickle_addrs = ["127.0.0.12", "127.0.0.13"]
    silent, trickle = [], []
    stop = threading.Event()
    ended = {}  # trickle socket -> (seconds after its head, first bytes)
    lat, ups, held_max = [], [], [0]
    lock = threading.Lock()
    head, body = upload_bytes(query="/api/chart?format=json")
    try:
        for a in silent_addrs:
            for _ in range(50):
                try:
                    silent.append(connect_from(a, port))
                except OSError:
                    pass
        t_open = {}
        for i in range(64):
            s = connect_from(trickle_addrs[i % 2], port)
            s.sendall(head)
            t_open[s] = time.monotonic()
            trickle.append(s)

        def trickler():
            off = 0
            while not stop.is_set() and len(ended) < len(trickle):
                for s in trickle:
                    if s in ended:
                        continue
                    try:
                        s.send(body[off:off + 1])
                    except OSError:
                        pass
                off += 1
                stop.wait(2.0)

        def watcher():
            while not stop.is_set() and len(ended) < len(trickle):
                for s in trickle:
                    if s in ended:
                        continue
                    s.setblocking(False)
                    try:
                        c = s.recv(4096)
                        ended[s] = (time.monotonic() - t_open[s], c[:40])
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        ended[s] = (time.monotonic() - t_open[s], str(e).encode())
                stop.wait(0.2)

        def refresher():
            # keep 50 silent connections per address open: reopen dropped ones
            while not stop.is_set():
                for i, s in enumerate(silent):
                    s.setblocking(False)
                    try:
                        gone = s.recv(1) == b""
                    except BlockingIOError:
                        gone = False
                    except OSError:
                        gone = True
                    if gone:
                        s.close()
                        try:
                            silent[i] = connect_from(silent_addrs[i // 50], port)
                        except OSError:
                            pass
                with lock:
                    held_max[0] = max(held_max[0], server_sockets(srv))
                stop.wait(1.0)

        ths = [threading.Thread(target=f, daemon=True)
               for f in (trickler, watcher, refresher)]
        for t in ths:
            t.start()
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < GRACE_S + 12 and len(ended) < len(trickle):
            r = pcc.request(port, "GET", "/healthz", timeout=10)
            lat.append((r.status, r.elapsed))
            if n % 10 == 5:
                u = pcc.post_file(port, "/api/chart?format=json", cap(), "a.cap",
                                  timeout=30)
                ups.append((u.status, u.elapsed))
            n += 1
            time.sleep(0.5)
        stop.set()
        for t in ths:
            t.join(5)
    finally:
        stop.set()
        for s in silent + trickle:
            s.close()
    ok = [t for st, t in lat if st == 200]
    ok.sort()
    p95 = ok[int(len(ok) * 0.95) - 1] if ok else None
    R.note("capacity: %d /healthz, %d answered 200, max %.3f s, p95 %s s; uploads %s; "
           "server sockets at most %d" % (
               len(lat), len(ok), max(ok) if ok else -1,
               "%.3f" % p95 if p95 is not None else "-",
               ", ".join("%s in %.2f s" % u for u in ups), held_max[0]))
    R.check(lat and len(ok) == len(lat) and max(ok) < 10,
            "/healthz answered 200 within 10 s all along, while 500 silent and 64 "
            "trickling connections are held", "%s" % lat[:20])
    R.check(ups and all(st == 200 and t < 30 for st, t in ups),
            "a normal upload from another address is answered 200 meanwhile", repr(ups))
    bound = len(silent_addrs) * GATE_PER_IP + 64 + 40
    R.check(held_max[0] <= bound, "the silent ones hold at most %d gate places per "
            "address (server sockets <= %d)" % (GATE_PER_IP, bound),
            "%d sockets held" % held_max[0])
    lives = sorted(t for t, _ in ended.values())
    good = [v for v in ended.values() if v[1].startswith(b"HTTP/1.1 408 ")]
    R.note("trickling uploads ended after %s s" % (
        "%.1f..%.1f" % (lives[0], lives[-1]) if lives else "-"))
    R.check(len(good) == 64 and lives[0] >= GRACE_S - 1 and lives[-1] <= GRACE_S + 12,
            "64 uploads trickling 1 byte / 2 s get 408 after the %d s body grace, not "
            "before" % GRACE_S, "%d of 64 ended with 408; %s" % (
                len(good), sorted(set(v[1] for v in ended.values()))[:3]))
    if before_clean:
        before_clean()  # the unread client's socket goes first
    srv.check_clean("edges and capacity", grace=HEAD_DEADLINE_S + 5)


def server_sockets(srv):
    fds = pcc.fd_table(srv.proc.pid)
    return sum(1 for fd, link in fds.items() if link.startswith("socket:")
               and srv.baseline.get(fd) != link)


def unread_start(srv):
    """A client that sends a request for a large answer and never reads it."""
    head, body = upload_bytes()
    s = connect_from("127.0.0.1", srv.port, rcvbuf=4096)
    s.sendall(head + body)
    return s, time.monotonic()


def unread_check(R, srv, s, t0):
    limit = IDLE_S + 30
    m = None
    while time.monotonic() - t0 < limit:
        m = re.search(r"-> 200 \((\d+) bytes, (\d+) ms, timed out\)", srv.log_text())
        if m:
            break
        time.sleep(0.5)
    got = read_all(s, 10)
    s.close()
    full = int(m.group(1)) if m else None
    R.check(m is not None and len(got) < full,
            "a client that never reads its answer is dropped by the %d s send timeout"
            % IDLE_S, "log: %s; read %d bytes afterwards" % (
                m.group(0) if m else "no timed-out request in %d s" % limit, len(got)))
    if m:
        R.note("unread answer of %s bytes dropped after %.1f s" % (
            m.group(1), int(m.group(2)) / 1000.0))


def budget(R):
    srv = pcc.Server(R, ["--answer-budget", "6M", "--jobs", "2"], name="budget server")
    if not srv.start():
        return
    try:
        s1, _ = unread_start(srv)
        time.sleep(1)
        # wait until the first answer is queued (its request is in the log once done,
        # so look for the analysis end instead: give it a few seconds)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "held in memory" not in srv.log_text():
            head, body = upload_bytes()
            raw, t = exchange(srv.port, head + body, limit_s=30)
            if raw.startswith(b"HTTP/1.1 503"):
                break
            time.sleep(0.5)
        hd = heads_of(raw)
        R.check(raw.startswith(b"HTTP/1.1 503 ") and
                re.search(r"(?im)^Retry-After: %d\r?$" % RETRY_AFTER_S, hd),
                "a large answer past --answer-budget while another is unread: 503 + "
                "Retry-After", hd[:200])
        s1.close()  # unread bytes: a reset, the server frees that answer
        time.sleep(2)
        head, body = upload_bytes()
        raw, t = exchange(srv.port, head + body, limit_s=30)
        R.check(raw.startswith(b"HTTP/1.1 200 "),
                "once the unread answer is gone, the next large answer is 200",
                heads_of(raw)[:120])
    finally:
        srv.stop()


def edges(R, srv):
    port = srv.port
    head, body = upload_bytes(query="/api/chart?format=json")
    raw, t = exchange(port, head + body, halfclose=True)
    R.check(raw.startswith(b"HTTP/1.1 200 "),
            "a client that half-closes after its upload gets its answer",
            heads_of(raw)[:120])
    raw, t = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", halfclose=True)
    R.check(raw.startswith(b"HTTP/1.1 200 "), "a half-closed GET gets its answer",
            heads_of(raw)[:120])
    cases = [
        ("Content-Length: -1", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Content-Length: -1\r\n\r\n", 400),
        ("Content-Length: abc", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Content-Length: abc\r\n\r\n", 400),
        ("two Content-Lengths", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("HTTP/1.2", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
        ("Transfer-Encoding: gzip", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Transfer-Encoding: gzip\r\n\r\n", 501),
        ("Transfer-Encoding: gzip, chunked", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
        # inside a chunked body: the relay refuses it, not libmicrohttpd (relay.h)
        ("a chunk size that is not hex", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Transfer-Encoding: chunked\r\nContent-Type: multipart/form-data; boundary=x"
         b"\r\n\r\n5\r\n--x\r\n\r\nzz\r\nhello\r\n", 400),
        ("chunk data past its size", b"POST /api/chart HTTP/1.1\r\nHost: a\r\n"
         b"Transfer-Encoding: chunked\r\nContent-Type: multipart/form-data; boundary=x"
         b"\r\n\r\n3\r\n--x\r\nXYZ\r\n", 400),
    ]
    for name, req, status in cases:
        raw, t = exchange(port, req, limit_s=10)
        hd = heads_of(raw)
        lines = hd.split("\r\n")
        R.check(raw.startswith(b"HTTP/1.1 %d " % status) and t < 5,
                "%s: %d at once" % (name, status), "%.1f s: %r" % (t, hd[:100]))
        R.check(len(re.findall(rb"(?m)^HTTP/1\.\d \d{3} ", raw)) == 1 and
                sum(1 for x in lines if x.lower().startswith("content-security-policy:"))
                == 1 and any(x.lower().startswith("x-content-type-options:")
                             for x in lines),
                "%s: one status line, our headers once" % name, repr(raw[:300]))
    # a body for a route that takes none, cut short, then a hang-up: closed by the
    # sweeper, not held until libmicrohttpd's 30 s idle timeout (fuzz_http found it)
    raw, t = exchange(port, b"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n"
                      b"abc", halfclose=True, limit_s=20)
    R.check(t < 10, "a cut body to a route that takes none, then a hang-up: closed in "
            "%.1f s" % t, repr(raw[:80]))
    head, body = upload_bytes(query="/api/chart?format=json", param="BOUNDARY")
    raw, t = exchange(port, head + body)
    R.check(raw.startswith(b"HTTP/1.1 200 "), "BOUNDARY= (RFC 2045: any case) is an "
            "upload like boundary=", heads_of(raw)[:120])


def stop(R):
    srv = pcc.Server(R, ["--jobs", "1"], name="stop server")
    if not srv.start():
        return
    port = srv.port
    socks, results = [], {}
    head, body = upload_bytes(query="/api/chart?format=json")
    try:
        for i in range(3):
            s = connect_from("127.0.0.1", port)
            h = head
            if i == 0:
                h = head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n", 1)
            s.sendall(h)
            if i == 0:
                s.settimeout(5)
                R.check(s.recv(100).startswith(b"HTTP/1.1 100"), "stop: 100 Continue")
            s.sendall(body[:500])
            socks.append(s)
        silent_up = connect_from("127.0.0.1", port)  # a head, then nothing
        silent_up.sendall(head)
        time.sleep(0.5)
        stop_ev = threading.Event()

        def sender():
            off = 500
            while not stop_ev.is_set():
                for s in socks:
                    try:
                        s.send(body[off:off + 100])
                    except OSError:
                        pass
                off += 100
                stop_ev.wait(0.2)

        th = threading.Thread(target=sender, daemon=True)
        th.start()
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        late, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", limit_s=10)
        for i, s in enumerate(socks):
            results[i] = read_all(s, 15)
        stop_ev.set()
        th.join(5)
        for i, raw in results.items():
            hd = heads_of(raw.split(b"\r\n\r\n", 1)[1] if raw.startswith(b"HTTP/1.1 100")
                          else raw)
            R.check(hd.startswith("HTTP/1.1 503 ") and
                    re.search(r"(?im)^Retry-After: \d+\r?$", hd),
                    "SIGTERM: upload %d in flight%s gets 503 + Retry-After" % (
                        i, " (after 100 Continue)" if i == 0 else ""), hd[:160] or "closed")
        hd = heads_of(late)
        R.check(hd.startswith("HTTP/1.1 503 ") and re.search(r"(?im)^Retry-After:", hd),
                "SIGTERM: a request arriving during the stop gets 503 + Retry-After",
                hd[:160] or "closed")
        silent_up.close()
    finally:
        for s in socks:
            s.close()
        srv.stop()


def main():
    R = pcc.Results("e2e_attack_http")
    pcc.preflight(R)
    only = [p for p in os.environ.get("ATTACK_PARTS", "").split(",") if p]

    def want(name):
        return not only or name in only

    srv = pcc.Server(R, ["--jobs", "2"], name="attack server")
    if not srv.start():
        return R.finish()
    try:
        unread = unread_start(srv) if want("unread") else None

        def unread_done():
            if unread:
                try:
                    unread_check(R, srv, *unread)
                except Exception:  # noqa: BLE001
                    R.fail("unread: test raised", traceback.format_exc())

        for name, part in (("edges", edges),
                           ("capacity", lambda R, srv: capacity(R, srv, unread_done))):
            if not want(name):
                continue
            try:
                part(R, srv)
            except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
                R.fail("%s: test raised" % name, traceback.format_exc())
            if not srv.ensure_alive(name):
                break
        if not want("capacity"):
            unread_done()
    finally:
        srv.stop()
    for name, part in (("budget", budget), ("stop", stop)):
        if want(name):
            try:
                part(R)
            except Exception:  # noqa: BLE001
                R.fail("%s: test raised" % name, traceback.format_exc())
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
