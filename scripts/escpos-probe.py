#!/usr/bin/env python3
"""probe.py - talk raw ESC/POS to a printer (or the emupos simulator) over TCP.

Stdlib only; runs with any Python >= 3.8.  Used to produce the measurements in NOTES.md.

  probe.py [--host H] --port P status          DLE EOT 1..4 (+ GS r 1/2), decoded
  probe.py --port P send HEX... [--read S]     send hex bytes, print every reply byte
  probe.py --port P send --file F.bin          send a file's bytes
  probe.py --port P sample NAME [--read S]     send a built-in sample job (see `sample --list`)
  probe.py --port P asb [--n 0xFF] [--seconds S]   enable ASB (GS a n), print pushed frames
  probe.py sample NAME --out F.bin             write a sample job to a file, send nothing

HEX arguments: "10 04 01", "100401", "0x10,0x04,0x01" all mean the same bytes.
Quoted text can be mixed in with t:"..." (sent as latin-1), e.g.  send 1b40 't:Hello\n' 1d5600
Exit status: 0 ok, 1 no reply where one was expected / connection error, 2 usage.
"""

from __future__ import annotations

import argparse
import codecs
import select
import socket
import sys
import time

# --- bit tables (Epson ESC/POS reference, DLE EOT / GS r / GS a) ------------------------------

DLE_EOT_BITS = {
    1: {2: "drawer pin3 high", 3: "OFFLINE", 5: "waiting for online recovery",
        6: "feed button pressed"},
    2: {2: "COVER OPEN", 3: "paper fed by feed button", 5: "PRINTING STOPPED BY PAPER END",
        6: "ERROR occurred"},
    3: {2: "recoverable error", 3: "autocutter error", 5: "unrecoverable error",
        6: "auto-recoverable error"},
    4: {2: "paper NEAR END (bit2)", 3: "paper NEAR END (bit3)", 5: "PAPER END (bit5)",
        6: "PAPER END (bit6)"},
}
DLE_EOT_NAME = {1: "printer", 2: "offline cause", 3: "error cause", 4: "roll paper sensor"}

GS_R_BITS = {
    1: {0: "near end (bit0)", 1: "near end (bit1)", 2: "paper end (bit2)", 3: "paper end (bit3)"},
    2: {0: "drawer pin3 high"},
}

ASB_BITS = [
    {2: "drawer pin3 high", 3: "offline", 5: "cover open", 6: "paper fed by button"},
    {0: "waiting online recovery", 1: "feed button", 2: "recoverable err", 3: "autocutter err",
     5: "unrecoverable err", 6: "auto-recoverable err"},
    {0: "near end", 1: "near end", 2: "paper end", 3: "paper end"},
    {},
]


def bits_set(value: int, table: dict[int, str]) -> list[str]:
    return [table.get(b, f"bit{b}?") for b in range(8) if value & (1 << b) and b in table]


def decode_dle_eot(n: int, value: int) -> str:
    fixed_ok = (value & 0x93) == 0x12  # bits 1,4 set; bits 0,7 clear
    names = bits_set(value, DLE_EOT_BITS[n])
    return (f"0x{value:02X} {value:08b}  fixed bits {'ok' if fixed_ok else 'WRONG'}"
            f"  {', '.join(names) if names else '-'}")


def decode_gs_r(n: int, value: int) -> str:
    names = bits_set(value, GS_R_BITS[n])
    return f"0x{value:02X} {value:08b}  {', '.join(names) if names else '-'}"


def decode_asb(frame: bytes) -> str:
    parts = []
    for i, b in enumerate(frame):
        parts.extend(bits_set(b, ASB_BITS[i]))
    return f"{frame.hex(' ').upper()}  {', '.join(parts) if parts else '-'}"


# --- sample jobs ------------------------------------------------------------------------------

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"
INIT = ESC + b"@"
CUT = ESC + b"d\x03" + GS + b"V\x42\x00"  # feed 3 lines, GS V 66 0 (feed + partial cut)


