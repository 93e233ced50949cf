/* hil-helper: the device side of the USB gadgets in the HIL guest, and small probes.
 * Built on the host by scripts/hil/run (cc -O2 -static if possible), run inside the guest.
 *
 *   hil-helper type LAYOUT TEXT [HIDG]    type TEXT ("\n" = Enter) on the HID keyboard gadget as a
 *                                         reader set up for LAYOUT (us | de) would: one press
 *                                         report and one release report per key, dead keys
 *                                         followed by a space; HIL_TYPE_GAP_US (default 2000)
 *                                         microseconds between reports: ~200 characters/s,
 *                                         still faster than most real readers (a 10 ms HID poll
 *                                         interval gives ~50/s); 0 = as fast as the gadget goes
 *   hil-helper printer DEV CAPTURE STATE  play an ESC/POS receipt printer on the printer gadget:
 *                                         append everything the host sends to CAPTURE, answer
 *                                         DLE EOT 1..4, and keep the USB port status in line
 *                                         with STATE (a file: "ok", "empty", or "silent-empty"
 *                                         = paper out shown only in the port status, DLE EOT
 *                                         unanswered; "silent" = paper in, DLE EOT unanswered)
 *   hil-helper evcount EVDEV MS           count key events another reader of EVDEV sees in MS
 *   hil-helper evgrab EVDEV               exit 0 "free" if EVIOCGRAB succeeds, 3 "busy" if held
 *   hil-helper lpstatus LP                print the USB port status as usblp's LPGETSTATUS gives it
 *   hil-helper strip-status IN OUT        copy IN to OUT without DLE EOT n queries (10 04 01..04)
 *   hil-helper magtek HIDG TRACK1 TRACK2  one swipe report of a MagTek reader in HID mode (337
 *                                         bytes: decode status and length of tracks 1-3, card
 *                                         encode type, three 110-byte track fields with sentinels)
 *   hil-helper hidpos HIDG AIM DATA       one scan as a Honeywell HID POS scanner reports it
 *                                         (report 2, 64 bytes: length, AIM id, 56 data bytes,
 *                                         2 bytes code id, flags); longer DATA in several reports,
 *                                         all but the last with the continuation flag
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define GADGET_SET_PRINTER_STATUS _IOWR('g', 0x22, unsigned char)
#define EVIOCGRAB_ _IOW('E', 0x90, int)
/* USB printer class port status bits (as LPGETSTATUS reports them). */
#define PS_NOT_ERROR 0x08
#define PS_SELECTED 0x10
#define PS_PAPER_EMPTY 0x20

static int die(const char *what) {
    fprintf(stderr, "hil-helper: %s: %s\n", what, strerror(errno));
    return 1;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- keyboard */
enum { SHIFT = 0x02 };
struct key { uint8_t mod, usage, dead; };

/* HID usage ids of the boot keyboard (USB HID Usage Tables, page 7). */
static int lookup(const char *layout, char c, struct key *k) {
    k->mod = 0; k->dead = 0;
    int de = strcmp(layout, "de") == 0;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
        char l = c | 0x20;
        /* German (QWERTZ): the Y and Z keys are swapped */
        if (de && (l == 'y' || l == 'z')) l = l == 'y' ? 'z' : 'y';
        k->usage = 0x04 + (l - 'a');
        k->mod = c < 'a' ? SHIFT : 0;
    }
    else if (c >= '1' && c <= '9') { k->usage = 0x1e + (c - '1'); }
    else if (c == '0') { k->usage = 0x27; }
    else if (c == '\n') { k->usage = 0x28; }
    else if (c == ' ') { k->usage = 0x2c; }
    else if (!de) {
        switch (c) {
        case ';': k->usage = 0x33; break;
        case ':': k->usage = 0x33; k->mod = SHIFT; break;
        case '=': k->usage = 0x2e; break;
        case '+': k->usage = 0x2e; k->mod = SHIFT; break;
        case '?': k->usage = 0x38; k->mod = SHIFT; break;
        case '/': k->usage = 0x38; break;
        case '%': k->usage = 0x22; k->mod = SHIFT; break;
        case '^': k->usage = 0x23; k->mod = SHIFT; break;
        case '-': k->usage = 0x2d; break;
        case '_': k->usage = 0x2d; k->mod = SHIFT; break;
        case '.': k->usage = 0x37; break;
        case ',': k->usage = 0x36; break;
        default: return -1;
        }
    } else {
        /* German: punctuation on other keys, ^ a dead key */
        switch (c) {
        case ';': k->usage = 0x36; k->mod = SHIFT; break;
        case ':': k->usage = 0x37; k->mod = SHIFT; break;
        case '=': k->usage = 0x27; k->mod = SHIFT; break;
        case '+': k->usage = 0x30; break;
        case '?': k->usage = 0x2d; k->mod = SHIFT; break;
        case '/': k->usage = 0x24; k->mod = SHIFT; break;
        case '%': k->usage = 0x22; k->mod = SHIFT; break;
        case '^': k->usage = 0x35; k->dead = 1; break;
        case '-': k->usage = 0x38; break;
        case '_': k->usage = 0x38; k->mod = SHIFT; break;
        case '.': k->usage = 0x37; break;
        case ',': k->usage = 0x36; break;
        default: return -1;
        }
    }
    return 0;
}

