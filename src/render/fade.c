/*
 * fade: the incoming card, the panel over what only it covers, the outgoing
 * card over everything.  See fade.h.
 */
#include "fade.h"

#include "draw.h"

#define MAX_REGIONS 64

void fade_draw(SDL_Renderer *ren, const spot_t *out, const spot_t *in, uint8_t out_alpha,
               SDL_Color panel)
{
	if (out_alpha < 255)
		spot_draw(in, ren, 0, 0, 255);
	if (out_alpha == 0 || !out)
		return;
	if (out_alpha < 255 && in) {
		SDL_Rect mine[MAX_REGIONS], theirs[MAX_REGIONS], part[MAX_REGIONS];
		int n_in = spot_regions(in, mine, MAX_REGIONS);
		int n_out = spot_regions(out, theirs, MAX_REGIONS);
		SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
		SDL_SetRenderDrawColor(ren, panel.r, panel.g, panel.b, out_alpha);
		for (int i = 0; i < n_in && n_out >= 0; i++) {
			int k = draw_rect_subtract(mine[i], theirs, n_out, part, MAX_REGIONS);
			if (k < 0) { /* cannot happen with spot_build's cards: approximate */
				k = 1;
				part[0] = mine[i];
			}
			SDL_RenderFillRects(ren, part, k);
		}
	}
	spot_draw(out, ren, 0, 0, out_alpha);
}
