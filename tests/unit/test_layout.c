/* Card geometry at every supported size and orientation, rotation of the
 * logical canvas, and fitting an image around its focus point. */
#include <math.h>

#include "../../src/layout/layout.h"
#include "test.h"

static const int sizes[][2] = { { 800, 480 },   { 1024, 600 },  { 1280, 720 },
	                        { 1920, 1080 }, { 2560, 1440 }, { 3840, 2160 } };
#define N_SIZES (sizeof sizes / sizeof *sizes)

static lrect_t parts(const layout_card_t *l, int i)
{
	const lrect_t r[] = { l->boost, l->avatar, l->name, l->role, l->meta,
		              l->cw,    l->text,   l->media, l->caption };
	return r[i];
}
#define N_PARTS 9
static const char *const part_names[N_PARTS] = { "boost", "avatar", "name", "role", "meta",
	                                         "cw",    "text",   "media", "caption" };

/* Every region inside the safe area and the card, none overlapping, text
 * region usable, for w x h with the given optional parts. */
static int check_card(int w, int h, unsigned flags)
{
	layout_card_t l;
	layout_card(w, h, flags, &l);
	lrect_t screen = { 0, 0, w, h };
	int bad = 0;
	if (!lrect_inside(l.safe, screen) || !lrect_inside(l.card, l.safe) ||
	    !lrect_inside(l.status, l.safe) || lrect_overlaps(l.card, l.status)) {
		printf("    %dx%d flags %u: card/status outside the safe area\n", w, h, flags);
		bad++;
	}
	for (int i = 0; i < N_PARTS; i++) {
		lrect_t r = parts(&l, i);
		if (!lrect_inside(r, l.card)) {
			printf("    %dx%d flags %u: %s outside the card\n", w, h, flags, part_names[i]);
			bad++;
		}
		for (int j = i + 1; j < N_PARTS; j++)
			if (lrect_overlaps(r, parts(&l, j))) {
				printf("    %dx%d flags %u: %s overlaps %s\n", w, h, flags, part_names[i],
				       part_names[j]);
				bad++;
			}
	}
	/* Required parts exist; optional ones exactly when asked for. */
	if (lrect_empty(l.avatar) || lrect_empty(l.name) || lrect_empty(l.meta) ||
	    lrect_empty(l.status))
		bad++;
	if (lrect_empty(l.media) != !(flags & LAYOUT_MEDIA) ||
	    lrect_empty(l.boost) != !(flags & LAYOUT_BOOST) ||
	    lrect_empty(l.cw) != !(flags & LAYOUT_CW) ||
	    lrect_empty(l.caption) != !((flags & LAYOUT_MEDIA) && (flags & LAYOUT_CAPTION)))
		bad++;
	/* The text box holds at least three lines at the smallest size and
	 * twelve characters per line. */
	if (l.text.h < 3 * layout_line_height(l.px_text_min) || l.text.w < 12 * l.px_text_min) {
		printf("    %dx%d flags %u: text box %dx%d too small for %d px\n", w, h, flags,
		       l.text.w, l.text.h, l.px_text_min);
		bad++;
	}
	if (l.avatar.w != l.avatar.h || l.avatar.w < l.unit / 10)
		bad++;
	if (l.name.h < layout_line_height(l.px_name) || l.meta.h < layout_line_height(l.px_meta))
		bad++;
	return bad;
}

TEST(regions_at_every_size_landscape_and_portrait)
{
	int bad = 0;
	for (size_t i = 0; i < N_SIZES; i++)
		for (unsigned flags = 0; flags < 16; flags++) {
			bad += check_card(sizes[i][0], sizes[i][1], flags);
			bad += check_card(sizes[i][1], sizes[i][0], flags);
		}
	CHECK_INT(bad, 0);
}

TEST(odd_sizes_stay_inside)
{
	int bad = 0;
	for (int w = 400; w <= 4000; w += 311)
		for (int h = 400; h <= 4000; h += 277) {
			layout_card_t o;
			layout_card(w, h, LAYOUT_MEDIA | LAYOUT_CAPTION | LAYOUT_CW | LAYOUT_BOOST, &o);
			lrect_t all[] = { o.text, o.media, o.caption, o.avatar, o.cw, o.status };
			for (size_t k = 0; k < sizeof all / sizeof *all; k++)
				bad += lrect_inside(all[k], o.safe) ? 0 : 1;
		}
	layout_card_t l;
	layout_card(10, 10, LAYOUT_MEDIA | LAYOUT_CAPTION, &l); /* clamped to 64x64 */
	CHECK_INT(l.w, 64);
	CHECK(lrect_inside(l.text, (lrect_t){ 0, 0, 64, 64 }));
	CHECK_INT(bad, 0);
}

TEST(text_size_scales_with_the_screen)
{
	int prev_max = 0, prev_min = 0;
	for (size_t i = 0; i < N_SIZES; i++) {
		layout_card_t l, p;
		layout_card(sizes[i][0], sizes[i][1], LAYOUT_MEDIA, &l);
		layout_card(sizes[i][1], sizes[i][0], LAYOUT_MEDIA, &p);
		CHECK(l.px_text_max > prev_max);
		CHECK(l.px_text_min > prev_min);
		CHECK(l.px_text_min < l.px_text_max);
		/* Same text size in portrait and landscape of one screen. */
		CHECK_INT(l.px_text_max, p.px_text_max);
		prev_max = l.px_text_max;
		prev_min = l.px_text_min;
	}
	layout_card_t hd;
	layout_card(1920, 1080, 0, &hd);
	CHECK(hd.px_text_max >= 64 && hd.px_text_max <= 80);
	CHECK(hd.px_text_min >= 30);
	CHECK(hd.px_name > hd.px_role && hd.px_role > hd.px_meta);
}

