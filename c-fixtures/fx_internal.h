/* Helpers shared by the fixture sources; not part of the declared interface
 * (abi_cases.h). */
#ifndef FX_INTERNAL_H
#define FX_INTERNAL_H

/* Records a mismatch description for fx_last_error_msg() and fx_last_error;
 * always returns 0 so checks can `return fx_fail(...)`. */
__attribute__((visibility("hidden"), format(printf, 1, 2))) int fx_fail(const char *fmt, ...);

/* Compares one member; on mismatch records "<ctx>: <name> = <got>, expected
 * <want>" and returns 0 from the enclosing function. */
#define FX_CHK(ctx, name, got, want, fmt)                                                      \
    do {                                                                                       \
        if (!((got) == (want)))                                                                \
            return fx_fail("%s: %s = " fmt ", expected " fmt, (ctx), (name), (got), (want));   \
    } while (0)

/* Casts a function pointer to another function pointer type without
 * -Wcast-function-type noise (used on purpose to pass dirty registers). */
#define FX_FN_CAST(type, fn) ((type)(void (*)(void))(fn))

#endif
