/*
 * imghdr: an image's pixel size from its first bytes, before decoding.
 *
 * SDL_image decodes a whole file into memory; a 100-megapixel JPEG would
 * take 400 MB, more than a Pi Zero 2 W has.  So the loader reads the size
 * from the header (PNG IHDR, JPEG SOFn, GIF screen descriptor, WebP
 * VP8/VP8L/VP8X) and refuses what is too large or not recognised.
 */
#ifndef BALIE_IMGHDR_H
#define BALIE_IMGHDR_H

#include <stdbool.h>
#include <stddef.h>

/* Size of the image in buf[0..n) (a file's first bytes).  Returns the
 * format name ("png", "jpeg", "gif", "webp") and sets *w, *h; NULL when
 * the format is not recognised or the header is cut or malformed. */
const char *imghdr_size(const unsigned char *buf, size_t n, int *w, int *h);

/* Largest image balie decodes, in pixels. */
#define IMGHDR_MAX_PIXELS 40000000L

#endif
