/*
 * test_sha256: the FIPS 180-4 / NIST example vectors, the padding edge
 * lengths (55, 56, 63, 64, 65 bytes ...) cross-checked against coreutils'
 * sha256sum, and streaming in odd chunk sizes equal to one-shot hashing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/sha256.h"
#include "test.h"

static void hex_of(const uint8_t d[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1])
{
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

TEST(empty_string)
{
	char hex[65];
	sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex(NULL, 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(abc)
{
	char hex[65];
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(two_block_messages)
{
	char hex[65];
	const char *m1 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(m1, strlen(m1), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m2 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	                 "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	sha256_hex(m2, strlen(m2), hex);
	CHECK_STR(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(million_a)
{
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *m = malloc(1000000);
	CHECK(m);
	memset(m, 'a', 1000000);
	char hex[65];
	sha256_hex(m, 1000000, hex);
	free(m);
	CHECK_STR(hex, want);

	/* The same through the streaming API, 1000 pieces of 1000. */
	char chunk[1000];
	memset(chunk, 'a', sizeof chunk);
	sha256_t s;
	uint8_t d[32];
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, chunk, sizeof chunk);
	sha256_final(&s, d);
	hex_of(d, hex);
	CHECK_STR(hex, want);
}

TEST(streaming_in_odd_chunks_equals_one_shot)
{
	unsigned char buf[1031];
	srand(7);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rand();
	char one[65], many[65];
	sha256_hex(buf, sizeof buf, one);
	static const size_t steps[] = { 1, 3, 55, 63, 64, 65, 127, 1000 };
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		sha256_t s;
		uint8_t d[32];
		sha256_init(&s);
		for (size_t off = 0; off < sizeof buf; off += steps[k]) {
			size_t n = sizeof buf - off < steps[k] ? sizeof buf - off : steps[k];
			sha256_update(&s, buf + off, n);
		}
		sha256_final(&s, d);
		hex_of(d, many);
		CHECK_STR(many, one);
	}
}

/* Every length from 0 to 200 (all padding cases) against sha256sum. */
TEST(padding_lengths_match_coreutils)
{
	char path[] = "/tmp/balie-sha256-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unsigned char buf[200];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof buf; len++) {
		FILE *f = fopen(path, "wb");
		CHECK(f);
		CHECK(fwrite(buf, 1, len, f) == len);
		fclose(f);
		char cmd[128], want[65] = "", got[65];
		snprintf(cmd, sizeof cmd, "sha256sum %s", path);
		FILE *p = popen(cmd, "r");
		CHECK(p);
		CHECK(fscanf(p, "%64s", want) == 1);
		pclose(p);
		sha256_hex(buf, len, got);
		if (strcmp(got, want) != 0) {
			unlink(path);
			printf("length %zu\n", len);
			CHECK_STR(got, want);
		}
	}
	unlink(path);
}

int main(void)
{
	RUN(empty_string);
	RUN(abc);
	RUN(two_block_messages);
	RUN(million_a);
	RUN(streaming_in_odd_chunks_equals_one_shot);
	if (system("command -v sha256sum >/dev/null 2>&1") == 0)
		RUN(padding_lengths_match_coreutils);
	else
		printf("SKIP: %s: padding_lengths_match_coreutils: sha256sum not installed\n", __FILE__);
	return test_summary();
}
