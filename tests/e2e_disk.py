#!/usr/bin/env python3
"""e2e_disk.py - a small disk full of kept captures makes way for new uploads.

The real server runs with its --tmpdir on a tmpfs of TMPFS_MB (a private
mount namespace: `unshare -m`, so nothing is mounted outside the test), with
real tshark on generated pcaps of CAP_MB each:
  - --store-max (2 GiB by default) is lowered to half the free space at
    start, and the log says so;
  - when something else fills the disk, an upload that no longer fits beside
    the kept captures evicts the least recently used (their views answer
    410) and is charted and kept itself; without the eviction it got 507.
Needs root (or user namespaces) for the mount; exits 77 when it cannot mount.
"""
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcc  # noqa: E402

TMPFS_MB = 40
CAP_MB = 11


def make_pcap(seed, mb):
    """A valid pcap of about mb MiB: 1500-byte Ethernet frames, distinct by seed."""
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    frame = bytes(12) + b"\x08\x00" + bytes([seed % 256]) * (1500 - 14)
    rec = []
    n = mb * 1024 * 1024 // (16 + len(frame))
    for i in range(n):
        rec.append(struct.pack("<IIII", 1000 + i // 1000, (i % 1000) * 1000, len(frame),
                               len(frame)))
        rec.append(frame)
    return head + b"".join(rec), n


def mount_prefix(tmpdir):
    """The command that runs the server with tmpdir on a fresh tmpfs, or None."""
    script = ('mount -t tmpfs -o size=%dm,mode=0700 tmpfs "$1" && shift && exec "$@"'
              % TMPFS_MB)
    base = ["unshare", "-m", "--propagation", "private"]
    if os.geteuid() != 0:
        return None
    probe = subprocess.run(base + ["sh", "-c", script, "sh", tmpdir, "true"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return base + ["sh", "-c", script, "sh", tmpdir]


def upload(srv, data, name):
    r = srv.post("/api/chart?format=json", data, name, timeout=120)
    loc = r.headers.get("content-location", "")
    return r, loc.split("?")[0]


def view(srv, url):
    return pcc.request(srv.port, "GET", url + "?format=json", timeout=120)


def fill(srv, mb):
    """Write mb MiB into the server's tmpfs (its mount namespace) beside the store."""
    path = os.path.join(srv.tmpdir, "filler")
    r = subprocess.run(["nsenter", "-t", str(srv.proc.pid), "-m", "dd", "if=/dev/zero",
                        "of=" + path, "bs=1M", "count=%d" % mb], capture_output=True)
    return r.returncode == 0


def disk(R):
    srv = pcc.Server(R, ["--warm", "0", "--jobs", "2"], name="small disk server")
    srv.prefix = mount_prefix(srv.tmpdir)
    if not srv.start():
        return
    log = srv.log_text()
    R.check("store: at most" in log and "free in" in log and "not 2147483648" in log,
            "the default --store-max (2 GiB) is lowered to half the free space of a "
            "%d MiB disk" % TMPFS_MB, pcc.one_line(log[-600:].encode()))
    urls = []
    for i in range(2):
        data, n = make_pcap(i + 1, CAP_MB)
        r, url = upload(srv, data, "cap%d.pcap" % i)
        R.check(r.status == 200 and r.json().get("packets") == n and url.startswith("/c/"),
                "upload %d of %d MiB: 200, charted, kept" % (i + 1, CAP_MB), r.brief())
        urls.append(url)
    # the store holds one capture of CAP_MB (half of the free space is less than two)
    R.check([view(srv, u).status for u in urls] == [410, 200],
            "the store's own cap evicts the older capture (410), keeps the newer")
    # something else fills the disk: the next upload no longer fits beside the kept one
    R.check(fill(srv, TMPFS_MB - CAP_MB - CAP_MB // 2), "filled the disk")
    log0 = len(srv.log_text())
    data, n = make_pcap(9, CAP_MB)
    r, url = upload(srv, data, "after.pcap")
    R.check(r.status == 200 and r.json().get("packets") == n and url.startswith("/c/"),
            "an upload that finds the disk full of kept captures: the oldest make way, "
            "200 and kept (was 507)", r.brief())
    R.check(view(srv, url).status == 200, "its view answers 200")
    R.check(view(srv, urls[1]).status == 410, "the capture evicted for it answers 410")
    R.check("evicted to free disk space" in srv.log_text()[log0:],
            "the log says captures were evicted for disk space")
    srv.stop()


def main():
    R = pcc.Results("e2e_disk")
    pcc.preflight(R)
    probe = pcc.Server(R, [], name="probe")
    if mount_prefix(probe.tmpdir) is None:
        print("cannot mount a tmpfs in a private mount namespace (needs root): skipped")
        return 77
    try:
        disk(R)
    except Exception:  # noqa: BLE001
        import traceback
        R.fail("test script raised", traceback.format_exc())
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
