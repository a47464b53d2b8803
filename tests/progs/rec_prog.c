/*
 * rec_prog.c - the program tests/cli/test_record.sh records: every call the
 * recorder intercepts, in known numbers.
 *
 * usage: rec_prog all | segv | abort | threads N
 *   all     malloc family (REC_PROG_OBJS of each function), one anonymous and
 *           one file mapping (mmap, mprotect, madvise, mremap, munmap), a
 *           fork child that allocates and frees REC_PROG_OBJS objects, 4
 *           threads that each allocate REC_PROG_OBJS objects and free another
 *           thread's, a vfork child that execs /bin/true, a fork child that
 *           execs /bin/echo, then _exit(5)
 *   segv    REC_PROG_OBJS mallocs, then a write through a null pointer
 *   abort   REC_PROG_OBJS mallocs, then abort()
 *   threads N threads as in "all", then return 0 from main
 * Its stdout is the same on every run (no pids or addresses).
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define REC_PROG_OBJS 1000
#define REC_PROG_MAX_THREADS 64

static void *slots[REC_PROG_MAX_THREADS][REC_PROG_OBJS];
static pthread_barrier_t barrier;
static int nr_threads;

static void *thread_main(void *arg)
{
	long i = (long)arg;

	for (int k = 0; k < REC_PROG_OBJS; k++)
		slots[i][k] = malloc(16 + (size_t)k % 200);
	pthread_barrier_wait(&barrier);
	/* free the next thread's objects: frees across threads */
	long j = (i + 1) % nr_threads;
	for (int k = 0; k < REC_PROG_OBJS; k++)
		free(slots[j][k]);
	return NULL;
}

static int run_threads(int n)
{
	pthread_t th[REC_PROG_MAX_THREADS];

	nr_threads = n;
	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, thread_main, (void *)i))
			return -1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	printf("threads: %d x %d objects freed across threads\n", n, REC_PROG_OBJS);
	return 0;
}

static void malloc_family(void)
{
	static void *p[REC_PROG_OBJS];

	for (int i = 0; i < REC_PROG_OBJS; i++)
		p[i] = malloc((size_t)i + 1);
	for (int i = 0; i < REC_PROG_OBJS; i++)
		p[i] = realloc(p[i], (size_t)i * 3 + 64);       /* grows, often moves */
	for (int i = 0; i < REC_PROG_OBJS; i++)
		free(p[i]);
	for (int i = 0; i < REC_PROG_OBJS; i++)
		p[i] = calloc(4, (size_t)i + 1);
	for (int i = 0; i < REC_PROG_OBJS; i++)
		free(p[i]);
	void *a = NULL;
	if (posix_memalign(&a, 64, 1000))
		a = NULL;
	void *b = aligned_alloc(256, 4096);
	void *c = memalign(128, 333);
	void *d = valloc(100);
	void *e = reallocarray(NULL, 10, 10);
	e = reallocarray(e, 100, 10);
	void *f = realloc(NULL, 50);            /* an ALLOC, func realloc */
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	f = realloc(f, 0);                      /* a FREE, func realloc */
	free(f);                                /* NULL: no event */
	printf("malloc family: %d objects of malloc, realloc, calloc\n", REC_PROG_OBJS);
}

static void mappings(const char *self)
{
	size_t len = 1 << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	memset(m, 1, len);
	mprotect(m, 4096, PROT_READ);
	madvise(m + len / 2, len / 2, MADV_DONTNEED);
	mprotect(m, 4096, PROT_READ | PROT_WRITE);      /* one VMA again for mremap */
	char *r = mremap(m, len, 2 * len, MREMAP_MAYMOVE);
	munmap(r == MAP_FAILED ? m : r, r == MAP_FAILED ? len : 2 * len);
	int fd = open(self, O_RDONLY);
	if (fd >= 0) {
		void *f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (f != MAP_FAILED)
			munmap(f, 4096);
	}
	printf("mappings: anonymous and file\n");
}

static void children(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		void *p[REC_PROG_OBJS];
		for (int i = 0; i < REC_PROG_OBJS; i++)
			p[i] = malloc(32);
		for (int i = 0; i < REC_PROG_OBJS; i++)
			free(p[i]);
		exit(0);
	}
	waitpid(pid, NULL, 0);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	pid = fork();
	if (pid == 0) {
		execl("/bin/echo", "echo", "echo from an exec'd child", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	printf("children: fork, vfork+exec, fork+exec\n");
}

static void *volatile sink;     /* keeps the compiler from eliding mallocs */

static void doomed(void)
{
	for (int i = 0; i < REC_PROG_OBJS; i++)
		sink = malloc(24);
	printf("dying now\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";

	if (!strcmp(mode, "all")) {
		malloc_family();
		mappings(argv[0]);
		children();
		run_threads(4);
		fflush(stdout);
		_exit(5);
	}
	if (!strcmp(mode, "segv")) {
		doomed();
		*(volatile int *)(argc > 99 ? argv[0] : NULL) = 1;
		return 0;
	}
	if (!strcmp(mode, "abort")) {
		doomed();
		abort();
	}
	if (!strcmp(mode, "threads") && argc > 2) {
		int n = atoi(argv[2]);
		if (n < 1 || n > REC_PROG_MAX_THREADS)
			return 2;
		return run_threads(n) ? 1 : 0;
	}
	fprintf(stderr, "usage: rec_prog all | segv | abort | threads N\n");
	return 2;
}
