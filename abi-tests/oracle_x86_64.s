# Register-dump oracle stubs for x86_64 System V (used by abicall's
# conformance runs, abi-tests/src/oracle.rs).
#
# dump:    called through a function pointer of the generated type; stores
#          rdi rsi rdx rcx r8 r9 (regs+0..48), rax (regs+48: `al` of a
#          variadic call), xmm0-7 (regs+56, 16 bytes each) and the first
#          `stksize` bytes of the outgoing argument area (from rsp+8) to stk.
#          Returns rdi in rax (the hidden result pointer, if any).
# retstub: mode 0: loads rax, rdx, xmm0, xmm1 from rimg+0/8/16/32;
#          mode 2/3: also st0 (rimg+48) / st1 (rimg+64) as x87 values;
#          mode 1: copies `retsize` bytes of rimg through the hidden pointer in
#          rdi (only when it points near the stack) and returns it in rax;
#          mode 4: the same wherever rdi points (abicall as the caller,
#          abi-tests/src/dump.rs, whose result buffer may be on the heap).
    .text
    .globl dump
dump:
    movq %rdi, regs+0(%rip)
    movq %rsi, regs+8(%rip)
    movq %rdx, regs+16(%rip)
    movq %rcx, regs+24(%rip)
    movq %r8, regs+32(%rip)
    movq %r9, regs+40(%rip)
    movq %rax, regs+48(%rip)
    movdqu %xmm0, regs+56(%rip)
    movdqu %xmm1, regs+72(%rip)
    movdqu %xmm2, regs+88(%rip)
    movdqu %xmm3, regs+104(%rip)
    movdqu %xmm4, regs+120(%rip)
    movdqu %xmm5, regs+136(%rip)
    movdqu %xmm6, regs+152(%rip)
    movdqu %xmm7, regs+168(%rip)
    leaq 8(%rsp), %rsi
    leaq stk(%rip), %rdi
    movq stksize(%rip), %rcx
    rep movsb
    movq regs+0(%rip), %rax
    ret

    .globl retstub
retstub:
    movl mode(%rip), %eax
    cmpl $4, %eax
    je 5f
    cmpl $1, %eax
    je 1f
    movq rimg+0(%rip), %rax
    movq rimg+8(%rip), %rdx
    movdqu rimg+16(%rip), %xmm0
    movdqu rimg+32(%rip), %xmm1
    cmpl $2, mode(%rip)
    jl 3f
    je 2f
    fldt rimg+64(%rip)
2:  fldt rimg+48(%rip)
3:  ret
1:  movq %rdi, %rax
    movq %rdi, %rcx
    subq %rsp, %rcx
    cmpq $65536, %rcx
    ja 4f
    leaq rimg(%rip), %rsi
    movq retsize(%rip), %rcx
    rep movsb
4:  ret
5:  movq %rdi, %rax
    leaq rimg(%rip), %rsi
    movq retsize(%rip), %rcx
    rep movsb
    ret
    .section .note.GNU-stack,"",@progbits