def qr(data: bytes, size: int = 6) -> bytes:
    store = data
    pl = len(store) + 3
    return (GS + b"(k\x04\x00\x31\x41\x32\x00"        # fn 165: model 2
            + GS + b"(k\x03\x00\x31\x43" + bytes([size])  # fn 167: module size
            + GS + b"(k\x03\x00\x31\x45\x31"          # fn 169: error correction M
            + GS + b"(k" + bytes([pl & 0xFF, pl >> 8]) + b"\x31\x50\x30" + store  # fn 180 store
            + GS + b"(k\x03\x00\x31\x51\x30")         # fn 181: print


def code128(data: bytes) -> bytes:
    payload = b"{B" + data
    return (GS + b"h\x50" + GS + b"w\x02" + GS + b"H\x02"  # height 80, width 2, HRI below
            + GS + b"k\x49" + bytes([len(payload)]) + payload)


SAMPLES = {
    "hello": INIT + b"Hello from probe.py\n" + CUT,
    "nocut": INIT + b"No cut in this job\n",
    "euro858": INIT + ESC + b"t\x13" + b"CP858 euro: \xd5 40.00\n" + CUT,
    "euro1252": INIT + ESC + b"t\x10" + b"CP1252 euro: \x80 40.00\n" + CUT,
    "euro437": INIT + b"CP437 (default) byte 0xD5: \xd5\n" + CUT,
    "qr": INIT + ESC + b"a\x01" + qr(b"https://example.com/gc/4821?b=40.00") + b"\n" + CUT,
    "code128": INIT + ESC + b"a\x01" + code128(b"GC-4821") + b"\n" + CUT,
    "giftcard": (INIT + ESC + b"a\x01" + GS + b"!\x11" + b"GIFT CARD\n" + GS + b"!\x00"
                 + ESC + b"t\x13" + b"Balance \xd5 40.00\n"
                 + code128(b"GC-4821") + b"\n" + qr(b"https://example.com/gc/4821?b=40.00")
                 + b"\n" + CUT),
    "two": INIT + b"first receipt\n" + CUT + b"second receipt\n" + CUT,
    "drawer": ESC + b"p\x00\x19\xfa",
}


# --- transport --------------------------------------------------------------------------------

def parse_hex(args: list[str]) -> bytes:
    out = bytearray()
    for arg in args:
        if arg.startswith("t:"):
            out += codecs.escape_decode(arg[2:].encode("utf-8"))[0]
            continue
        cleaned = arg.replace(",", " ").replace("0x", " ").replace("0X", " ").split()
        for chunk in cleaned:
            if len(chunk) % 2:
                chunk = "0" + chunk
            out += bytes.fromhex(chunk)
    return bytes(out)


def connect(host: str, port: int, timeout: float) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_for(s: socket.socket, seconds: float, want: int | None = None) -> bytes:
    """Read until `want` bytes arrived or `seconds` passed or the peer closed."""
    buf = bytearray()
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (want is not None and len(buf) >= want):
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def request(s: socket.socket, data: bytes, want: int, timeout: float) -> bytes:
    s.sendall(data)
    return read_for(s, timeout, want)


# --- commands ---------------------------------------------------------------------------------

def cmd_status(a: argparse.Namespace) -> int:
    rc = 0
    with connect(a.host, a.port, a.timeout) as s:
        for n in (1, 2, 3, 4):
            reply = request(s, DLE + b"\x04" + bytes([n]), 1, a.timeout)
            label = f"DLE EOT {n} ({DLE_EOT_NAME[n]})"
            if reply:
                print(f"{label:32} {decode_dle_eot(n, reply[0])}")
            else:
                print(f"{label:32} NO REPLY within {a.timeout}s")
                rc = 1
        if not a.no_gs_r:
            for n in (1, 2):
                reply = request(s, GS + b"r" + bytes([n]), 1, a.timeout)
                label = f"GS r {n}"
                if reply:
                    print(f"{label:32} {decode_gs_r(n, reply[0])}")
                else:
                    print(f"{label:32} NO REPLY within {a.timeout}s")
                    # GS r is queued behind print data: no reply while printing is blocked
                    # is a legitimate printer behaviour, so it does not change the exit code.
        leftover = read_for(s, 0.2)
        if leftover:
            print(f"late bytes: {leftover.hex(' ').upper()}")
    return rc


