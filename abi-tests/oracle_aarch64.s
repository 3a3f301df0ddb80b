// Register-dump oracle stubs for AAPCS64 (used by abicall's conformance
// runs, abi-tests/src/oracle.rs; built with aarch64-linux-gnu-gcc and run
// under qemu-aarch64-static).
//
// dump:    called through a function pointer of the generated type; stores
//          x0-x7 (regs+0..64), x8 (regs+64: the indirect result register),
//          q0-q7 (regs+80, 16 bytes each) and the first `stksize` bytes of
//          the outgoing argument area (from sp) to stk.
// retstub: mode 0: loads x0, x1 from rimg+0/8 and q0-q3 from rimg+16..80;
//          mode 1: copies `retsize` bytes of rimg through x8 (only when it
//          points near the stack); mode 4: wherever x8 points (abicall as
//          the caller, abi-tests/src/dump.rs).
    .text
    .globl dump
dump:
    adrp x9, regs
    add x9, x9, :lo12:regs
    stp x0, x1, [x9]
    stp x2, x3, [x9, 16]
    stp x4, x5, [x9, 32]
    stp x6, x7, [x9, 48]
    str x8, [x9, 64]
    stp q0, q1, [x9, 80]
    stp q2, q3, [x9, 112]
    stp q4, q5, [x9, 144]
    stp q6, q7, [x9, 176]
    adrp x10, stk
    add x10, x10, :lo12:stk
    adrp x14, stksize
    ldr x14, [x14, :lo12:stksize]
    mov x11, sp
    mov x12, 0
1:  cmp x12, x14
    b.ge 2f
    ldr x13, [x11, x12]
    str x13, [x10, x12]
    add x12, x12, 8
    b 1b
2:  ret

    .globl retstub
retstub:
    adrp x9, mode
    ldr w9, [x9, :lo12:mode]
    adrp x10, rimg
    add x10, x10, :lo12:rimg
    cmp w9, 4
    b.eq 4f
    cmp w9, 1
    b.eq 1f
    ldp x0, x1, [x10]
    ldp q0, q1, [x10, 16]
    ldp q2, q3, [x10, 48]
    ret
1:  mov x11, sp
    sub x11, x8, x11
    mov x12, 65536
    cmp x11, x12
    b.hi 3f
4:  adrp x11, retsize
    ldr x11, [x11, :lo12:retsize]
    mov x12, 0
2:  cmp x12, x11
    b.ge 3f
    ldrb w13, [x10, x12]
    strb w13, [x8, x12]
    add x12, x12, 1
    b 2b
3:  ret
    .section .note.GNU-stack,"",@progbits
