/*
 * maps_prog.c - the golden /proc/PID/maps test program (tests/cli/test_vm.sh).
 *
 * usage: maps_prog OUT
 *
 * Runs a fixed sequence of mmap / mprotect / mremap / munmap calls inside
 * REGION_PAGES pages at REGION_BASE, a high range nothing else uses, every
 * new mapping placed with MAP_FIXED_NOREPLACE and every move with
 * MREMAP_FIXED, so the addresses are the same on every run.  Then writes
 * the lines of its own real /proc/self/maps that fall inside the region to
 * OUT (the file mappings map OUT.dat, which it creates).  Recorded with
 * `mmbench record` and replayed with `--dump maps`, the model's maps of this
 * process must list the same lines (start-end, permissions, offset).
 *
 * The sequence, pages relative to REGION_BASE (the expected end state in
 * tests/data/maps/maps_prog.maps):
 *    1. mmap [0, 16) rw anonymous, all pages written (the VMA gets its anon_vma)
 *    2. mprotect [4, 6) r           split in three
 *    3. mprotect [4, 5) rw          page 4 merges back into [0, 5)
 *    4. munmap [10, 12)             a hole: [6, 10) and [12, 16)
 *    5. mmap [16, 20) rw            merges with [12, 16) into [12, 20)
 *    6. mmap [32, 36) rw; mremap to 8 pages in place: [32, 40)
 *    7. mremap [32, 40) to 12 pages, moved (MREMAP_FIXED) to [64, 76)
 *    8. mremap [64, 76) down to 10 pages: [64, 74)
 *    9. OUT.dat (8 pages): mmap [96, 100) r private at file page 2, and
 *       [100, 102) rw shared at file page 0; read one, write the other
 *   10. mprotect [97, 98) rw        a private file VMA split at file page 3
 *   11. mmap [128, 130) PROT_NONE, MAP_NORESERVE (a guard)
 *   12. mprotect [0, 10) r          three VMAs merge into one
 *   13. munmap [72, 97)             across three VMAs: [64, 72) and the
 *                                   file VMA [97, 98) at file page 3 stay
 *   14. mremap [12, 20) to 16 pages in place: [12, 28)
 * Exit status 0, or 1 with a message naming the step that failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION_BASE	0x3f0000000000ull
#define REGION_PAGES	256ull
#define PG		4096ull

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void *at(uint64_t page)
{
	return (void *)(uintptr_t)(REGION_BASE + page * PG);
}

static int fail(const char *step)
{
	fprintf(stderr, "maps_prog: %s: %s\n", step, strerror(errno));
	return 1;
}

/* mmap exactly at page (MAP_FIXED_NOREPLACE); false when placed elsewhere or refused. */
static bool map_at(uint64_t page, uint64_t pages, int prot, int flags, int fd, uint64_t off)
{
	void *p = mmap(at(page), pages * PG, prot, flags | MAP_FIXED_NOREPLACE, fd, (off_t)off);

	if (p == MAP_FAILED)
		return false;
	if (p != at(page)) {            /* a kernel before 4.17 treats the flag as a hint */
		errno = EEXIST;
		return false;
	}
	return true;
}

/* Copy the lines of /proc/self/maps inside the region to out. */
static int write_region_maps(const char *out)
{
	FILE *in = fopen("/proc/self/maps", "r"), *f;
	char line[4096];

	if (!in)
		return fail("/proc/self/maps");
	f = fopen(out, "w");
	if (!f) {
		fclose(in);
		return fail(out);
	}
	while (fgets(line, sizeof(line), in)) {
		unsigned long long start, end;

		if (sscanf(line, "%llx-%llx", &start, &end) == 2 && start >= REGION_BASE &&
		    end <= REGION_BASE + REGION_PAGES * PG)
			fputs(line, f);
	}
	fclose(in);
	if (fclose(f))
		return fail(out);
	return 0;
}

int main(int argc, char **argv)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS, rw = PROT_READ | PROT_WRITE;
	char dat[4096];
	void *p;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: maps_prog OUT\n");
		return 2;
	}
	if (!map_at(0, 16, rw, anon, -1, 0))
		return fail("1. mmap [0, 16)");
	memset(at(0), 0x5a, 16 * PG);
	if (mprotect(at(4), 2 * PG, PROT_READ))
		return fail("2. mprotect [4, 6) r");
	if (mprotect(at(4), 1 * PG, rw))
		return fail("3. mprotect [4, 5) rw");
	if (munmap(at(10), 2 * PG))
		return fail("4. munmap [10, 12)");
	if (!map_at(16, 4, rw, anon, -1, 0))
		return fail("5. mmap [16, 20)");
	if (!map_at(32, 4, rw, anon, -1, 0))
		return fail("6. mmap [32, 36)");
	memset(at(32), 1, 4 * PG);
	if (mremap(at(32), 4 * PG, 8 * PG, 0) != at(32))
		return fail("6. mremap [32, 36) to 8 pages in place");
	p = mremap(at(32), 8 * PG, 12 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(64));
	if (p != at(64))
		return fail("7. mremap [32, 40) to [64, 76)");
	if (mremap(at(64), 12 * PG, 10 * PG, 0) != at(64))
		return fail("8. mremap [64, 76) to 10 pages");
	snprintf(dat, sizeof(dat), "%s.dat", argv[1]);
	fd = open(dat, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 8 * PG))
		return fail(dat);
	if (!map_at(96, 4, PROT_READ, MAP_PRIVATE, fd, 2 * PG))
		return fail("9. mmap [96, 100) file page 2");
	if (!map_at(100, 2, rw, MAP_SHARED, fd, 0))
		return fail("9. mmap [100, 102) shared file page 0");
	*(volatile char *)at(100) = *(volatile char *)at(96) + 1;
	close(fd);
	if (mprotect(at(97), 1 * PG, rw))
		return fail("10. mprotect [97, 98) rw");
	if (!map_at(128, 2, PROT_NONE, anon | MAP_NORESERVE, -1, 0))
		return fail("11. mmap [128, 130) PROT_NONE");
	if (mprotect(at(0), 10 * PG, PROT_READ))
		return fail("12. mprotect [0, 10) r");
	if (munmap(at(72), 25 * PG))
		return fail("13. munmap [72, 97)");
	if (mremap(at(12), 8 * PG, 16 * PG, 0) != at(12))
		return fail("14. mremap [12, 20) to 16 pages in place");
	return write_region_maps(argv[1]);
}
