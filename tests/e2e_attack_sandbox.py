#!/usr/bin/env python3
"""e2e_attack_sandbox.py - one analysis cannot reach another (issue 11, item 6).

The server runs with --tshark pointing at attack-tshark.py (copied into a
0755 directory with the real tshark's path filled in): real captures go to
the real tshark, an upload that says ATTACK makes it try, from inside the
sandbox every tshark run gets, each of:
  - read /proc/PID/mem and /proc/PID/environ of the other tshark processes
    (pids found by the test outside: a slow real run of another request on a
    large capture, and the idle warm ones), and of any it finds in its /proc;
  - list --tmpdir and its store, open the files the test sees there (the
    other request's upload, a kept capture);
  - connect() to a TCP port the test listens on at 127.0.0.1, send a UDP
    datagram to it;
  - fork 500 processes;
  - ptrace (PTRACE_SEIZE) the other tshark and its own parent,
    process_vm_readv the other tshark.
It answers one packet per attempt (frame.len 1: it worked; 100 + errno: it
did not). Every attempt must fail, run warm (no filter) and cold (a filter),
and the listener must see no connection. The other request must still get
its chart. PCAPCHART_SANDBOX_SKIP (bwrap,seccomp,landlock,nproc) is passed
on to the server: with ATTACK_EXPECT_LEAKS=1 the test only prints what got
through (to see a layer's removal make its check fail).
"""
import errno
import json
import os
import random
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

CHECKS = ["mem_target", "environ_target", "mem_scan", "environ_scan", "list_tmpdir",
          "open_tmpfiles", "list_store", "tcp_connect", "udp_send", "fork_500",
          "ptrace_target", "ptrace_parent", "vm_readv_target"]
VICTIM_PACKETS = 400000
SECRET = b"pcc-secret-of-another-user-"
USERS_BASE = 0x7e000000  # SANDBOX_USERS_BASE: a root server's users per run
PCAP_HEADER = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def victim_capture(path):
    """A large pcap of UDP packets whose payload carries SECRET."""
    eth_ip = bytes.fromhex("ffffffffffff0000000000010800"
                           "45000030000000004011" "0000" "0a000001" "0a000002")
    with open(path, "wb") as f:
        f.write(PCAP_HEADER)
        for i in range(VICTIM_PACKETS):
            payload = SECRET + b"%08d" % i
            udp = struct.pack(">HHHH", 1000, 2000, 8 + len(payload), 0) + payload
            frame = eth_ip + udp
            f.write(struct.pack("<IIII", 1000 + i // 1000, (i % 1000) * 1000,
                                len(frame), len(frame)))
            f.write(frame)


class Listener:
    """TCP and UDP on one 127.0.0.1 port; counts what reaches it."""

    def __init__(self):
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.hits = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            for s in (self.tcp, self.udp):
                try:
                    if s is self.tcp:
                        c, _ = s.accept()
                        c.close()
                    else:
                        s.recvfrom(64)
                    self.hits += 1
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.t.join()
        self.tcp.close()
        self.udp.close()


def tshark_pids(server_pid):
    """Real tshark processes below the server (inside bwrap or not)."""
    out, todo = [], [server_pid]
    while todo:
        for c, _, _ in pcc.children_of(todo.pop()):
            todo.append(c)
            cmd = pcc.cmdline(c)
            if cmd and os.path.basename(cmd[0]) == "tshark":
                out.append(c)
    return out


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.join(root, n) for n in names]
    return out


def attack(R, srv, listener, victims, label, query):
    # not the frame-only profile: every run is given it (by descriptor) to read
    files = [f for f in files_under(srv.tmpdir) if "pcapchart-profile-" not in f]
    targets = {"pids": victims, "tmpdir": srv.tmpdir, "files": files,
               "port": listener.port}
    R.note("%s: targets %d pids %s, %d files" % (label, len(victims), victims,
                                                 len(targets["files"])))
    data = PCAP_HEADER + b"ATTACK " + json.dumps(targets).encode() + b"\n"
    r = pcc.post_file(srv.port, "/api/chart?format=json" + query, data, timeout=120)
    if not R.check(r.status == 200, "%s: the attack ran and answered" % label, r.brief()):
        return {}
    doc = r.json()
    points = doc["series"][0]["points"]
    got = {}
    for t, code in points:
        got[CHECKS[int(float(t)) - 1]] = int(code)
    return got


def verdict(R, got, label, expect_leaks, leaks_seen):
    for name in CHECKS:
        code = got.get(name)
        why = ("errno %s" % errno.errorcode.get(code - 100, code - 100)
               if code and code >= 100 else "SUCCEEDED" if code == 1 else "no answer")
        if expect_leaks:
            R.note("%s: %-16s %s" % (label, name, why))
            if code == 1:
                leaks_seen.add(name)
        else:
            R.check(code is not None and code != 1, "%s: %s fails (%s)" % (label, name, why))


def run_users(server_pid):
    """Uids of the server's runs: its children (bwrap, or the program), once exec'ed."""
    uids = [pcc.proc_uid(c) for c, _, st in pcc.children_of(server_pid) if st != "Z"]
    return [u for u in uids if u is not None and u != os.geteuid()]