static useconds_t type_gap_us = 2000;

static int report(int fd, uint8_t mod, uint8_t usage) {
    uint8_t r[8] = {mod, 0, usage, 0, 0, 0, 0, 0};
    if (type_gap_us) usleep(type_gap_us);
    /* hidg takes one report per write(); it blocks while the previous one is in flight. */
    return write(fd, r, 8) == 8 ? 0 : -1;
}

static int cmd_type(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *layout = argv[2], *text = argv[3], *dev = argc > 4 ? argv[4] : "/dev/hidg0";
    if (strcmp(layout, "us") && strcmp(layout, "de")) { fprintf(stderr, "hil-helper: layout us or de\n"); return 2; }
    if (getenv("HIL_TYPE_GAP_US")) type_gap_us = (useconds_t)atoi(getenv("HIL_TYPE_GAP_US"));
    int fd = open(dev, O_WRONLY);
    if (fd < 0) return die(dev);
    for (const char *p = text; *p; p++) {
        struct key k;
        if (lookup(layout, *p, &k) < 0) { fprintf(stderr, "hil-helper: no key for '%c' on %s\n", *p, layout); return 2; }
        /* press, then release all: the kernel drops a press of a key that is already down */
        if (report(fd, k.mod, k.usage) || report(fd, 0, 0)) return die("write hidg");
        if (k.dead && (report(fd, 0, 0x2c) || report(fd, 0, 0))) return die("write hidg");
    }
    close(fd);
    return 0;
}

/* ---------------------------------------------------------------- printer */
static volatile sig_atomic_t stop_flag;
static void on_term(int s) { (void)s; stop_flag = 1; }

static void read_state(const char *path, char *buf, size_t n) {
    int fd = open(path, O_RDONLY);
    ssize_t r = fd >= 0 ? read(fd, buf, n - 1) : -1;
    if (fd >= 0) close(fd);
    if (r <= 0) { snprintf(buf, n, "ok"); return; }
    buf[r] = 0;
    buf[strcspn(buf, " \r\n")] = 0;
}

/* Epson DLE EOT replies: bits 1 and 4 always set. */
static uint8_t status_reply(int n, int empty) {
    switch (n) {
    case 1: return empty ? 0x1e : 0x16;   /* bit 3: offline */
    case 2: return empty ? 0x32 : 0x12;   /* bit 5: stopped by paper end */
    case 3: return 0x12;
    default: return empty ? 0x72 : 0x12;  /* bits 5-6: roll paper end */
    }
}

static int cmd_printer(int argc, char **argv) {
    if (argc < 5) return 2;
    const char *dev = argv[2], *capture = argv[3], *statefile = argv[4];
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    int out = open(capture, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0) return die(capture);
    int fd = -1, parse = 0, port = -1;
    uint8_t buf[65536];
    while (!stop_flag) {
        if (fd < 0) {
            /* the gadget node is single-open and fails while the gadget is unbound */
            fd = open(dev, O_RDWR | O_NONBLOCK);
            if (fd < 0) { usleep(100000); continue; }
            port = -1;
        }
        char state[32];
        read_state(statefile, state, sizeof state);
        int empty = strcmp(state, "empty") == 0 || strcmp(state, "silent-empty") == 0;
        int silent = strncmp(state, "silent", 6) == 0;
        int want = PS_NOT_ERROR | PS_SELECTED | (empty ? PS_PAPER_EMPTY : 0);
        /* the status byte is the ioctl's argument itself, not a pointer to it */
        if (want != port && ioctl(fd, GADGET_SET_PRINTER_STATUS, (unsigned long)want) >= 0) port = want;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 100);
        if (r <= 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) { close(fd); fd = -1; usleep(100000); continue; }
        if (write(out, buf, n) != n) return die("write capture");
        for (ssize_t i = 0; i < n; i++) {
            uint8_t b = buf[i];
            if (parse == 0) parse = b == 0x10;
            else if (parse == 1) parse = b == 0x04 ? 2 : (b == 0x10);
            else {
                if (b >= 1 && b <= 4 && !silent) {
                    uint8_t reply = status_reply(b, empty);
                    if (write(fd, &reply, 1) != 1) fprintf(stderr, "hil-helper: reply not sent: %s\n", strerror(errno));
                }
                parse = b == 0x10;
            }
        }
    }
    if (fd >= 0) close(fd);
    close(out);
    return 0;
}

