/*
 * layout: card geometry from one unit (the canvas's shorter side).  See
 * layout.h.  The proportions below were chosen so that at 1920x1080 the
 * post text is 73 px at most (about 11 mm on a 55" TV, readable from five
 * metres) and never smaller than 32 px.
 */
#include "layout.h"

#include <math.h>

static int pct(int unit, double f)
{
	int v = (int)lround(unit * f);
	return v < 1 ? 1 : v;
}

static lrect_t rect(int x, int y, int w, int h)
{
	if (w < 0)
		w = 0;
	if (h < 0)
		h = 0;
	return (lrect_t){ x, y, w, h };
}

int layout_line_height(int px)
{
	return (int)lround(px * 1.4);
}

void layout_card(int w, int h, unsigned flags, layout_card_t *o)
{
	if (w < 64)
		w = 64;
	if (h < 64)
		h = 64;
	*o = (layout_card_t){ .w = w, .h = h, .portrait = h > w };
	int u = w < h ? w : h;
	o->unit = u;
	o->margin = pct(u, 0.035);
	o->pad = pct(u, 0.035);
	o->gap = pct(u, 0.02);
	int m = o->margin, pad = o->pad, gap = o->gap;

	o->safe = rect(m, m, w - 2 * m, h - 2 * m);

	int sh = pct(u, 0.07);
	o->px_status = pct(sh, 0.5);
	o->status = rect(o->safe.x, o->safe.y + o->safe.h - sh, o->safe.w, sh);
	o->card = rect(o->safe.x, o->safe.y, o->safe.w, o->safe.h - sh - gap);

	/* Inside the card panel. */
	int ix = o->card.x + pad, iy = o->card.y + pad;
	int iw = o->card.w - 2 * pad, ibottom = o->card.y + o->card.h - pad;
	int y = iy;

	o->px_boost = pct(u, 0.03);
	if (flags & LAYOUT_BOOST) {
		int bh = layout_line_height(o->px_boost);
		o->boost = rect(ix, y, iw, bh);
		y += bh + gap / 2;
	}

	/* Header: avatar and three lines beside it, centred on each other. */
	int a = pct(u, 0.15);
	o->px_name = pct(u, 0.05);
	o->px_role = pct(u, 0.036);
	o->px_meta = pct(u, 0.03);
	int nh = layout_line_height(o->px_name), rh = layout_line_height(o->px_role);
	int mh = layout_line_height(o->px_meta);
	int hdr = nh + rh + mh;
	int head_h = hdr > a ? hdr : a;
	o->avatar = rect(ix, y + (head_h - a) / 2, a, a);
	int hx = ix + a + pad, hw = ix + iw - hx;
	int ty = y + (head_h - hdr) / 2;
	o->name = rect(hx, ty, hw, nh);
	o->role = rect(hx, ty + nh, hw, rh);
	o->meta = rect(hx, ty + nh + rh, hw, mh);
	y += head_h + gap;

	o->px_cw = pct(u, 0.034);
	if (flags & LAYOUT_CW) {
		int ch = 2 * layout_line_height(o->px_cw) + pad / 2;
		o->cw = rect(ix, y, iw, ch);
		y += ch + gap;
	}

	o->px_text_max = pct(u, 0.068);
	o->px_text_min = pct(u, 0.03);
	o->px_caption_max = pct(u, 0.03);
	o->px_caption_min = pct(u, 0.022);
	lrect_t body = rect(ix, y, iw, ibottom - y);

	if (!(flags & LAYOUT_MEDIA)) {
		o->text = body;
		return;
	}
	lrect_t col;
	if (!o->portrait) {
		int tw = (body.w - gap) * 55 / 100;
		o->text = rect(body.x, body.y, tw, body.h);
		col = rect(body.x + tw + gap, body.y, body.w - tw - gap, body.h);
	} else {
		int mhgt = (body.h - gap) * 48 / 100;
		o->text = rect(body.x, body.y, body.w, body.h - mhgt - gap);
		col = rect(body.x, body.y + o->text.h + gap, body.w, mhgt);
	}
	if (flags & LAYOUT_CAPTION) {
		int caph = 3 * layout_line_height(o->px_caption_max);
		if (caph > col.h / 3)
			caph = col.h / 3;
		o->caption = rect(col.x, col.y + col.h - caph, col.w, caph);
		o->media = rect(col.x, col.y, col.w, col.h - caph - gap / 2);
	} else {
		o->media = col;
	}
}

