#!/usr/bin/python3
"""giftbridge's contactless card emulations for the NFC integration tests.

Each one is a virtual card for vpcd (vsmartcard-vpcd, loaded by pcscd): the card enters the
reader's field when this program connects to vpcd and leaves it when the program exits (or, for
`ntag-pulled`, when it drops the connection in the middle of the read). Built on the
virtualsmartcard package (python3-virtualsmartcard): a SmartcardOS subclass answers the APDUs,
the package's VirtualICC loop speaks vpcd's protocol.

    vcard.py [--port 35963] ntag-uri URI          NTAG213 (Type 2) with an NDEF URI record
    vcard.py [--port 35963] type4-text TEXT       Type 4 tag with an NDEF text record
    vcard.py [--port 35963] ntag-pulled URI N     an NTAG that leaves after N commands
    vcard.py [--port 35963] phone PUBKEY.pem PASS_TYPE_ID MESSAGE [--tamper] [--age SECONDS]
                                                  a phone with an Apple Wallet pass (VAS): the
                                                  message is encrypted as a phone does, for the
                                                  merchant public key
    vcard.py [--port 35963] phone-empty           a phone with no matching pass
    vcard.py keygen PRIVATE.pem PUBLIC.pem        a test merchant key pair (private: mode 0600)

It prints "placed" once vpcd has asked for the ATR (the card is in the field) and each
command's INS byte count on exit; never card data.
"""
import argparse
import hashlib
import os
import signal
import socket
import struct
import sys
import time

# virtualsmartcard imports PyCrypto's `Crypto` (and falls back to Python 2's `sha`); Debian 12
# ships PyCryptodome as `Cryptodome` (python3-pycryptodome): it stands in under the old name.
try:
    import Crypto.Cipher  # noqa: F401
except ImportError:
    try:
        import Cryptodome
        import Cryptodome.Cipher
        import Cryptodome.Hash
        sys.modules["Crypto"] = Cryptodome
        sys.modules["Crypto.Cipher"] = Cryptodome.Cipher
        sys.modules["Crypto.Hash"] = Cryptodome.Hash
    except ImportError:
        pass
try:
    from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC
except ImportError:  # Debian's package installs below site-packages/virtualsmartcard/
    for base in ("/usr/lib/python3/site-packages/virtualsmartcard", "/usr/lib/python3/dist-packages/virtualsmartcard"):
        if os.path.isdir(os.path.join(base, "virtualsmartcard")):
            sys.path.insert(0, base)
    from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC

OK = b"\x90\x00"
UID = bytes.fromhex("04A1B2C3D4E5F6")
# PC/SC part 3 ATR of a contactless storage card: ISO 14443 A part 3, MIFARE Ultralight / NTAG.
STORAGE_ATR = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
# An ISO 14443-4 card without historical bytes (a Type 4 tag, a phone).
ISO14443_4_ATR = bytes.fromhex("3B80800101")
NDEF_AID = bytes.fromhex("D2760000850101")
VAS_AID = b"OSE.VAS.01"
URI_PREFIXES = ["", "http://www.", "https://www.", "http://", "https://"]


class CardRemoved(Exception):
    pass


def tlv(tag, value):
    t = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    n = len(value)
    length = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n <= 0xFF else bytes([0x82, n >> 8, n & 0xFF]))
    return t + length + value


def find_tlv(data, wanted):
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            while True:
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        n = data[i]
        i += 1
        if n == 0x81:
            n = data[i]
            i += 1
        value = data[i:i + n]
        i += n
        if tag == wanted:
            return value
    return None


def uri_record(uri):
    code = max((i for i, p in enumerate(URI_PREFIXES) if p and uri.startswith(p)), key=lambda i: len(URI_PREFIXES[i]), default=0)
    payload = bytes([code]) + uri[len(URI_PREFIXES[code]):].encode()
    return bytes([0xD1, 0x01, len(payload)]) + b"U" + payload


def text_record(text, lang="en"):
    payload = bytes([len(lang)]) + lang.encode() + text.encode()
    return bytes([0xD1, 0x01, len(payload)]) + b"T" + payload


class CardOS(SmartcardOS):
    """Counts commands; leaves the field after `leave_after` of them."""

    atr = ISO14443_4_ATR

    def __init__(self, leave_after=None):
        self.count = 0
        self.leave_after = leave_after

    placed = False

    def getATR(self):
        if not self.placed:
            print("placed", flush=True)
            self.placed = True
        return self.atr

    def execute(self, msg):
        if self.leave_after is not None and self.count >= self.leave_after:
            raise CardRemoved()
        self.count += 1
        if msg[:4] == b"\xFF\xCA\x00\x00":  # the reader's GET DATA (UID)
            return UID + OK
        return self.answer(msg)

    def answer(self, msg):
        return b"\x6D\x00"


class NTAG(CardOS):
    """NTAG213: 45 pages of 4 bytes; READ (FF B0 00 page 10) returns 4 pages."""

    atr = STORAGE_ATR

    def __init__(self, message, leave_after=None):
        super().__init__(leave_after)
        memory = bytearray(45 * 4)
        memory[0:9] = UID[0:3] + bytes([0x88]) + UID[3:7] + b"\x00"
        memory[12:16] = bytes([0xE1, 0x10, 0x12, 0x00])  # NDEF 1.0, 144-byte data area, read/write
        tlvs = bytes([0x03, len(message)]) + message + b"\xFE"
        memory[16:16 + len(tlvs)] = tlvs
        self.memory = bytes(memory)

    def answer(self, msg):
        if len(msg) == 5 and msg[:3] == b"\xFF\xB0\x00":
            start = msg[3] * 4
            if start >= len(self.memory):
                return b"\x6A\x82"
            data = (self.memory + self.memory)[start:start + msg[4]]  # reads roll over, as on an NTAG
            return data + OK
        return b"\x6A\x81"


