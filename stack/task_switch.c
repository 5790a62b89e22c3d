/*
 * task_switch.c - task_ctx_make and task_ctx_switch (task_switch.h): the
 * context switch of the tasks, in assembly on x86-64 and aarch64, through
 * ucontext elsewhere.
 *
 * The assembly switch is a function call: the compiler already saved the
 * caller-saved registers, so only the callee-saved ones (System V AMD64
 * ABI §3.2.1; AAPCS64 §6.1.1) go on the old stack before the stack
 * pointers are swapped.  A new context's stack is laid out as if it had
 * been switched away from at the start of task_ctx_start, which moves the
 * saved argument into place and calls the entry function.  Nothing else is
 * saved: no signal mask (one thread, and tasks do not change it), and of
 * the floating-point state only the control words (MXCSR and the x87
 * control word on x86-64, as Boost.Context does; aarch64's FPCR is left
 * alone, as Go's runtime does).
 *
 * Read before editing: the two ABIs' register tables; Go's
 * runtime/asm_amd64.s gogo and runtime/asm_arm64.s gogo for the same job.
 */
#include "task_switch.h"

#include <stdint.h>
#include <string.h>

#if TS_TASK_SWITCH_ASM && defined(__x86_64__)

const char task_switch_impl[] = "x86-64 assembly";

/*
 * task_ctx_switch(from = %rdi, to = %rsi).  The frame, from high to low:
 * return address, rbp, rbx, r12, r13, r14, r15, then 8 bytes holding MXCSR
 * (4) and the x87 control word (2).  rsp stays 16-byte aligned at the call
 * into a new task's entry.
 */
__asm__(".text\n"
	".globl task_ctx_switch\n"
	".hidden task_ctx_switch\n"
	".type task_ctx_switch,@function\n"
	".p2align 4\n"
	"task_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size task_ctx_switch, .-task_ctx_switch\n"
	/* A new task's first "return": r12 holds the argument, r13 the entry.
	 * The undefined return address ends a debugger's backtrace here. */
	".globl task_ctx_start\n"
	".hidden task_ctx_start\n"
	".type task_ctx_start,@function\n"
	".p2align 4\n"
	"task_ctx_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined rip\n"
	"	movq %r12, %rdi\n"
	"	callq *%r13\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size task_ctx_start, .-task_ctx_start\n");

void task_ctx_start(void);

void task_ctx_make(struct task_ctx *c, void *stack_lo, size_t size, void (*entry)(void *),
		   void *arg)
{
	uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
	uint64_t *f = (uint64_t *)(top - 64);
	uint32_t mxcsr = 0x1f80; /* the power-on defaults: all exceptions masked, */
	uint16_t fpucw = 0x037f; /* round to nearest, x87 extended precision */

	memset(f, 0, 64);
	memcpy(&f[0], &mxcsr, sizeof(mxcsr));
	memcpy((uint8_t *)&f[0] + 4, &fpucw, sizeof(fpucw));
	f[3] = (uint64_t)(uintptr_t)entry; /* r13 */
	f[4] = (uint64_t)(uintptr_t)arg;   /* r12 */
	f[6] = 0;			   /* rbp: the end of the frame-pointer chain */
	f[7] = (uint64_t)(uintptr_t)task_ctx_start;
	c->sp = f;
}

#elif TS_TASK_SWITCH_ASM && defined(__aarch64__)

const char task_switch_impl[] = "aarch64 assembly";

/*
 * task_ctx_switch(from = x0, to = x1).  The frame (160 bytes, 16-aligned):
 * x19..x28, x29 (fp), x30 (lr, where ret goes), d8..d15.
 */
__asm__(".text\n"
	".globl task_ctx_switch\n"
	".hidden task_ctx_switch\n"
	".type task_ctx_switch,%function\n"
	".p2align 4\n"
	"task_ctx_switch:\n"
	"	sub sp, sp, #160\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	ldr x9, [x1]\n"
	"	mov sp, x9\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	add sp, sp, #160\n"
	"	ret\n"
	".size task_ctx_switch, .-task_ctx_switch\n"
	/* A new task's first "return": x19 holds the argument, x20 the entry. */
	".globl task_ctx_start\n"
	".hidden task_ctx_start\n"
	".type task_ctx_start,%function\n"
	".p2align 4\n"
	"task_ctx_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined x30\n"
	"	mov x0, x19\n"
	"	blr x20\n"
	"	brk #0\n"
	"	.cfi_endproc\n"
	".size task_ctx_start, .-task_ctx_start\n");

void task_ctx_start(void);

void task_ctx_make(struct task_ctx *c, void *stack_lo, size_t size, void (*entry)(void *),
		   void *arg)
{
	uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
	uint64_t *f = (uint64_t *)(top - 160);

	memset(f, 0, 160);
	f[0] = (uint64_t)(uintptr_t)arg;	     /* x19 */
	f[1] = (uint64_t)(uintptr_t)entry;	     /* x20 */
	f[10] = 0;				     /* x29: the end of the frame-pointer chain */
	f[11] = (uint64_t)(uintptr_t)task_ctx_start; /* x30 */
	c->sp = f;
}

#else

const char task_switch_impl[] = "ucontext";

/* makecontext passes ints: the context's address arrives in two halves. */
static void uc_start(unsigned hi, unsigned lo)
{
	struct task_ctx *c = (struct task_ctx *)(((uintptr_t)hi << 16 << 16) | (uintptr_t)lo);
	c->entry(c->arg);
}

void task_ctx_make(struct task_ctx *c, void *stack_lo, size_t size, void (*entry)(void *),
		   void *arg)
{
	uintptr_t p = (uintptr_t)c;
	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = stack_lo;
	c->uc.uc_stack.ss_size = size;
	c->uc.uc_link = NULL; /* entry never returns */
	c->entry = entry;
	c->arg = arg;
	makecontext(&c->uc, (void (*)(void))uc_start, 2, (unsigned)(p >> 16 >> 16),
		    (unsigned)(p & 0xffffffffu));
}

void task_ctx_switch(struct task_ctx *from, struct task_ctx *to)
{
	swapcontext(&from->uc, &to->uc);
}

#endif
