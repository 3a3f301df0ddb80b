/* gcc 12.2 (Debian 12.2.0-14) -O2 miscompiles va_arg of a 16-byte-aligned union
   passed in general registers: the callee spills rsi/rdx to its red zone at an
   8-mod-16 address and reloads them with movdqa -> SIGSEGV. gcc -O0, gcc -O1 and
   clang 14 -O2 print 42. Found by abicall abi-test --seed 3 (signature 613).
   Run: gcc -O2 gcc12-va-arg-aligned-union.c && ./a.out */
#include <stdarg.h>
#include <stdio.h>
union u { __int128 m0; short m1; float m2[3]; };
__attribute__((noinline)) long f(int n, ...) {
    va_list ap; va_start(ap, n);
    union u x = va_arg(ap, union u);
    va_end(ap);
    return x.m1;
}
int main(void) {
    union u x = { .m1 = 42 };
    printf("%ld\n", f(1, x));  /* x in rsi:rdx -> gp_offset 8 */
    return 0;
}