def users_differ(R, srv, want, what):
    """A root server gives each run a user of its own, from its range."""
    uids = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(uids) < want:
        uids = run_users(srv.proc.pid)
        time.sleep(0.05)
    R.check(len(uids) >= want and len(set(uids)) == len(uids) and
            all(u >= USERS_BASE for u in uids),
            "%s: each a user of its own (uids from %d, none shared)" % (what, USERS_BASE),
            repr(uids))


def users_alone(R, prog, listener):
    """With every other layer left out, the user per run still keeps runs apart."""
    srv = pcc.Server(R, ["--tshark", prog, "--jobs", "2", "--warm", "2", "--timeout", "120"],
                     name="users-only server", prefix=["env", "PCAPCHART_SANDBOX_SKIP=all"])
    try:
        if not srv.start():
            return
        R.note("users-only server log: " + " | ".join(
            ln for ln in srv.log_text().splitlines() if "sandbox" in ln))
        users_differ(R, srv, 2, "no other layer: the warm runs")
        # the warm runs' processes (the wrapper waits on stdin, as python)
        victims = [c for c, _, _ in pcc.children_of(srv.proc.pid)]
        got = attack(R, srv, listener, victims, "users only", "&filter=frame")
        for name in ("mem_target", "environ_target", "ptrace_target", "vm_readv_target"):
            code = got.get(name)
            R.check(code is not None and code != 1,
                    "users only: %s fails (another user's process)" % name,
                    "code %r" % code)
        srv.check_clean("after the users-only attack")
    finally:
        srv.stop()


def main():
    R = pcc.Results("e2e_attack_sandbox")
    pcc.preflight(R)
    expect_leaks = os.environ.get("ATTACK_EXPECT_LEAKS") == "1"
    base = tempfile.mkdtemp(prefix="pcc-attack-")
    os.chmod(base, 0o755)  # a root server runs tshark as users of no group of ours
    prog = os.path.join(base, "tshark")
    with open(os.path.join(pcc.TESTS_DIR, "attack-tshark.py")) as f:
        text = f.read().replace("@REAL@", pcc.tshark_path())
    with open(prog, "w") as f:
        f.write(text)
    os.chmod(prog, 0o755)
    big = os.path.join(base, "victim.pcap")
    victim_capture(big)
    with open(big, "rb") as f:
        big_data = f.read()
    listener = Listener()
    srv = pcc.Server(R, ["--tshark", prog, "--jobs", "4", "--warm", "1", "--timeout", "120"],
                     name="attack server")
    leaks = set()
    try:
        if srv.start():
            R.note("server log: " + " | ".join(
                ln for ln in srv.log_text().splitlines() if "sandbox" in ln))
            # a kept capture in the store
            r = pcc.post_file(srv.port, "/api/chart?format=json",
                              pcc.read_file(pcc.capture("dev/http.cap")))
            R.check(r.status == 200, "a real capture is charted through the wrapper",
                    r.brief())
            # the other request: a slow real tshark run (a filter: cold, dissecting)
            res = {}

            def victim():
                res["r"] = pcc.post_file(srv.port, "/api/chart?format=json&filter=udp",
                                         big_data, filename="secret.pcap", timeout=300)
            vt = threading.Thread(target=victim)
            vt.start()
            deadline = time.monotonic() + 60
            victims = []
            while time.monotonic() < deadline and not victims:
                victims = [p for p in tshark_pids(srv.proc.pid)
                           if "-Y" in (pcc.cmdline(p) or [])]
                time.sleep(0.05)
            R.check(victims, "the other request's tshark is running", "none seen")
            victims = tshark_pids(srv.proc.pid)  # and the idle warm ones
            if os.geteuid() == 0:
                users_differ(R, srv, 2, "the slow run and the warm one")
            for label, query in (("warm", ""), ("cold", "&filter=frame")):
                got = attack(R, srv, listener, victims, label, query)
                verdict(R, got, label, expect_leaks, leaks)
            R.check(vt.is_alive(), "the other request was still running meanwhile",
                    "it ended first: make the victim capture larger")
            vt.join()
            r = res.get("r")
            ok = r is not None and r.status == 200 and \
                r.json()["series"][0]["packets"] == VICTIM_PACKETS
            R.check(ok, "the other request got its whole chart",
                    json.dumps({k: v for k, v in r.json().items() if k not in ("series",)})
                    if r is not None and r.status == 200 else
                    r.brief() if r is not None else "no answer")
            if not expect_leaks:
                R.check(listener.hits == 0, "nothing reached the listener",
                        "%d connections or datagrams" % listener.hits)
            else:
                R.note("listener hits: %d; got through: %s" % (listener.hits,
                                                             sorted(leaks) or "nothing"))
            srv.check_clean("after the attacks")
        if os.geteuid() == 0 and not expect_leaks:
            users_alone(R, prog, listener)
    except Exception:  # noqa: BLE001 - a bug of the test itself is a failure too
        R.fail("test script raised", traceback.format_exc())
    finally:
        srv.stop()
        listener.close()
        shutil.rmtree(base, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