TEST(media_beside_text_in_landscape_below_in_portrait)
{
	layout_card_t l, p;
	layout_card(1920, 1080, LAYOUT_MEDIA | LAYOUT_CAPTION, &l);
	CHECK(l.media.x >= l.text.x + l.text.w);
	CHECK(l.caption.y >= l.media.y + l.media.h);
	layout_card(1080, 1920, LAYOUT_MEDIA | LAYOUT_CAPTION, &p);
	CHECK(p.media.y >= p.text.y + p.text.h);
	CHECK(p.caption.y >= p.media.y + p.media.h);
}

TEST(rotation_swaps_the_canvas)
{
	int lw, lh;
	layout_canvas(1920, 1080, 90, &lw, &lh);
	CHECK(lw == 1080 && lh == 1920);
	layout_canvas(1920, 1080, 270, &lw, &lh);
	CHECK(lw == 1080 && lh == 1920);
	layout_canvas(1920, 1080, 180, &lw, &lh);
	CHECK(lw == 1920 && lh == 1080);
	CHECK(layout_rotation_valid(0) && layout_rotation_valid(270));
	CHECK(!layout_rotation_valid(45) && !layout_rotation_valid(-90) && !layout_rotation_valid(360));
}

TEST(touch_points_map_to_the_rotated_canvas)
{
	double x, y;
	/* Turned 90 degrees clockwise: the canvas's top-left is the screen's top-right. */
	layout_to_logical(90, 1920, 1080, 1920, 0, &x, &y);
	CHECK(fabs(x) < 1e-9 && fabs(y) < 1e-9);
	/* ... and the screen's bottom-left is the canvas's bottom-right. */
	layout_to_logical(90, 1920, 1080, 0, 1080, &x, &y);
	CHECK(fabs(x - 1080) < 1e-9 && fabs(y - 1920) < 1e-9);
	layout_to_logical(180, 1920, 1080, 0, 0, &x, &y);
	CHECK(fabs(x - 1920) < 1e-9 && fabs(y - 1080) < 1e-9);
	layout_to_logical(270, 1920, 1080, 0, 0, &x, &y);
	CHECK(fabs(x - 1080) < 1e-9 && fabs(y) < 1e-9);
	layout_to_logical(0, 1920, 1080, 100, 200, &x, &y);
	CHECK(fabs(x - 100) < 1e-9 && fabs(y - 200) < 1e-9);
	/* The screen's right half is the canvas's upper half at 90 degrees. */
	layout_to_logical(90, 1920, 1080, 1500, 540, &x, &y);
	CHECK(y < 960 && fabs(x - 540) < 1e-9);
}

TEST(focus_crop_follows_the_focus_point)
{
	/* A 2000x1000 image in a square box: a 1000x1000 window. */
	lrect_t c = layout_focus_crop(2000, 1000, 0, 0, 500, 500);
	CHECK(c.w == 1000 && c.h == 1000 && c.x == 500 && c.y == 0);
	c = layout_focus_crop(2000, 1000, 1, 0, 500, 500); /* far right */
	CHECK_INT(c.x, 1000);
	c = layout_focus_crop(2000, 1000, -0.5, 0, 500, 500); /* centre at x=500 */
	CHECK_INT(c.x, 0);
	c = layout_focus_crop(2000, 1000, -0.2, 0, 500, 500); /* centre at x=800 */
	CHECK_INT(c.x, 300);
	/* y is up: focus_y = 1 is the top. */
	c = layout_focus_crop(1000, 2000, 0, 1, 500, 500);
	CHECK_INT(c.y, 0);
	c = layout_focus_crop(1000, 2000, 0, -1, 500, 500);
	CHECK_INT(c.y, 1000);
	/* Nonsense focus is the centre. */
	c = layout_focus_crop(2000, 1000, NAN, 7, 500, 500);
	CHECK_INT(c.x, 500);
	/* Always inside the image. */
	for (double f = -1; f <= 1; f += 0.25) {
		c = layout_focus_crop(640, 480, f, -f, 300, 700);
		CHECK(c.x >= 0 && c.y >= 0 && c.x + c.w <= 640 && c.y + c.h <= 480);
	}
}

TEST(media_box_keeps_aspect_within_limits)
{
	lrect_t box = { 100, 100, 800, 600 };
	lrect_t r = layout_media_box(box, 1600, 1200); /* same aspect: all of it */
	CHECK(r.x == 100 && r.y == 100 && r.w == 800 && r.h == 600);
	r = layout_media_box(box, 1000, 2000); /* tall: narrower, full height */
	CHECK(r.h == 600 && r.w < 800 && lrect_inside(r, box));
	r = layout_media_box(box, 10000, 100); /* panorama: limited to 1.6x the box */
	CHECK(lrect_inside(r, box) && r.w == 800 && r.h >= 600 / 1.6 - 1);
	r = layout_media_box(box, 0, 0);
	CHECK(r.w == 800 && r.h == 600);
}

int main(void)
{
	RUN(regions_at_every_size_landscape_and_portrait);
	RUN(odd_sizes_stay_inside);
	RUN(text_size_scales_with_the_screen);
	RUN(media_beside_text_in_landscape_below_in_portrait);
	RUN(rotation_swaps_the_canvas);
	RUN(touch_points_map_to_the_rotated_canvas);
	RUN(focus_crop_follows_the_focus_point);
	RUN(media_box_keeps_aspect_within_limits);
	return test_summary();
}
