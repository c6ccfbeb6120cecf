#!/bin/sh
# fake-tshark.sh - a fault-injecting stand-in for tshark (after git's test-tool).
#
# It answers `--version` and `-G protocols` like tshark 4.0.17. For anything
# else it behaves as MODE says. MODE comes, in this order, from:
#   - the environment: FAKE_TSHARK_MODE=MODE (when the caller passes it on);
#   - the program name: a symlink named fake-tshark-MODE;
#   - the capture: a file given with -r (or on stdin with -r -, as tshark_run
#     gives it) whose first line is FAKE_TSHARK_MODE=MODE (tshark_run gives
#     tshark a minimal environment, so tests use this one).
# Modes:
#   ok          three packets, exit 0 (also the default)
#   hang        print "[", then sleep long with SIGTERM ignored (needs SIGKILL)
#   hang_after  two packets, then sleep long
#   closed_hang a whole document, then close stdout and hang (TERM ignored)
#   crash       one packet, then die by SIGSEGV
#   garbage     something that is not JSON, exit 0
#   garbage_mid one packet, then broken JSON, exit 0
#   cut         two packets and half a third, exit 0 (output cut short)
#   exit_mid    two packets and half a third, a tshark-like error naming the
#               capture on stderr, exit 2
#   exit2       the "Running as user" warning and a two-line error naming the
#               capture on stderr, nothing on stdout, exit 2
#   noisy_exit2 like exit2 after 8 KB of log noise (naming the capture) on stderr
#   endless     packets without end (for the packet limit)
#   stderr      200 KB on stderr, then three packets, exit 0
#   badversion  `--version` answers like something else
#   grandchild  start a background sleeper in the group, then act as hang
set -u

mode="${FAKE_TSHARK_MODE:-}"
case "$0" in
*fake-tshark-*) [ -n "$mode" ] || mode="${0##*fake-tshark-}" ;;
esac

file=""
prev=""
for a in "$@"; do
    [ "$prev" = "-r" ] && file="$a"
    prev="$a"
done
if [ -z "$mode" ] && [ "$file" = "-" ]; then
    IFS= read -r first || true
elif [ -z "$mode" ] && [ -n "$file" ] && [ -r "$file" ]; then
    IFS= read -r first <"$file" || true
fi
case "${first:-}" in
FAKE_TSHARK_MODE=*) mode="${first#FAKE_TSHARK_MODE=}" ;;
esac
# how tshark names its input in messages
if [ "$file" = "-" ]; then
    named="The standard input"
else
    named="The file \"$file\""
fi
[ -n "$mode" ] || mode=ok
ulimit -c 0 # no core files from the crash mode

case "${1:-}" in
--version)
    if [ "$mode" = badversion ]; then
        echo "Not TShark 1.0"
    else
        echo "TShark (Wireshark) 4.0.17 (fake-tshark.sh)."
        echo
        echo "Copyright 1998-2024 Gerald Combs <gerald@wireshark.org> and contributors."
    fi
    exit 0
    ;;
-G)
    if [ "${2:-}" = folders ]; then
        printf 'Personal configuration:\t/nonexistent\nGlobal configuration:\t/usr/share/wireshark\n'
    else
        printf 'Frame\tFrame\tframe\nEthernet\tEthernet\teth\nInternet Protocol Version 4\tIPv4\tip\n'
    fi
    exit 0
    ;;
esac

# pkt N T LEN [SEP]: one element as tshark -T json -e ... prints it
pkt() {
    printf '  {\n    "_index": "packets-2004-05-13",\n    "_type": "doc",\n'
    printf '    "_score": null,\n    "_source": {\n      "layers": {\n'
    printf '        "frame.number": [\n          "%s"\n        ],\n' "$1"
    printf '        "frame.time_relative": [\n          "%s"\n        ],\n' "$2"
    printf '        "frame.len": [\n          "%s"\n        ]\n      }\n    }\n  }%s\n' "$3" "${4:-}"
}

case "$mode" in
ok)
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 1514 ,
    pkt 3 1.250000000 42
    echo "]"
    ;;
hang)
    trap '' TERM
    echo "["
    sleep 1000
    ;;
hang_after)
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 70 ,
    sleep 1000
    ;;
closed_hang)
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 70
    echo "]"
    exec >&-
    trap '' TERM
    sleep 1000
    ;;
grandchild)
    trap '' TERM
    sleep 1000 &
    echo "["
    sleep 1000
    ;;
crash)
    echo "["
    pkt 1 0.000000000 60 ,
    kill -SEGV $$
    ;;
garbage)
    echo "this is not JSON at all"
    ;;
garbage_mid)
    echo "["
    pkt 1 0.000000000 60 ,
    echo '  {"_source": {"layers": {"frame.number": ["2"],,,}}}'
    echo "]"
    ;;
cut)
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 70 ,
    printf '  {\n    "_index": "packets-2004-05-13",\n'
    ;;
exit_mid)
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 70 ,
    printf '  {\n    "_index": "packets-2004-05-13",\n'
    echo 'Running as user "root" and group "root". This could be dangerous.' >&2
    echo "tshark: $named appears to have been cut short in the middle of a packet." >&2
    exit 2
    ;;
exit2)
    echo 'Running as user "root" and group "root". This could be dangerous.' >&2
    echo "tshark: $named appears to be damaged or corrupt." >&2
    echo "(pcap: File has 2147483647-byte packet, bigger than maximum of 262144)" >&2
    exit 2
    ;;
noisy_exit2)
    i=0
    while [ $i -lt 100 ]; do
        echo " ** (tshark:4242) 12:00:00.000000 [Epan WARNING] noise about \"$file\" $i" >&2
        i=$((i + 1))
    done
    echo "tshark: $named appears to be damaged or corrupt." >&2
    echo "(pcap: File has 2147483647-byte packet, bigger than maximum of 262144)" >&2
    exit 2
    ;;
endless)
    echo "["
    # yes(1) is quick; each line is a whole element followed by a comma
    yes '{"_source":{"layers":{"frame.number":["1"],"frame.time_relative":["0.5"],"frame.len":["60"]}}},'
    ;;
stderr)
    i=0
    while [ $i -lt 200 ]; do
        printf '%01000d\n' 0 >&2
        i=$((i + 1))
    done
    echo "warning: the last line of stderr" >&2
    echo "["
    pkt 1 0.000000000 60 ,
    pkt 2 0.500000000 1514 ,
    pkt 3 1.250000000 42
    echo "]"
    ;;
*)
    echo "fake-tshark.sh: unknown mode '$mode'" >&2
    exit 99
    ;;
esac
exit 0
