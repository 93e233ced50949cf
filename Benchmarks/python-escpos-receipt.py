#!/usr/bin/env python3
"""The reference balance receipt of research note §4.4, built with python-escpos 3.1.

Benchmarks/escpos-bench/main.swift builds the same receipt with ESCPOSWriter; the two must stay
in step (same lines, same styles, same QR). Benchmarks/receipt-vs-python-escpos runs both.

Usage: python-escpos-receipt.py [--config auto|cp858] [--out FILE] [--rounds R] [N]

Writes one receipt's bytes to FILE, then times N receipts (a fresh `Dummy` each, as an
application printing one receipt per request would) R times and prints, for the median round:

    tool=python-escpos config=auto receipts_per_s=... us_per_receipt=... bytes=...
"""
import argparse
import statistics
import time

from escpos.printer import Dummy

PROFILE = "TM-T88V"

# The 14 lines between the title and the balance, and the 10 after it.
HEADER_LINES = [
    "12 Market Street, 10115 Berlin",
    "Tel +49 30 1234567",
    "Date: 2026-11-21  Time: 14:32",
    "Terminal: T1  Clerk: Anna",
    "Receipt no. 000482",
    "Card: **** **** **** 4821",
    "Card type: Gift card",
    "Status: Active",
    "Currency: EUR",
    "Previous balance: €60.00",
    "Redeemed: -€20.00",
    "Not redeemable for cash.",
    "Lost cards cannot be replaced.",
    "Valid in all our stores.",
]
FOOTER_LINES = [
    "Valid until: 2029-11-21",
    "Last used: 2026-11-21 14:32",
    "Thank you for shopping with us!",
    "VAT ID DE123456789",
    "Returns within 30 days with receipt.",
    "Gift cards are not refundable.",
    "Balance online: example.com/gc",
    "Questions? help@example.com",
    "Opening hours: Mon-Sat 9-20",
    "Scan the code to check your balance:",
]
BALANCE = "BALANCE:  €40.00"
UNDERLINED = "Balance in EUR incl. VAT"
QR_URL = "https://example.com/gc/4821?b=40.00"
CARD_ID = "GC-4821-7F3A-9B2C"


def receipt(config: str) -> bytes:
    """One receipt on a fresh Dummy printer."""
    p = Dummy(profile=PROFILE)
    p.hw("INIT")  # ESC @
    if config == "cp858":
        # Emits ESC t 19 at once, so only after ESC @ (which resets the page to slot 0).
        p.charcode("CP858")
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.textln("GIFT SHOP")
    p.set(bold=False, normal_textsize=True)
    p.textln("Gift Card Balance")
    p.set(align="left")
    for line in HEADER_LINES:
        p.textln(line)
    p.set(bold=True, double_height=True)
    p.textln(BALANCE)
    p.set(bold=False, normal_textsize=True)
    p.set(underline=1)
    p.textln(UNDERLINED)
    p.set(underline=0)
    for line in FOOTER_LINES:
        p.textln(line)
    # Native QR cannot be centred by qr() itself: centre with ESC a first.
    p.set(align="center")
    p.qr(QR_URL, size=6, native=True)
    p.textln(CARD_ID)
    p.ln(2)
    p.cut()
    return p.output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=2000, help="receipts per round")
    parser.add_argument("--config", choices=["auto", "cp858"], default="auto",
                        help="auto: MagicEncode picks code pages (the default); cp858: charcode('CP858')")
    parser.add_argument("--out", help="write one receipt's bytes here")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    one = receipt(args.config)
    if args.out:
        with open(args.out, "wb") as f:
            f.write(one)

    rates = []
    for _ in range(args.rounds):
        total = 0
        start = time.perf_counter()
        for _ in range(args.count):
            total += len(receipt(args.config))
        elapsed = time.perf_counter() - start
        assert total == len(one) * args.count, "receipts differ between runs"
        rates.append(args.count / elapsed)
    rate = statistics.median(rates)
    print(f"tool=python-escpos config={args.config} receipts_per_s={rate:.1f} "
          f"us_per_receipt={1e6 / rate:.1f} bytes={len(one)} "
          f"runs={','.join(f'{r:.0f}' for r in rates)}")


if __name__ == "__main__":
    main()
