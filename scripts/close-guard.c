/* Preloaded into the test processes by scripts/test (and so into the daemons they start).
 *
 * A descriptor closed twice is a latent corruption: between the two closes another thread can
 * get the same number (a pipe, a socket, a database file), and the second close takes it away
 * from its owner. That shows up only now and then, far from the bug. With this guard the second
 * close of a number nobody reopened yet (EBADF) stops the process at once, and the Swift
 * backtracer names the code that did it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int (*real_close)(int);

int close(int fd) {
    if (!real_close) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    int rc = real_close(fd);
    if (rc == -1 && errno == EBADF && fd >= 0) {
        char msg[96];
        int n = snprintf(msg, sizeof msg, "close-guard: close(%d) of a descriptor that was not open (closed twice?)\n", fd);
        if (n > 0) (void)!write(2, msg, (size_t)n);
        abort();
    }
    return rc;
}
