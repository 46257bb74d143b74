/* imghdr: header parsers for the four formats we decode.  See imghdr.h. */
#include "imghdr.h"

#include <stdint.h>
#include <string.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static bool sane(long w, long h)
{
	return w > 0 && h > 0 && w <= 65535 && h <= 65535;
}

static const char *jpeg(const unsigned char *b, size_t n, int *w, int *h)
{
	size_t i = 2;
	while (i + 4 <= n) {
		if (b[i] != 0xFF)
			return NULL;
		unsigned m = b[i + 1];
		if (m == 0xFF) { /* fill byte */
			i++;
			continue;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			i += 2;
			continue;
		}
		if (m == 0xD9 || m == 0xDA) /* end, or scan data before any frame */
			return NULL;
		unsigned len = be16(b + i + 2);
		if (len < 2)
			return NULL;
		bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
		if (sof) {
			if (i + 9 > n)
				return NULL;
			long hh = be16(b + i + 5), ww = be16(b + i + 7);
			if (!sane(ww, hh))
				return NULL;
			*w = (int)ww;
			*h = (int)hh;
			return "jpeg";
		}
		i += 2 + len;
	}
	return NULL;
}

static const char *webp(const unsigned char *b, size_t n, int *w, int *h)
{
	if (n < 30)
		return NULL;
	const unsigned char *c = b + 12;
	long ww, hh;
	if (memcmp(c, "VP8 ", 4) == 0) {
		if (c[11] != 0x9D || c[12] != 0x01 || c[13] != 0x2A)
			return NULL;
		ww = le16(c + 14) & 0x3FFF;
		hh = le16(c + 16) & 0x3FFF;
	} else if (memcmp(c, "VP8L", 4) == 0) {
		if (c[8] != 0x2F)
			return NULL;
		uint32_t bits = (uint32_t)c[9] | (uint32_t)c[10] << 8 | (uint32_t)c[11] << 16 |
		                (uint32_t)c[12] << 24;
		ww = (long)(bits & 0x3FFF) + 1;
		hh = (long)((bits >> 14) & 0x3FFF) + 1;
	} else if (memcmp(c, "VP8X", 4) == 0) {
		ww = (long)le24(c + 12) + 1;
		hh = (long)le24(c + 15) + 1;
	} else {
		return NULL;
	}
	if (ww <= 0 || hh <= 0)
		return NULL;
	/* VP8X allows 2^24; anything over 65535 is refused by the caller's
	 * pixel limit anyway. */
	*w = ww > 65535 ? 65535 : (int)ww;
	*h = hh > 65535 ? 65535 : (int)hh;
	return "webp";
}

const char *imghdr_size(const unsigned char *b, size_t n, int *w, int *h)
{
	*w = *h = 0;
	if (!b)
		return NULL;
	if (n >= 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
		uint32_t ww = be32(b + 16), hh = be32(b + 20);
		if (ww == 0 || hh == 0 || ww > 0x7FFFFFFF || hh > 0x7FFFFFFF)
			return NULL;
		*w = ww > 65535 ? 65535 : (int)ww;
		*h = hh > 65535 ? 65535 : (int)hh;
		return "png";
	}
	if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return jpeg(b, n, w, h);
	if (n >= 10 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) {
		long ww = le16(b + 6), hh = le16(b + 8);
		if (!sane(ww, hh))
			return NULL;
		*w = (int)ww;
		*h = (int)hh;
		return "gif";
	}
	if (n >= 16 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return webp(b, n, w, h);
	return NULL;
}
