/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the fuzz harnesses share: the libFuzzer entry point they define,
 * an invariant check that aborts (so libFuzzer and the replay tests both
 * see a crash, whatever NDEBUG says), and a deterministic source of piece
 * sizes so that one input always splits the same way.
 */
#ifndef RETENTIOND_FUZZ_FUZZ_H
#define RETENTIOND_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* FUZZ_VERBOSE=1 in the environment: harnesses say what became of each
 * input on standard error (why a seed is refused, say). */
static inline int fuzz_verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("FUZZ_VERBOSE") != NULL;
	return v;
}

/* xorshift32: cheap, and never 0 from a non-zero seed. */
static inline uint32_t fuzz_next(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* The size of the next piece: 1 to max bytes, or everything left when
 * max is 0 (the input in one piece). */
static inline size_t fuzz_piece(uint32_t *state, size_t max, size_t left)
{
	size_t n = max ? 1 + fuzz_next(state) % max : left;

	return n < left ? n : left;
}

#endif
