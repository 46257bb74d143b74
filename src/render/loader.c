/*
 * loader: one worker thread, a job queue and a result queue under one
 * mutex.  See loader.h.
 */
#include "loader.h"

#include <SDL_image.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/xmalloc.h"
#include "../layout/layout.h"
#include "draw.h"
#include "imghdr.h"
#include "waiter.h"

#define MAX_FILE_BYTES (64L * 1024 * 1024)
#define HEADER_BYTES (512 * 1024)

typedef struct job {
	uint64_t id;
	char *path;
	load_mode_t mode;
	int w, h;
	float fx, fy;
	struct job *next;
} job_t;

typedef struct done {
	load_result_t r;
	struct done *next;
} done_t;

struct loader {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job_t *jobs, *jobs_tail;
	done_t *done, *done_tail;
	bool stop;
	uint64_t next_id;
	uint64_t decoded;
	uint32_t event_type;
};

static void fail(load_result_t *out, const char *fmt, const char *a, const char *b)
{
	out->surface = NULL;
	out->error = xasprintf(fmt, a, b);
}

/* Read the first bytes of path; NULL with *err set on failure. */
static unsigned char *read_head(const char *path, size_t *n, const char **err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		*err = strerror(errno);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = "not a regular file";
		return NULL;
	}
	if (st.st_size > MAX_FILE_BYTES) {
		*err = "file larger than 64 MB";
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = strerror(errno);
		return NULL;
	}
	unsigned char *buf = xmalloc(HEADER_BYTES);
	*n = fread(buf, 1, HEADER_BYTES, f);
	fclose(f);
	return buf;
}

static SDL_Surface *make(SDL_Surface *img, load_mode_t mode, int w, int h, float fx, float fy)
{
	if (w < 1 || h < 1)
		return NULL;
	if (mode == LOAD_AVATAR) {
		int side = img->w < img->h ? img->w : img->h;
		/* Faces sit in the upper part of portraits: bias the crop up. */
		SDL_Rect c = { (img->w - side) / 2, img->h > img->w ? (img->h - side) / 4 : 0, side, side };
		SDL_Surface *s = draw_scale(img, &c, w, h);
		if (s)
			draw_mask_circle(s);
		return s;
	}
	if (mode == LOAD_MEDIA) {
		lrect_t box = layout_media_box((lrect_t){ 0, 0, w, h }, img->w, img->h);
		lrect_t c = layout_focus_crop(img->w, img->h, fx, fy, box.w, box.h);
		SDL_Rect cr = { c.x, c.y, c.w, c.h };
		return draw_scale(img, &cr, box.w, box.h);
	}
	double s = fmin((double)w / img->w, (double)h / img->h);
	int ow = (int)lround(img->w * s), oh = (int)lround(img->h * s);
	return draw_scale(img, NULL, ow < 1 ? 1 : ow, oh < 1 ? 1 : oh);
}

static _Atomic long max_pixels = IMGHDR_MAX_PIXELS;
static _Atomic int max_side_px;

void loader_set_limits(long long max_decode_bytes, int max_side)
{
	long long px = max_decode_bytes > 0 ? max_decode_bytes / 4 : IMGHDR_MAX_PIXELS; /* RGBA */
	max_pixels = (long)(px > IMGHDR_MAX_PIXELS ? IMGHDR_MAX_PIXELS : px < 1000000 ? 1000000 : px);
	max_side_px = max_side > 0 ? max_side : 0;
}