class Type4(CardOS):
    def __init__(self, message, leave_after=None):
        super().__init__(leave_after)
        self.cc = bytes.fromhex("000F20003B00340406E104100000 00".replace(" ", ""))
        self.ndef = len(message).to_bytes(2, "big") + message
        self.app = False
        self.file = None

    def answer(self, msg):
        if msg[:4] == b"\x00\xA4\x04\x00":
            if msg[5:5 + msg[4]] == NDEF_AID:
                self.app = True
                return OK
            return b"\x6A\x82"
        if msg[:2] == b"\x00\xA4" and self.app:
            fid = msg[5:7]
            self.file = {b"\xE1\x03": self.cc, b"\xE1\x04": self.ndef}.get(fid)
            return OK if self.file is not None else b"\x6A\x82"
        if msg[:2] == b"\x00\xB0" and self.file is not None:
            offset = (msg[2] << 8) | msg[3]
            n = msg[4] or 256
            if offset + n > len(self.file):
                return b"\x6B\x00"
            return self.file[offset:offset + n] + OK
        return b"\x6D\x00"


class Phone(CardOS):
    """An iPhone's VAS applet: SELECT OSE.VAS.01, then GET VAS DATA per pass type identifier."""

    def __init__(self, passes, tamper=False, age=0):
        super().__init__()
        self.passes = passes  # sha256(pass type id) -> (public key, message)
        self.tamper = tamper
        self.age = age
        # Encrypted before the phone is placed: a phone answers GET VAS DATA at once, and a
        # slow answer (Python importing its crypto on a loaded machine) makes vpcd report the
        # card gone.
        self.cryptograms = {h: encrypt(key, h, message, age) for h, (key, message) in passes.items()}

    def answer(self, msg):
        if msg[:4] == b"\x00\xA4\x04\x00":
            if msg[5:5 + msg[4]] != VAS_AID:
                return b"\x6A\x82"
            body = tlv(0x50, b"ApplePay") + tlv(0x9F21, b"\x01\x00") + tlv(0x9F24, os.urandom(4)) + tlv(0x9F23, b"\x00\x00\x00\x08")
            return tlv(0x6F, body) + OK
        if msg[:3] == b"\x80\xCA\x01":
            body = msg[5:5 + msg[4]]
            if msg[3] == 0x00:
                return OK  # URL-only mode: the phone opens the URL
            pass_hash = find_tlv(body, 0x9F25)
            if pass_hash not in self.passes:
                return b"\x62\x87"
            cryptogram = self.cryptograms[pass_hash]
            if self.tamper:
                cryptogram = cryptogram[:-1] + bytes([cryptogram[-1] ^ 0x01])
            return tlv(0x70, tlv(0x9F27, cryptogram)) + OK
        return b"\x6D\x00"


def encrypt(merchant_public, pass_hash, message, age):
    """The phone's side: an ephemeral P-256 key, ECDH with the merchant's public key, the ANSI
    X9.63 KDF (SHA-256) over the shared X with shared info 0x0D 'id-aes256-GCM' 'ApplePay
    encrypted VAS data' SHA-256(pass type id), AES-256-GCM with a 16-byte zero IV over the
    timestamp (seconds since 2001-01-01, big endian) and the message."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), merchant_public)
    info = bytes([13]) + b"id-aes256-GCM" + b"ApplePay encrypted VAS data" + pass_hash
    key = X963KDF(algorithm=hashes.SHA256(), length=32, sharedinfo=info).derive(shared)
    timestamp = int(time.time()) - 978307200 - age
    sealed = AESGCM(key).encrypt(bytes(16), timestamp.to_bytes(4, "big") + message, None)
    key_id = hashlib.sha256(merchant_public.public_numbers().x.to_bytes(32, "big")).digest()[:4]
    return key_id + ephemeral.public_key().public_numbers().x.to_bytes(32, "big") + sealed


class Reader(VirtualICC):
    """VirtualICC's vpcd loop with our card OS (its own constructor builds the package's cards)."""

    def __init__(self, card, host, port):
        self.os = card
        self.type = "giftbridge"
        self.host = host
        self.port = port
        self.server_sock = None
        self.sock = socket.create_connection((host, port))
        self.sock.settimeout(None)


def keygen(private_path, public_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(public_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def main():
    # A test process may start us with signals blocked (inherited): SIGTERM takes the card away.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=35963)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("mode")
    p.add_argument("args", nargs="*")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--age", type=int, default=0)
    a = p.parse_args()
    if a.mode == "keygen":
        keygen(*a.args)
        return
    if a.mode == "ntag-uri":
        card = NTAG(uri_record(a.args[0]))
    elif a.mode == "ntag-pulled":
        card = NTAG(uri_record(a.args[0]), leave_after=int(a.args[1]))
    elif a.mode == "type4-text":
        card = Type4(text_record(a.args[0]))
    elif a.mode in ("phone", "phone-empty"):
        passes = {}
        if a.mode == "phone":
            from cryptography.hazmat.primitives import serialization
            with open(a.args[0], "rb") as f:
                public = serialization.load_pem_public_key(f.read())
            passes[hashlib.sha256(a.args[1].encode()).digest()] = (public, a.args[2].encode())
        card = Phone(passes, tamper=a.tamper, age=a.age)
    else:
        p.error("unknown mode " + a.mode)
    reader = Reader(card, a.host, a.port)
    try:
        reader.run()
    except CardRemoved:
        print("pulled away after %d commands" % card.count, flush=True)
    except SystemExit:
        pass
    finally:
        reader.sock.close()


if __name__ == "__main__":
    main()
