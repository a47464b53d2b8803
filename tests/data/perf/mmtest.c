#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static void *worker(void *arg)
{
	char *p = malloc(200000);
	memset(p, 1, 200000);
	free(p);
	return arg;
}
int main(void)
{
	char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 2, 65536);
	p = mremap(p, 65536, 131072, MREMAP_MAYMOVE);
	memset(p + 65536, 3, 65536);
	madvise(p, 65536, MADV_DONTNEED);
	mprotect(p, 4096, PROT_READ);
	munmap(p, 131072);
	munmap((void *)0x1000, 4096);   /* EINVAL-free but harmless; fails with 0 */
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 1000, 0);  /* EBADF */
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	waitpid(c, NULL, 0);
	return 0;
}
