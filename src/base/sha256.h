/*
 * sha256: FIPS 180-4 SHA-256, small and dependency-free.
 *
 * The cache names media files by the hash of their bytes, so that a file on
 * disk is never named after anything from the network and identical images
 * are stored once.  Nothing here is security-critical beyond collision
 * resistance, and one hash function does not justify a crypto library.
 */
#ifndef BALIE_SHA256_H
#define BALIE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64

/* Streaming state; plain data, no resources to free. */
typedef struct {
	uint32_t h[8];
	uint64_t total;        /* bytes hashed so far */
	uint8_t buf[64];
	size_t buf_len;
} sha256_t;

void sha256_init(sha256_t *s);
/* Hash len more bytes of data (data may be NULL when len is 0). */
void sha256_update(sha256_t *s, const void *data, size_t len);
/* Finish into out; s must be initialised again before reuse. */
void sha256_final(sha256_t *s, uint8_t out[SHA256_DIGEST_LEN]);

/* One-shot: the lowercase hex digest of data, NUL-terminated, into hex. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

#endif
