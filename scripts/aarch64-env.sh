# Environment for building and testing abicall for aarch64 Linux on another
# machine (issue 14): link with the aarch64 cross gcc, build C (bundled
# libffi, test fixtures) with it, and run every test binary under qemu-user
# with the cross toolchain's glibc. Source it, then:
#   cargo test -p abicall -p abicall-conformance -p abicall-cli -p abicall-capi \
#     --target aarch64-unknown-linux-gnu
# scripts/test.sh sources it (and installs the tools) when the machine is
# not aarch64; on an aarch64 machine plain `cargo test` is the native run.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# One glibc for qemu: the loader and libc must come from the same place or
# every fork and thread hangs. With Debian's libc6:arm64 installed (the
# rustc-web route pulls it in) /etc/ld.so.cache names /lib/aarch64-linux-gnu,
# so the root is `/`; otherwise the cross toolchain's sysroot. The tests read
# ABICALL_QEMU_LD_PREFIX for the aarch64 programs they run themselves.
if [ -e /lib/aarch64-linux-gnu/libc.so.6 ]; then
  export ABICALL_QEMU_LD_PREFIX=/
else
  export ABICALL_QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L $ABICALL_QEMU_LD_PREFIX"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
