/*
 * lackey_prog.c - a tiny program for `valgrind --tool=lackey --trace-mem=yes`
 * (tests/cli/test_import_lackey.sh, tests/data/lackey/sample.txt).
 *
 * Static, no libc (built with -nostdlib -static, x86-64 Linux system calls
 * by hand), so lackey traces only what is here: instruction fetches, stack
 * stores, a store to each of the 16 pages of a bss array, a read-modify-write
 * (lackey's 'M'), an 8-byte store that crosses a page boundary, loads of
 * data, one line on standard output and exit(0).
 */
#include <stddef.h>

#define NR_PAGES 16
#define PAGE 4096

static char buf[NR_PAGES * PAGE];               /* bss: 16 pages never touched before */
static const char msg[] = "lackey_prog: hello\n";

void _start(void);

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) static unsigned long work(volatile char *p)
{
	unsigned long sum = 0;

	for (int i = 0; i < NR_PAGES; i++)
		p[i * PAGE] = (char)i;                  /* S: one store a page */
	for (int i = 0; i < NR_PAGES; i++)
		sum += (unsigned char)p[i * PAGE + 1];  /* L: one load a page */
	__asm__ volatile("addl $1, %0" : "+m"(*(volatile int *)(p + 64)));    /* M */
	*(volatile unsigned long *)(p + PAGE - 4) = sum;  /* S crossing pages 0 and 1 */
	return sum;
}

void _start(void)
{
	unsigned long sum = work(buf);

	sys3(1 /* write */, 1, (long)msg, sizeof(msg) - 1);
	sys3(60 /* exit */, (long)(sum & 0), 0, 0);
	for (;;)
		;
}
