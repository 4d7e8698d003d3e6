// A bare-metal arm64 program for scripts/bench/test_insncount.py: between
// the markers, f is called twice; f calls g. Ends by PSCI SYSTEM_OFF (hvc).
// Per call: f runs 4 instructions of its own, g 3: f with callees 7.
	.text
	.globl _start
_start:
	hint #126
	bl f
	bl f
	hint #127
	movz w0, #0x0008
	movk w0, #0x8400, lsl #16
	hvc #0
1:	b 1b
	.globl f
f:
	mov x9, x30
	bl g
	mov x30, x9
	ret
	.globl g
g:
	nop
	nop
	ret
	.globl end
end:
	nop
