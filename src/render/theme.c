/* theme: the built-in colour sets.  See theme.h. */
#include "theme.h"

#include <stdio.h>

#include <string.h>

static const theme_t themes[] = {
	{
		.name = "default",
		.bg = { 0x10, 0x1B, 0x26, 255 },
		.panel = { 0x1B, 0x2A, 0x38, 255 },
		.text = { 0xF3, 0xF5, 0xF7, 255 },
		.muted = { 0xA7, 0xB6, 0xC4, 255 },
		.link = { 0x7F, 0xC8, 0xFF, 255 },
		.mention = { 0x9C, 0xE3, 0xA9, 255 },
		.hashtag = { 0xFF, 0xD2, 0x7A, 255 },
		.cw_bg = { 0x4A, 0x37, 0x12, 255 },
		.cw_text = { 0xFF, 0xE2, 0xA8, 255 },
		.offline = { 0xFF, 0xC0, 0x7A, 255 },
		.sample_bg = { 0xFF, 0xD2, 0x7A, 255 },
		.sample_text = { 0x10, 0x1B, 0x26, 255 },
		.placeholder = { 0x26, 0x38, 0x4A, 255 },
	},
	{
		.name = "high-contrast",
		.bg = { 0, 0, 0, 255 },
		.panel = { 0, 0, 0, 255 },
		.text = { 255, 255, 255, 255 },
		.muted = { 0xE6, 0xE6, 0xE6, 255 },
		.link = { 0xFF, 0xFF, 0x00, 255 },
		.mention = { 0x00, 0xFF, 0xFF, 255 },
		.hashtag = { 0xFF, 0xFF, 0x00, 255 },
		.cw_bg = { 0xFF, 0xFF, 0x00, 255 },
		.cw_text = { 0, 0, 0, 255 },
		.offline = { 0xFF, 0xFF, 0x00, 255 },
		.sample_bg = { 255, 255, 255, 255 },
		.sample_text = { 0, 0, 0, 255 },
		.placeholder = { 0x33, 0x33, 0x33, 255 },
	},
};

const theme_t *theme_get(const char *name, bool *known)
{
	if (known)
		*known = true;
	if (!name || !*name)
		return &themes[0];
	for (size_t i = 0; i < sizeof themes / sizeof *themes; i++)
		if (strcmp(themes[i].name, name) == 0)
			return &themes[i];
	if (known)
		*known = false;
	return &themes[0];
}

static void colour(SDL_Color *c, const char *hex)
{
	unsigned r, g, b;
	if (hex && sscanf(hex, "#%2x%2x%2x", &r, &g, &b) == 3)
		*c = (SDL_Color){ (Uint8)r, (Uint8)g, (Uint8)b, 255 };
}

theme_t theme_with_colours(const theme_t *base, const char *background, const char *panel,
                           const char *text, const char *accent)
{
	theme_t t = *base;
	colour(&t.bg, background);
	colour(&t.panel, panel);
	colour(&t.text, text);
	colour(&t.link, accent);
	colour(&t.mention, accent);
	colour(&t.hashtag, accent);
	return t;
}
