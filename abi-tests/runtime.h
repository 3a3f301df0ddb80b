/* The C runtime of abicall's generated conformance code (abi-tests/src/csrc.rs):
   the failure buffer abicall reads after every call, and the masked byte
   comparison every generated callee and caller uses. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
static char conf_fail[1024];
static int conf_nfail;
/* The first recorded failure since the last call, or NULL. */
const char *conf_failure(void) {
    if (!conf_nfail) return 0;
    conf_nfail = 0;
    return conf_fail;
}
/* `sig` names the signature as reports do ("signature 389", "fixed case 7");
   `arg` is the argument (-1: the return value); `what` says which view of it
   ("" or " promoted to int, before narrowing"). */
static int conf_chk_as(const void *got, const unsigned char *want, const unsigned char *mask,
                       unsigned long n, const char *sig, int arg, const char *what) {
    const unsigned char *g = got;
    for (unsigned long i = 0; i < n; i++)
        if ((g[i] ^ want[i]) & mask[i]) {
            if (!conf_nfail)
                snprintf(conf_fail, sizeof conf_fail,
                         "%s, %s %d%s: byte %lu expected %02x, C received %02x (mask %02x)",
                         sig, arg < 0 ? "return value" : "argument", arg, what, i, want[i], g[i], mask[i]);
            conf_nfail++;
            return 1;
        }
    return 0;
}
static int conf_chk(const void *got, const unsigned char *want, const unsigned char *mask,
                    unsigned long n, const char *sig, int arg) {
    return conf_chk_as(got, want, mask, n, sig, arg, "");
}