/* ---------------------------------------------------------------- evdev probes */
struct input_ev { int64_t sec, usec; uint16_t type, code; int32_t value; };

static int cmd_evcount(int argc, char **argv) {
    if (argc < 4) return 2;
    int fd = open(argv[2], O_RDONLY | O_NONBLOCK);
    if (fd < 0) return die(argv[2]);
    long long end = now_ms() + atoi(argv[3]);
    int keys = 0;
    struct input_ev ev[64];
    for (long long left; (left = end - now_ms()) > 0;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t n = read(fd, ev, sizeof ev);
        for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof ev[0]; i++) keys += ev[i].type == 1;
    }
    printf("%d\n", keys);
    return 0;
}

static int cmd_evgrab(int argc, char **argv) {
    if (argc < 3) return 2;
    int fd = open(argv[2], O_RDONLY | O_NONBLOCK);
    if (fd < 0) return die(argv[2]);
    int one = 1, zero = 0;
    if (ioctl(fd, EVIOCGRAB_, &one) == 0) { ioctl(fd, EVIOCGRAB_, &zero); puts("free"); return 0; }
    if (errno == EBUSY) { puts("busy"); return 3; }
    return die("EVIOCGRAB");
}

static int cmd_lpstatus(int argc, char **argv) {
    if (argc < 3) return 2;
    int fd = open(argv[2], O_RDONLY | O_NONBLOCK), st = 0;
    if (fd < 0) return die(argv[2]);
    if (ioctl(fd, 0x060b /* LPGETSTATUS */, &st) < 0) return die("LPGETSTATUS");
    printf("0x%02x%s\n", st, st & PS_PAPER_EMPTY ? " (paper empty)" : "");
    return 0;
}

static int cmd_strip(int argc, char **argv) {
    if (argc < 4) return 2;
    FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
    if (!in || !out) return die("strip-status");
    uint8_t w[3];
    int have = 0, c;
    while ((c = fgetc(in)) != EOF) {
        w[have++] = (uint8_t)c;
        if (have == 3) {
            if (w[0] == 0x10 && w[1] == 0x04 && w[2] >= 1 && w[2] <= 4) { have = 0; continue; }
            fputc(w[0], out); w[0] = w[1]; w[1] = w[2]; have = 2;
        }
    }
    fwrite(w, 1, have, out);
    fclose(in);
    return fclose(out) == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- HID readers */
/* hidg takes one whole report per write(). */
static int write_report(const char *dev, const uint8_t *r, size_t n) {
    int fd = open(dev, O_WRONLY);
    if (fd < 0) return die(dev);
    ssize_t w = write(fd, r, n);
    if (w != (ssize_t)n) return die("write hidg");
    close(fd);
    return 0;
}

static int cmd_magtek(int argc, char **argv) {
    if (argc < 5) return 2;
    static const size_t offset[3] = {7, 117, 227};
    uint8_t r[337] = {0};
    for (int t = 0; t < 2; t++) {
        size_t n = strlen(argv[3 + t]);
        if (n > 110) { fprintf(stderr, "hil-helper: track %d longer than 110\n", t + 1); return 2; }
        r[3 + t] = (uint8_t)n;
        memcpy(r + offset[t], argv[3 + t], n);
    }
    r[6] = 0;   /* card encode type: ISO/ABA */
    int rc = write_report(argv[2], r, sizeof r);
    memset(r, 0, sizeof r);
    return rc;
}

static int cmd_hidpos(int argc, char **argv) {
    if (argc < 5 || strlen(argv[3]) != 3) return 2;
    const char *data = argv[4];
    size_t left = strlen(data);
    do {
        uint8_t r[64] = {0x02};
        size_t n = left > 56 ? 56 : left;
        r[1] = (uint8_t)n;
        memcpy(r + 2, argv[3], 3);
        memcpy(r + 5, data, n);
        data += n; left -= n;
        r[63] = left ? 0x01 : 0x00;   /* more data follows in the next report */
        if (write_report(argv[2], r, sizeof r)) return 1;
    } while (left);
    return 0;
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    int rc = !strcmp(c, "type") ? cmd_type(argc, argv)
           : !strcmp(c, "printer") ? cmd_printer(argc, argv)
           : !strcmp(c, "evcount") ? cmd_evcount(argc, argv)
           : !strcmp(c, "evgrab") ? cmd_evgrab(argc, argv)
           : !strcmp(c, "lpstatus") ? cmd_lpstatus(argc, argv)
           : !strcmp(c, "strip-status") ? cmd_strip(argc, argv)
           : !strcmp(c, "magtek") ? cmd_magtek(argc, argv)
           : !strcmp(c, "hidpos") ? cmd_hidpos(argc, argv) : 2;
    if (rc == 2) fprintf(stderr, "usage: hil-helper type|printer|evcount|evgrab|lpstatus|strip-status|magtek|hidpos ... (see the source)\n");
    return rc;
}