bool layout_rotation_valid(int rotate)
{
	return rotate == 0 || rotate == 90 || rotate == 180 || rotate == 270;
}

void layout_canvas(int phys_w, int phys_h, int rotate, int *lw, int *lh)
{
	bool swap = rotate == 90 || rotate == 270;
	*lw = swap ? phys_h : phys_w;
	*lh = swap ? phys_w : phys_h;
}

void layout_to_logical(int rotate, int phys_w, int phys_h, double px, double py, double *lx,
                       double *ly)
{
	int lw, lh;
	layout_canvas(phys_w, phys_h, rotate, &lw, &lh);
	double dx = px - phys_w / 2.0, dy = py - phys_h / 2.0, x, y;
	/* Undo a clockwise turn (screen coordinates, y down). */
	switch (rotate) {
	case 90: x = dy; y = -dx; break;
	case 180: x = -dx; y = -dy; break;
	case 270: x = -dy; y = dx; break;
	default: x = dx; y = dy; break;
	}
	*lx = x + lw / 2.0;
	*ly = y + lh / 2.0;
}

lrect_t layout_media_box(lrect_t box, int iw, int ih)
{
	if (iw <= 0 || ih <= 0 || box.w <= 0 || box.h <= 0)
		return box;
	double b = (double)box.w / box.h, a = (double)iw / ih;
	if (a < b / 1.6)
		a = b / 1.6;
	if (a > b * 1.6)
		a = b * 1.6;
	int w = box.w, h = (int)lround(box.w / a);
	if (h > box.h) {
		h = box.h;
		w = (int)lround(box.h * a);
	}
	if (w > box.w)
		w = box.w;
	return rect(box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h);
}

static double clamp_focus(double f)
{
	if (!(f >= -1.0 && f <= 1.0)) /* NaN too */
		return 0.0;
	return f;
}

lrect_t layout_focus_crop(int iw, int ih, double fx, double fy, int bw, int bh)
{
	if (iw <= 0 || ih <= 0)
		return rect(0, 0, 0, 0);
	if (bw <= 0 || bh <= 0)
		return rect(0, 0, iw, ih);
	fx = clamp_focus(fx);
	fy = clamp_focus(fy);
	double scale = fmax((double)bw / iw, (double)bh / ih);
	int cw = (int)lround(bw / scale), ch = (int)lround(bh / scale);
	if (cw > iw)
		cw = iw;
	if (ch > ih)
		ch = ih;
	if (cw < 1)
		cw = 1;
	if (ch < 1)
		ch = 1;
	double cx = iw * (1.0 + fx) / 2.0, cy = ih * (1.0 - fy) / 2.0;
	int x = (int)lround(cx - cw / 2.0), y = (int)lround(cy - ch / 2.0);
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x + cw > iw)
		x = iw - cw;
	if (y + ch > ih)
		y = ih - ch;
	return rect(x, y, cw, ch);
}

bool lrect_empty(lrect_t r)
{
	return r.w <= 0 || r.h <= 0;
}

bool lrect_overlaps(lrect_t a, lrect_t b)
{
	if (lrect_empty(a) || lrect_empty(b))
		return false;
	return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

bool lrect_inside(lrect_t in, lrect_t out)
{
	if (lrect_empty(in))
		return true;
	return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w &&
	       in.y + in.h <= out.y + out.h;
}
