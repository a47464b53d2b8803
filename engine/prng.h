/*
 * prng.h - the project's seeded pseudo-random number generator.
 *
 * Every source of randomness in mmbench (synthetic generators, engine
 * policies such as randomized placement) draws from a prng_t seeded from a
 * number the user can see and repeat: the same seed gives the same stream on
 * every machine, compiler and libc.  Nothing here reads a clock or calls
 * rand().
 *
 * Generator: xoshiro256** 1.0 by David Blackman and Sebastiano Vigna,
 * "Scrambled Linear Pseudorandom Number Generators", ACM Transactions on
 * Mathematical Software 47(4), 2021 (reference code: https://prng.di.unimi.it/).
 * 256 bits of state, period 2^256 - 1, passes BigCrush and PractRand.  The
 * state is filled from the 64-bit seed by splitmix64 (Steele, Lea and Flood,
 * "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014), as the
 * xoshiro authors recommend, so that nearby seeds give unrelated streams and
 * the state is never all zero.
 *
 * Bounded draws use Lemire's nearly divisionless method (Daniel Lemire,
 * "Fast Random Integer Generation in an Interval", ACM TOMACS 29(1), 2019):
 * exact (unbiased) and usually free of any division.
 *
 * Header-only, C library only, so that the engine (which must not include
 * anything from traces/, bench/ or workloads/) can use it.  Not for
 * cryptography.  Threading: a prng_t belongs to one thread at a time;
 * distinct prng_t values are independent.
 */
#ifndef MMBENCH_PRNG_H
#define MMBENCH_PRNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct prng {
	uint64_t s[4];          /* xoshiro256** state; never all zero */
} prng_t;

/* One step of splitmix64 over *x: advance it and return the next output. */
static inline uint64_t prng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Seed r from seed (any value, 0 included): the four state words are four
 * consecutive splitmix64 outputs.  splitmix64 is a bijection of its counter,
 * so the four words cannot all be zero.
 */
static inline void prng_seed(prng_t *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = prng_splitmix64(&seed);
}

static inline uint64_t prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 uniformly distributed bits (xoshiro256** next()). */
static inline uint64_t prng_next(prng_t *r)
{
	uint64_t *s = r->s;
	uint64_t result = prng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = prng_rotl(s[3], 45);
	return result;
}

/* 64 x 64 -> 128-bit product: returns the low half, stores the high half. */
static inline uint64_t prng_mul128(uint64_t a, uint64_t b, uint64_t *hi)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 m = (unsigned __int128)a * b;

	*hi = (uint64_t)(m >> 64);
	return (uint64_t)m;
#else
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return (mid << 32) | (uint32_t)ll;
#endif
}

/*
 * Uniform integer in [0, n), without bias (Lemire's method: take the high
 * half of next() * n, redrawing only in the rare case the low half falls in
 * the short first interval).  n == 0 returns 0 and draws nothing.
 */
static inline uint64_t prng_below(prng_t *r, uint64_t n)
{
	uint64_t hi, lo;

	if (n == 0)
		return 0;
	lo = prng_mul128(prng_next(r), n, &hi);
	if (lo < n) {
		uint64_t threshold = -n % n;    /* 2^64 mod n */

		while (lo < threshold)
			lo = prng_mul128(prng_next(r), n, &hi);
	}
	return hi;
}

/* Uniform integer in [lo, hi] (inclusive; lo <= hi). */
static inline uint64_t prng_range(prng_t *r, uint64_t lo, uint64_t hi)
{
	if (hi - lo == UINT64_MAX)
		return prng_next(r);
	return lo + prng_below(r, hi - lo + 1);
}

/*
 * True with probability per_million / 1,000,000 (values >= 1,000,000 are
 * always true, 0 never; both still draw one number, so the stream does not
 * depend on the probability).
 */
static inline bool prng_chance(prng_t *r, uint32_t per_million)
{
	return prng_below(r, 1000000) < per_million;
}

#endif /* MMBENCH_PRNG_H */
