/*
 * Entry points of a Micro-VM Studio guest (guest ABI v1), AT&T syntax for gcc and clang.
 *
 *   _start             the ELF entry point: RDI = PEB. Initialises the runtime, publishes
 *                      mv_dispatch_entry in PEB.dispatch_function and reports ready (out 0xE1).
 *   mv_dispatch_entry  where the host starts every call (RSP = stack top, RBP = 0).
 *   mv_invoke          calls a guest function with arguments taken from arrays.
 */

        .section .text.entry, "ax", @progbits

        .globl  _start
        .type   _start, @function
_start:
        .cfi_startproc
        .cfi_undefined rip              /* the outermost frame: unwinders stop here */
        xorl    %ebp, %ebp
        andq    $-16, %rsp
        cld
        /* No FPU/SSE set-up: the host starts the vCPU with FCW 0x37F and MXCSR 0x1F80, and the
         * runtime never touches x87/SSE state unless a guest function takes or returns floats. */
        call    mv__runtime_init        /* RDI = PEB, still as the host passed it */
        movb    $0, %al
        outb    %al, $0xE1              /* ready: the host snapshots the VM here */
1:      hlt                             /* never resumed; if it were, hlt ends the call */
        jmp     1b
        .cfi_endproc
        .size   _start, . - _start

        .globl  mv_dispatch_entry
        .type   mv_dispatch_entry, @function
mv_dispatch_entry:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        andq    $-16, %rsp
        call    mv_dispatch             /* decodes the call, runs it, writes the return record */
        movb    $0, %al
        outb    %al, $0xE1              /* return record ready */
1:      hlt
        jmp     1b
        .cfi_endproc
        .size   mv_dispatch_entry, . - mv_dispatch_entry

/*
 * void mv_invoke(void (*fn)(void), const uint64_t gpr[6], const uint64_t xmm[8], uint64_t out[4],
 *                uint32_t flags)
 *
 * Loads RDI RSI RDX RCX R8 R9 from gpr[0..5], calls fn with a 16-byte aligned stack, then stores
 * out[0] = RAX and out[1] = RDX. SSE is touched only when asked, so that calls without floating
 * point never use the vector unit:
 *   flags & 1  load XMM0-XMM7 from xmm[0..7] first (movq: 64 bits each, upper half zeroed; an
 *              f32 sits in the low 32 bits)
 *   flags & 2  store XMM0 (all 128 bits) into out[2..3] afterwards
 */
        .text
        .globl  mv_invoke
        .type   mv_invoke, @function
mv_invoke:
        .cfi_startproc
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register rbp
        pushq   %rbx
        .cfi_offset rbx, -24
        pushq   %r12
        .cfi_offset r12, -32            /* entry RSP was 8 mod 16; three pushes make it 0 */
        movq    %rcx, %rbx              /* out and flags survive the call in callee-saved registers */
        movl    %r8d, %r12d
        movq    %rdi, %r11              /* fn */
        movq    %rsi, %r10              /* gpr */
        testl   $1, %r12d
        jz      1f
        movq    0(%rdx), %xmm0
        movq    8(%rdx), %xmm1
        movq    16(%rdx), %xmm2
        movq    24(%rdx), %xmm3
        movq    32(%rdx), %xmm4
        movq    40(%rdx), %xmm5
        movq    48(%rdx), %xmm6
        movq    56(%rdx), %xmm7
1:
        movq    0(%r10), %rdi
        movq    8(%r10), %rsi
        movq    16(%r10), %rdx
        movq    24(%r10), %rcx
        movq    32(%r10), %r8
        movq    40(%r10), %r9
        movl    $8, %eax                /* vector-register count, as if fn were variadic */
        call    *%r11
        movq    %rax, 0(%rbx)
        movq    %rdx, 8(%rbx)
        testl   $2, %r12d
        jz      2f
        movdqu  %xmm0, 16(%rbx)
2:
        movq    -16(%rbp), %r12
        movq    -8(%rbp), %rbx
        leave
        .cfi_def_cfa rsp, 8
        ret
        .cfi_endproc
        .size   mv_invoke, . - mv_invoke

        .section .note.GNU-stack, "", @progbits