def cmd_send(a: argparse.Namespace) -> int:
    if a.file:
        with open(a.file, "rb") as f:
            data = f.read()
    else:
        data = parse_hex(a.hex)
    return _send(a, data)


def cmd_sample(a: argparse.Namespace) -> int:
    if a.list or not a.name:
        for name, data in SAMPLES.items():
            print(f"{name:10} {len(data):4} bytes  {data[:24].hex(' ').upper()}{' ...' if len(data) > 24 else ''}")
        return 0
    if a.name not in SAMPLES:
        print(f"unknown sample {a.name!r}; try --list", file=sys.stderr)
        return 2
    data = SAMPLES[a.name]
    if a.out:
        with open(a.out, "wb") as f:
            f.write(data)
        print(f"wrote {len(data)} bytes to {a.out}")
        return 0
    if a.port is None:
        print("--port is required to send", file=sys.stderr)
        return 2
    return _send(a, data)


def _send(a: argparse.Namespace, data: bytes) -> int:
    t0 = time.monotonic()
    with connect(a.host, a.port, a.timeout) as s:
        s.sendall(data)
        print(f"sent {len(data)} bytes: {data[:64].hex(' ').upper()}{' ...' if len(data) > 64 else ''}")
        reply = read_for(s, a.read)
        dt = time.monotonic() - t0
        if reply:
            print(f"reply ({len(reply)} bytes, within {dt:.2f}s): {reply.hex(' ').upper()}")
        else:
            print(f"no reply within {a.read}s")
        if a.hold:
            print(f"holding the connection open for {a.hold}s")
            more = read_for(s, a.hold)
            if more:
                print(f"later bytes: {more.hex(' ').upper()}")
    return 0


def cmd_asb(a: argparse.Namespace) -> int:
    n = int(a.n, 0)
    with connect(a.host, a.port, a.timeout) as s:
        s.sendall(GS + b"a" + bytes([n]))
        print(f"sent GS a 0x{n:02X}; listening {a.seconds}s for 4-byte ASB frames", flush=True)
        deadline = time.monotonic() + a.seconds
        buf = b""
        t0 = time.monotonic()
        while time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                continue
            chunk = s.recv(4096)
            if not chunk:
                print("connection closed by peer")
                break
            buf += chunk
            while len(buf) >= 4:
                frame, buf = buf[:4], buf[4:]
                print(f"+{time.monotonic() - t0:6.2f}s ASB {decode_asb(frame)}", flush=True)
        if buf:
            print(f"trailing bytes: {buf.hex(' ').upper()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.add_argument("--timeout", type=float, default=2.0, help="connect / per-reply timeout (s)")
    sub = p.add_subparsers(dest="cmd", required=True)

    st = sub.add_parser("status", help="DLE EOT 1-4 and GS r 1/2, decoded")
    st.add_argument("--no-gs-r", action="store_true", help="skip GS r (it blocks behind faults)")
    st.set_defaults(func=cmd_status)

    se = sub.add_parser("send", help="send hex bytes or a file, print replies")
    se.add_argument("hex", nargs="*")
    se.add_argument("--file")
    se.add_argument("--read", type=float, default=1.0, help="seconds to collect replies")
    se.add_argument("--hold", type=float, default=0.0, help="keep connection open N more seconds")
    se.set_defaults(func=cmd_send)

    sa = sub.add_parser("sample", help="send (or --out) a built-in sample job")
    sa.add_argument("name", nargs="?")
    sa.add_argument("--list", action="store_true")
    sa.add_argument("--out")
    sa.add_argument("--read", type=float, default=0.5)
    sa.add_argument("--hold", type=float, default=0.0)
    sa.set_defaults(func=cmd_sample)

    ab = sub.add_parser("asb", help="enable Automatic Status Back and print frames")
    ab.add_argument("--n", default="0xFF")
    ab.add_argument("--seconds", type=float, default=5.0)
    ab.set_defaults(func=cmd_asb)

    a = p.parse_args(argv)
    if a.port is None and a.cmd != "sample":
        p.error("--port is required")
    try:
        return a.func(a)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
