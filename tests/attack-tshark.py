#!/usr/bin/python3
"""attack-tshark.py - a hostile tshark for e2e_attack_sandbox.py.

The server runs it as it runs tshark (same user, sandbox, limits). An upload
that is a pcap header followed by `ATTACK {json}` makes it try, against the
targets named in the JSON, each way one analysis could reach another's data,
the server's files or the network, and answer with one packet per attempt:
frame.number = the attempt's number, frame.time_relative = the same,
frame.len = 1 when the attempt succeeded, 100 + errno when it failed.
Anything else (--version, -G, real captures) goes to the real tshark, @REAL@,
with the input it read given back on a memfd.
"""
import ctypes
import errno
import json
import os
import socket
import sys
import time

REAL = "@REAL@"
MAX_INPUT = 512 * 1024 * 1024
CHECKS = ["mem_target", "environ_target", "mem_scan", "environ_scan", "list_tmpdir",
          "open_tmpfiles", "list_store", "tcp_connect", "udp_send", "fork_500",
          "ptrace_target", "ptrace_parent", "vm_readv_target"]


def real_tshark(data):
    """exec the real tshark on what was read: a file (cold run) from its start, a
    pipe's bytes (warm run) from a memfd (small: RLIMIT_FSIZE)."""
    import stat
    if data is not None and stat.S_ISREG(os.fstat(0).st_mode):
        os.lseek(0, 0, os.SEEK_SET)
    elif data is not None:
        fd = os.memfd_create("capture")
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
        os.dup2(fd, 0)
        os.close(fd)
    os.execv(REAL, [REAL] + sys.argv[1:])


def err_of(e):
    return getattr(e, "errno", None) or errno.EIO


def read_mem(pid):
    """Read a few bytes of pid's memory: True, or raise OSError."""
    with open("/proc/%d/maps" % pid) as f:
        regions = [ln.split() for ln in f]
    fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        last = OSError(errno.EFAULT, "no readable region")
        for r in regions:
            if "r" not in r[1]:
                continue
            start = int(r[0].split("-")[0], 16)
            try:
                if os.pread(fd, 64, start):
                    return True
            except OSError as e:
                last = e
        raise last
    finally:
        os.close(fd)


def read_environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        if f.read(4096):
            return True
    raise OSError(errno.ENODATA, "empty")


def others():
    """Pids of other tshark-like processes this one can see."""
    me = os.getpid()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        # real tshark runs (argv[0] .../tshark), not this sandbox's own bwrap
        argv0 = cmd.split(b"\0", 1)[0]
        if argv0.endswith(b"/tshark") or argv0 == b"tshark":
            found.append(int(d))
    return found


def any_of(pids, fn):
    """1 when fn succeeded on one of pids, else 100 + the last errno."""
    code = 100 + errno.ESRCH
    for pid in pids:
        try:
            if fn(pid):
                return 1
        except OSError as e:
            code = 100 + err_of(e)
    return code


def attempt(name, t):
    libc = ctypes.CDLL(None, use_errno=True)
    if name == "mem_target":
        return any_of(t["pids"], read_mem)
    if name == "environ_target":
        return any_of(t["pids"], read_environ)
    if name == "mem_scan":
        return any_of(others(), read_mem)
    if name == "environ_scan":
        return any_of(others(), read_environ)
    if name == "list_tmpdir":
        os.listdir(t["tmpdir"])
        return 1
    if name == "open_tmpfiles":
        def read1(path):
            with open(path, "rb") as f:
                f.read(1)
            return True
        code = 100 + errno.ENOENT
        for path in t["files"]:
            try:
                return 1 if read1(path) else code
            except OSError as e:
                code = 100 + err_of(e)
        return code
    if name == "list_store":
        os.listdir(os.path.join(t["tmpdir"], "store"))
        return 1
    if name == "tcp_connect":
        with socket.create_connection(("127.0.0.1", t["port"]), timeout=2):
            return 1
    if name == "udp_send":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x", ("127.0.0.1", t["port"]))
            return 1
    if name == "fork_500":
        kids = []
        code = 100 + errno.EAGAIN
        try:
            for _ in range(500):
                pid = os.fork()
                if pid == 0:
                    time.sleep(5)
                    os._exit(0)
                kids.append(pid)
        except OSError as e:
            code = 100 + err_of(e)
        for pid in kids:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
        sys.stderr.write("forked %d\n" % len(kids))
        return 1 if len(kids) >= 500 else code
    if name in ("ptrace_target", "ptrace_parent"):
        libc.ptrace.restype = ctypes.c_long
        pids = t["pids"] if name == "ptrace_target" else [os.getppid()]
        code = 100 + errno.ESRCH
        for pid in pids:
            # PTRACE_SEIZE (no signal sent), then PTRACE_DETACH
            if libc.ptrace(0x4206, pid, None, None) == 0:
                libc.ptrace(17, pid, None, None)
                return 1
            code = 100 + ctypes.get_errno()
        return code
    if name == "vm_readv_target":
        class IoVec(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
        buf = ctypes.create_string_buffer(64)
        code = 100 + errno.ESRCH
        for pid in t["pids"]:
            try:
                with open("/proc/%d/maps" % pid) as f:
                    start = int(f.readline().split("-")[0], 16)
            except OSError:
                start = 0x400000
            local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 64)
            remote = IoVec(start, 64)
            libc.process_vm_readv.restype = ctypes.c_ssize_t
            n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote),
                                      1, 0)
            if n > 0:
                return 1
            code = 100 + ctypes.get_errno()
        return code
    return 100 + errno.ENOSYS


def attack(t):
    out = ["["]
    for i, name in enumerate(CHECKS, 1):
        try:
            code = attempt(name, t)
        except OSError as e:
            code = 100 + err_of(e)
        except Exception as e:  # noqa: BLE001 - any failure is a failed attempt
            sys.stderr.write("%s: %r\n" % (name, e))
            code = 100 + errno.EIO
        sys.stderr.write("%s: %d\n" % (name, code))
        out.append(("," if i > 1 else "") +
                   '{"_source":{"layers":{"frame.number":["%d"],'
                   '"frame.time_relative":["%d.000000000"],"frame.len":["%d"]}}}'
                   % (i, i, code))
    out.append("]\n")
    sys.stdout.write("\n".join(out))
    sys.stdout.flush()


def main():
    if any(a in ("--version", "-v", "-G", "-h", "--help") for a in sys.argv[1:]):
        real_tshark(None)
    data = sys.stdin.buffer.read(MAX_INPUT)
    body = data[24:]
    if body.startswith(b"ATTACK "):
        attack(json.loads(body[7:].split(b"\n", 1)[0]))
        return 0
    real_tshark(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
