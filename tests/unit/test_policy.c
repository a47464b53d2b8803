/*
 * test_policy.c - policy files (bench/policy.c): the shipped policies, the
 * round trip through policy_write_ini, and an error naming file, line and
 * key for every kind of bad input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/policy.h"

static struct policy pa, pb;
static char err[1024];
static char dir[] = "/tmp/mmbench-policy-XXXXXX";

static void setup(void)
{
	/* the unit-test binary lives in build/ (or build/asan/): policies/ is found from it */
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
	strcpy(dir, "/tmp/mmbench-policy-XXXXXX");
}

TestSuite(policy, .init = setup, .fini = teardown);

/* Write text to DIR/name and return the path (static buffer). */
static const char *write_policy(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/* Everything but the name, path and description. */
static void assert_same_values(const struct policy *a, const struct policy *b)
{
	cr_assert_eq(memcmp(&a->phys, &b->phys, sizeof(a->phys)), 0, "phys_config differs");
	cr_assert_eq(memcmp(&a->slub, &b->slub, sizeof(a->slub)), 0, "slub_config differs");
	cr_assert_eq(memcmp(&a->vmalloc, &b->vmalloc, sizeof(a->vmalloc)), 0, "vmalloc_config differs");
	cr_assert_eq(memcmp(&a->vm, &b->vm, sizeof(a->vm)), 0, "vm_config differs");
	cr_assert_eq(memcmp(&a->tlb, &b->tlb, sizeof(a->tlb)), 0, "tlb_config differs");
	cr_assert_eq(memcmp(a->cost_cycles, b->cost_cycles, sizeof(a->cost_cycles)), 0, "cost differs");
	cr_assert_eq(a->cpu_mhz, b->cpu_mhz);
	cr_assert_eq(a->seed, b->seed);
}

static void expect_error(const char *text, const char *line_and_key)
{
	const char *path = write_policy("bad.ini", text);
	char want[600];

	cr_assert_neq(policy_load(&pa, path, err, sizeof(err)), 0, "accepted: %s", text);
	snprintf(want, sizeof(want), "%s:%s", path, line_and_key);
	cr_assert(strstr(err, want) != NULL, "error '%s' does not contain '%s'", err, want);
}

Test(policy, linux_default_equals_built_in_defaults)
{
	/* policies/linux-default.ini writes the defaults down with sources; they must agree */
	policy_default(&pb);
	cr_assert_eq(policy_load(&pa, "linux-default", err, sizeof(err)), 0, "%s", err);
	assert_same_values(&pa, &pb);
	cr_assert_str_eq(pa.name, "linux-default");
	cr_assert(strlen(pa.description) > 0);
	for (unsigned i = 0; i < NR_COST_ITEMS; i++)
		cr_assert_gt(pa.cost_cycles[i], 0, "cost item %s has no weight", cost_item_names[i]);
}

Test(policy, no_pcp_differs_only_in_pcp)
{
	cr_assert_eq(policy_load(&pa, "no-pcp", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_load(&pb, "linux-default", err, sizeof(err)), 0, "%s", err);
	cr_assert(!pa.phys.pcp_enabled);
	pa.phys.pcp_enabled = true;
	assert_same_values(&pa, &pb);
	cr_assert_str_eq(pa.name, "no-pcp");
}

Test(policy, write_ini_loads_back_identical)
{
	const char *path = write_policy("rich.ini",
		"include = linux-default\n"
		"description = many knobs\n"
		"[machine]\nmem = 3G\nnodes = 2\ncpus = 6\nmovablecore = 256M\n"
		"[memblock]\nreserve = 0 1M\nreserve = 0x10000000 4M\n"
		"[buddy]\nlowmem_reserve_ratio = 128 128 16 0\nmin_free_kbytes = 11000\n"
		"[pcp]\nhigh = 600\nbatch = 31\n"
		"[cma]\nsize = 64M\nname = reserved\n"
		"[cma.1]\nsize = 32M\norder_per_bit = 2\nname = second\n"
		"[slub]\nmax_order = 1\ncpu_partial = off\n"
		"[vmalloc]\nsize = 4G\nlazy_purge = no\n"
		"[cost]\ncpu_mhz = 2400\nzone_lock = 77\n"
		"[replay]\nseed = 42\n");
	char out[512];
	FILE *f;

	cr_assert_eq(policy_load(&pa, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pa.phys.mem_bytes, 3ull << 30);
	cr_assert_eq(pa.phys.nr_reserved, 2);
	cr_assert_eq(pa.phys.reserved[1].base, 0x10000000);
	cr_assert_eq(pa.phys.nr_cma, 2);
	cr_assert_eq(pa.phys.cma[1].order_per_bit, 2);
	cr_assert_eq(pa.phys.lowmem_reserve_ratio[ZONE_NORMAL], 16);
	cr_assert_eq(pa.cost_cycles[COST_ZONE_LOCK], 77);
	cr_assert_eq(pa.seed, 42);
	cr_assert_eq(pa.slub.max_order, 1);
	cr_assert(!pa.slub.cpu_partial_enabled);
	cr_assert_eq(pa.vmalloc.vmalloc_bytes, 4ull << 30);
	cr_assert(!pa.vmalloc.lazy_purge);

	snprintf(out, sizeof(out), "%s/resolved.ini", dir);
	f = fopen(out, "w");
	cr_assert_not_null(f);
	policy_write_ini(&pa, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(policy_load(&pb, out, err, sizeof(err)), 0, "%s", err);
	assert_same_values(&pa, &pb);
	cr_assert_str_eq(pa.description, pb.description);
}

Test(policy, later_keys_override_included_ones)
{
	write_policy("base.ini", "[pcp]\nbatch = 7\n[machine]\ncpus = 8\n");
	char text[600];
	snprintf(text, sizeof(text), "[pcp]\nbatch = 9\n\ninclude = %s/base.ini\n", dir);
	/* include is a top-level key: after a section header it is an unknown key */
	expect_error(text, "4: [pcp] include: unknown key");
	snprintf(text, sizeof(text), "include = %s/base.ini\n[pcp]\nbatch = 9\n", dir);
	const char *path = write_policy("over.ini", text);
	cr_assert_eq(policy_load(&pa, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pa.phys.pcp_batch, 9);
	cr_assert_eq(pa.phys.nr_cpus, 8);
}

Test(policy, errors_name_file_line_and_key)
{
	expect_error("[machine]\nmem = 16G\nflux = 3\n", "3: [machine] flux: unknown key");
	expect_error("\n[warp]\nspeed = 9\n", "3: [warp] speed: unknown section [warp]");
	expect_error("[pcp]\nenabled = maybe\n", "2: [pcp] enabled: 'maybe' is not a boolean");
	expect_error("[buddy]\nmax_order = 13\n", "2: [buddy] max_order: 13 is out of range");
	expect_error("[buddy]\nmax_order = -1\n", "2: [buddy] max_order: -1 is out of range");
	expect_error("[buddy]\nmax_order = 10x\n", "2: [buddy] max_order: '10x' is not an integer");
	expect_error("[machine]\nmem = 16Q\n", "2: [machine] mem: '16Q' is not a size");
	expect_error("[machine]\nmem = 1K\n", "2: [machine] mem: 1K is out of range");
	expect_error("[machine]\nmem = 99999999999999999999G\n", "2: [machine] mem: '99999999999999999999G' is not a size");
	expect_error("[buddy]\nlowmem_reserve_ratio = 1 2 3\n", "2: [buddy] lowmem_reserve_ratio: needs 4 values");
	expect_error("[cost]\nnot_an_item = 3\n", "2: [cost] not_an_item: unknown key");
	expect_error("[cma.9]\nsize = 1M\n", "2: [cma.9] size: unknown section");
	expect_error("[cma]\nsize = big\n", "2: [cma] size: 'big' is not a size");
	expect_error("[memblock]\nreserve = 0\n", "2: [memblock] reserve: '0' is not 'BASE SIZE'");
	expect_error("[machine\nmem = 1G\n", "1: syntax error");
	expect_error("frobnicate = 1\n", "1: frobnicate: unknown key");
	/* a CMA area behind a gap would be silently unused */
	cr_assert_neq(policy_load(&pa, write_policy("gap.ini", "[cma.2]\nsize = 64M\n"), err, sizeof(err)), 0);
	cr_assert(strstr(err, "gap.ini:2: [cma.2] is set but [cma] has no size") != NULL, "%s", err);
	cr_assert_neq(policy_load(&pa, write_policy("gap.ini", "[cma]\nsize = 64M\n[cma.2]\nname = x\n"),
				  err, sizeof(err)), 0);
	cr_assert(strstr(err, "gap.ini:4: [cma.2] is set but an earlier area has no size") != NULL, "%s", err);
}

Test(policy, include_errors)
{
	char text[600];

	/* a missing include names the missing file */
	cr_assert_neq(policy_load(&pa, write_policy("a.ini", "include = /nonexistent/x.ini\n"),
				  err, sizeof(err)), 0);
	cr_assert(strstr(err, "/nonexistent/x.ini") != NULL, "%s", err);
	/* an error inside an included file names that file and its line */
	write_policy("inner.ini", "[pcp]\n\nhigh = lots\n");
	snprintf(text, sizeof(text), "include = %s/inner.ini\n", dir);
	cr_assert_neq(policy_load(&pa, write_policy("outer.ini", text), err, sizeof(err)), 0);
	cr_assert(strstr(err, "inner.ini:3: [pcp] high") != NULL, "%s", err);
	/* a cycle stops at the nesting limit */
	snprintf(text, sizeof(text), "include = %s/loop.ini\n", dir);
	write_policy("loop.ini", text);
	cr_assert_neq(policy_load(&pa, write_policy("start.ini", text), err, sizeof(err)), 0);
	cr_assert(strstr(err, "nested deeper") != NULL, "%s", err);
}

Test(policy, missing_policy_names_the_path)
{
	cr_assert_neq(policy_load(&pa, "no-such-policy", err, sizeof(err)), 0);
	cr_assert(strstr(err, "no-such-policy.ini") != NULL, "%s", err);
}

Test(policy, json_has_every_section)
{
	cr_assert_eq(policy_load(&pa, "linux-default", err, sizeof(err)), 0, "%s", err);
	json_t *j = policy_json(&pa);
	cr_assert_not_null(j);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "machine"), "cpus")), 4);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "cost"), "zone_lock")),
		     pa.cost_cycles[COST_ZONE_LOCK]);
	cr_assert_eq(json_array_size(json_object_get(j, "memblock_reserved")), 1);
	json_decref(j);
}