void loader_run(const char *path, load_mode_t mode, int w, int h, float fx, float fy,
                load_result_t *out)
{
	int side = max_side_px;
	if (side > 0) { /* keep the box's shape, within the GPU's largest texture */
		double s = fmin(1.0, fmin((double)side / (w > 0 ? w : 1), (double)side / (h > 0 ? h : 1)));
		w = (int)(w * s);
		h = (int)(h * s);
	}
	memset(out, 0, sizeof *out);
	const char *err = NULL;
	size_t n = 0;
	unsigned char *head = read_head(path, &n, &err);
	if (!head) {
		fail(out, "%s: %s", path, err);
		return;
	}
	int iw, ih;
	const char *fmt = imghdr_size(head, n, &iw, &ih);
	free(head);
	if (!fmt) {
		fail(out, "%s: %s", path, "not a PNG, JPEG, GIF or WebP image (or a damaged one)");
		return;
	}
	out->src_w = iw;
	out->src_h = ih;
	long limit = max_pixels;
	if ((long)iw * ih > limit) {
		char dims[96];
		snprintf(dims, sizeof dims, "%dx%d pixels, over the %.4g megapixel limit", iw, ih,
		         (double)limit / 1e6);
		fail(out, "%s: %s", path, dims);
		return;
	}
	SDL_Surface *raw = IMG_Load(path);
	if (!raw) {
		fail(out, "%s: %s", path, IMG_GetError());
		return;
	}
	SDL_Surface *img = draw_convert(raw);
	SDL_FreeSurface(raw);
	if (!img) {
		fail(out, "%s: %s", path, SDL_GetError());
		return;
	}
	out->src_w = img->w;
	out->src_h = img->h;
	out->surface = make(img, mode, w, h, fx, fy);
	SDL_FreeSurface(img);
	if (!out->surface)
		fail(out, "%s: %s", path, "could not be scaled");
}

static void *worker(void *arg)
{
	loader_t *l = arg;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->jobs && !l->stop)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->stop)
			break;
		job_t *j = l->jobs;
		l->jobs = j->next;
		if (!l->jobs)
			l->jobs_tail = NULL;
		pthread_mutex_unlock(&l->mu);

		done_t *d = xcalloc(1, sizeof *d);
		loader_run(j->path, j->mode, j->w, j->h, j->fx, j->fy, &d->r);
		d->r.id = j->id;
		free(j->path);
		free(j);

		pthread_mutex_lock(&l->mu);
		if (l->done_tail)
			l->done_tail->next = d;
		else
			l->done = d;
		l->done_tail = d;
		l->decoded++;
		if (l->event_type) {
			SDL_Event ev = { .type = l->event_type };
			SDL_PushEvent(&ev);
			waiter_pushed(); /* a loop sleeping in poll() (waiter.h) */
		}
	}
	pthread_mutex_unlock(&l->mu);
	/* SDL keeps an error buffer per thread (set by a failed IMG_Load); it
	 * frees it only for threads it started itself: this one is ours. */
	SDL_TLSCleanup();
	return NULL;
}

loader_t *loader_new(uint32_t event_type)
{
	loader_t *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->event_type = event_type;
	if (pthread_create(&l->thread, NULL, worker, l) != 0) {
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv);
		free(l);
		return NULL;
	}
	return l;
}

void loader_free(loader_t *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	while (l->jobs) {
		job_t *j = l->jobs;
		l->jobs = j->next;
		free(j->path);
		free(j);
	}
	while (l->done) {
		done_t *d = l->done;
		l->done = d->next;
		SDL_FreeSurface(d->r.surface);
		free(d->r.error);
		free(d);
	}
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

uint64_t loader_submit(loader_t *l, const char *path, load_mode_t mode, int w, int h, float fx,
                       float fy)
{
	job_t *j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path ? path : "");
	j->mode = mode;
	j->w = w;
	j->h = h;
	j->fx = fx;
	j->fy = fy;
	pthread_mutex_lock(&l->mu);
	uint64_t id = ++l->next_id;
	j->id = id;
	if (l->jobs_tail)
		l->jobs_tail->next = j;
	else
		l->jobs = j;
	l->jobs_tail = j;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	/* not j->id: once unlocked, the worker may already have done and freed j */
	return id;
}

bool loader_take(loader_t *l, load_result_t *out)
{
	pthread_mutex_lock(&l->mu);
	done_t *d = l->done;
	if (d) {
		l->done = d->next;
		if (!l->done)
			l->done_tail = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	if (!d)
		return false;
	*out = d->r;
	free(d);
	return true;
}

uint64_t loader_decoded(const loader_t *l)
{
	return l->decoded;
}
