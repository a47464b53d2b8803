/*
 * varint.h - LEB128 varints, zigzag and little-endian fixed fields used by
 * the trace format (traces/FORMAT.md, "Primitive encodings").
 *
 * Decoders never read past `end` (varint_get_unbounded(): past the
 * VARINT_MAX_LEN bytes its caller vouches for) and reject overlong encodings:
 * more than 10 bytes, a 10th byte above 1, or a multi-byte varint whose last
 * byte is 0 (a value with a shorter encoding).  Internal to traces/.
 */
#ifndef MMBENCH_VARINT_H
#define MMBENCH_VARINT_H

#include <stdint.h>
#include <string.h>

#define VARINT_MAX_LEN 10

enum varint_status {
	VARINT_OK = 0,
	VARINT_TRUNCATED,       /* ran into end */
	VARINT_OVERLONG,        /* non-canonical or more than 64 bits */
};

/* Encode v at p (room for VARINT_MAX_LEN bytes).  Returns the byte after it. */
static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t zigzag_encode(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t zigzag_decode(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/*
 * The general case of varint_get: values of three bytes or more, and any
 * value within two bytes of end.  Inline, so decoded values stay in registers.
 */
static inline int varint_get_slow(const uint8_t **pp, const uint8_t *end,
				  uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (unsigned shift = 0, i = 0; i < VARINT_MAX_LEN; i++, shift += 7) {
		if (p == end)
			return VARINT_TRUNCATED;
		uint8_t b = *p++;
		if (i == VARINT_MAX_LEN - 1 && b > 1)
			return VARINT_OVERLONG;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && i > 0)
				return VARINT_OVERLONG;
			*out = v;
			*pp = p;
			return VARINT_OK;
		}
	}
	return VARINT_OVERLONG;
}

/* Decode a varint at *pp (advanced past it) into *out.  Returns a varint_status. */
static inline __attribute__((always_inline)) int varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	if (__builtin_expect(end - p >= 2, 1)) {
		if (*p < 0x80) {
			*out = *p;
			*pp = p + 1;
			return VARINT_OK;
		}
		if (p[1] < 0x80 && p[1] != 0) {
			*out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
			*pp = p + 2;
			return VARINT_OK;
		}
	}
	return varint_get_slow(pp, end, out);
}

/*
 * Decode a varint at *pp (advanced past it) into *out when the caller knows
 * that at least VARINT_MAX_LEN bytes can be read at *pp, so no byte needs a
 * bounds check.  Same results as varint_get() given those bytes: VARINT_OK or
 * VARINT_OVERLONG, never VARINT_TRUNCATED.  One and two bytes take a branch
 * each; three to eight bytes are found and packed from one 64-bit load
 * without a branch on the length (LEB128 group compaction in three
 * shift-and-mask steps).
 */
static inline __attribute__((always_inline)) int varint_get_unbounded(const uint8_t **pp,
								      uint64_t *out)
{
	const uint8_t *p = *pp;
	if (__builtin_expect(p[0] < 0x80, 1)) {
		*out = p[0];
		*pp = p + 1;
		return VARINT_OK;
	}
	if (__builtin_expect(p[1] < 0x80, 1)) {
		if (__builtin_expect(p[1] == 0, 0))
			return VARINT_OVERLONG;
		*out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		*pp = p + 2;
		return VARINT_OK;
	}
	uint64_t x;
	memcpy(&x, p, sizeof(x));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	uint64_t stops = ~x & 0x8080808080808080ull;
	if (__builtin_expect(!stops, 0)) {      /* nine or ten bytes */
		/* Copies, so that pp and out can stay in the caller's registers
		 * if the compiler keeps varint_get_slow() out of line. */
		const uint8_t *q = p;
		uint64_t v = 0;
		int vs = varint_get_slow(&q, p + VARINT_MAX_LEN, &v);
		*out = v;
		*pp = q;
		return vs;
	}
	unsigned last = (unsigned)__builtin_ctzll(stops);  /* 8 * len - 1 */
	if (__builtin_expect(!((x >> (last - 7)) & 0x7f), 0))
		return VARINT_OVERLONG;         /* multi-byte, last byte 0 */
	x &= (2ull << last) - 1;                /* the len bytes (all 64 when 8) */
	x = ((x & 0x7f007f007f007f00ull) >> 1) | (x & 0x007f007f007f007full);
	x = ((x & 0x3fff00003fff0000ull) >> 2) | (x & 0x00003fff00003fffull);
	x = ((x & 0x0fffffff00000000ull) >> 4) | (x & 0x000000000fffffffull);
	*out = x;
	*pp = p + (last >> 3) + 1;
	return VARINT_OK;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif /* MMBENCH_VARINT_H */
