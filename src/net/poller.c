/*
 * poller: the loop between the sources, the network worker and the cache.
 *
 * State: every cached post (one master list, the cache's posts.json), one
 * runtime record per source (its adapter, when it is next due, its back-off,
 * its last status), and the media downloads in flight.  A cycle of a source
 * is: ops->begin, then request/response pairs until the adapter reports the
 * cycle complete; the batch is then merged into the master list, the cache is
 * written, a new snapshot is published, and the media the new posts need are
 * queued.  Failures keep every cached post, back off up to a cap, and are
 * logged once per condition (log_event keyed by the source).  Every wait
 * comes from poller_next_wait(): jitter only lengthens it, so no source is
 * asked sooner than its interval, and a server's own wait is kept to.
 *
 * Threading: poller_start() runs poller_main() in its own thread; the network
 * worker's notify callback and poller_stop()/poller_reload() signal one
 * condition variable, so the thread sleeps until its next deadline.
 * poller_once() runs the same functions on the caller's thread.
 */
#include "poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/clock.h"
#include "../base/fsio.h"
#include "../base/log.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "../feed/feed.h"
#include "../feed/hidden.h"
#include "../sources/advice.h"
#include "../sources/facebook.h"
#include "../sources/linkedin.h"
#include "../sources/source.h"
#include "../sources/x.h"
#include "net.h"

#define MEDIA_RETRY_S (30 * 60)
#define LONG_WAIT_S (60 * 60)   /* a server's wait longer than this is logged */
#define MEDIA_MAX_INFLIGHT 4
#define MEDIA_POSTS_CONSIDERED 100

typedef struct src_rt {
	source_t src;
	bool active;            /* adapter exists and spec is usable */
	bool in_cycle;
	int64_t due_ms;         /* monotonic */
	int failures;           /* consecutive */
	source_batch_t batch;
	int requests;           /* in this cycle, bounded */
	source_status_t status; /* of the last finished cycle */
	char *message;          /* last status detail */
	int64_t last_ok;        /* wall */
	int64_t last_attempt;   /* wall */
	int64_t failing_since;  /* wall; 0 while fine */
	int64_t token_warned;   /* wall; last token-expiry warning */
	int64_t started_ms;     /* monotonic; when the last cycle started (0: never) */
	bool long_wait_logged;  /* the server's current long wait was logged */
	bool answered_once;     /* for --once */
	bool finished_once;
	cJSON *saved_state;     /* adapter state to hand to init() */
	char *fail_text;        /* the failure line last logged for this source */
	char *fail_cond;        /* ... and its condition (digits squashed), see log_failure() */
} src_rt_t;

/* A request's user pointer is the src_rt_t it belongs to, or &media_job for a
 * media download (whose URL is the response's url): nothing to free, so
 * requests cancelled at shutdown leak nothing. */
static char media_job;

typedef struct media_fail {
	char *url;
	int64_t when_ms;
} media_fail_t;

struct poller {
	const config_t *cfg;
	const config_t *pending_cfg;
	bool reload_pending;    /* poller_reload() waits for the swap of cfg */
	bool rebuild_pending;   /* cfg swapped; sources rebuilt once no cycle runs */
	cache_t *cache;
	net_t *net;
	src_rt_t **srcs;
	size_t n_srcs;
	post_list_t all;        /* every cached post */
	bool posts_dirty;
	char **media_inflight;
	size_t n_media_inflight, cap_media_inflight;
	media_fail_t *media_fails;
	size_t n_media_fails, cap_media_fails;

	pthread_t thread;
	bool threaded;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t reload_done;
	bool stop;
	bool woken;
	void (*notify)(void *);
	void *notify_ctx;

	feed_snapshot_t *snap;  /* guarded by lock */
	uint64_t generation;
	int64_t last_success;   /* wall, max over sources */
};

static char *sample_file;

void poller_set_sample_file(const char *path)
{
	free(sample_file);
	sample_file = xstrdup(path);
}

/* ---- snapshots ----------------------------------------------------------- */

feed_snapshot_t *feed_snapshot_ref(feed_snapshot_t *s)
{
	if (s)
		__atomic_add_fetch(&s->refs_, 1, __ATOMIC_SEQ_CST);
	return s;
}

void feed_snapshot_unref(feed_snapshot_t *s)
{
	if (!s || __atomic_sub_fetch(&s->refs_, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	post_list_clear(&s->posts);
	free(s->cache_dir);
	free(s);
}

feed_snapshot_t *poller_snapshot(poller_t *p)
{
	pthread_mutex_lock(&p->lock);
	feed_snapshot_t *s = feed_snapshot_ref(p->snap);
	pthread_mutex_unlock(&p->lock);
	return s;
}

/* Offline: every source that has been tried is failing with a network error. */
static int64_t offline_since(const poller_t *p)
{
	int64_t since = 0;
	size_t tried = 0;
	for (size_t i = 0; i < p->n_srcs; i++) {
		const src_rt_t *r = p->srcs[i];
		if (!r->active || !r->last_attempt)
			continue;
		tried++;
		if (!r->failing_since || r->status != SRC_ERR_NETWORK)
			return 0;
		if (!since || r->failing_since < since)
			since = r->failing_since;
	}
	return tried ? since : 0;
}

static post_list_t *load_sample(post_list_t *out)
{
	if (!sample_file)
		return NULL;
	size_t len;
	char *text = fsio_read_file(sample_file, 4 << 20, &len);
	if (!text) {
		log_warn("poller", "sample feed %s: %s", sample_file, strerror(errno));
		return NULL;
	}
	cJSON *root = cJSON_ParseWithLength(text, len);
	free(text);
	const cJSON *posts = cJSON_GetObjectItemCaseSensitive(root, "posts");
	const cJSON *it;
	int64_t now = clock_wall();
	size_t i = 0;
	cJSON_ArrayForEach(it, posts) {
		post_t *sp = post_from_json(it);
		if (!sp)
			continue;
		sp->network = NET_SAMPLE;
		/* keep the sample looking recent: spread over the last hours */
		sp->created = now - (int64_t)(i++ * 2400 + 300);
		post_list_push(out, sp);
	}
	cJSON_Delete(root);
	if (!out->len)
		log_warn("poller", "sample feed %s holds no posts", sample_file);
	return out;
}

static void publish(poller_t *p)
{
	feed_snapshot_t *s = xcalloc(1, sizeof *s);
	s->refs_ = 1;
	post_list_init(&s->posts);
	/* read every time: `balie --hide` edits the file from another process
	 * and sends SIGHUP; it is a few lines */
	hidden_list_t hidden;
	hidden_init(&hidden);
	char *err = NULL;
	if (!hidden_load(cache_dir(p->cache), &hidden, &err)) {
		log_event("hidden", LOG_LVL_WARN, "poller", "%s", err);
		free(err);
	}
	feed_build(p->cfg, &p->all, (const char *const *)hidden.items, hidden.len, clock_wall(), &s->posts);
	hidden_clear(&hidden);
	if (s->posts.len == 0 && p->cfg->display.sample && load_sample(&s->posts))
		s->sample = s->posts.len > 0;
	s->cache_dir = xstrdup(cache_dir(p->cache));
	s->last_success = p->last_success;
	s->offline_since = offline_since(p);
	s->generation = ++p->generation;

	pthread_mutex_lock(&p->lock);
	feed_snapshot_t *old = p->snap;
	p->snap = s;
	pthread_mutex_unlock(&p->lock);
	feed_snapshot_unref(old);
	if (p->notify)
		p->notify(p->notify_ctx);
}

/* ---- tokens -------------------------------------------------------------- */

/* Read a token file that only this user may read.  NULL with *err set when
 * the file is missing, empty or readable by others.  Only the first line is
 * the token, except for LinkedIn and Bluesky, whose adapters read more. */
static char *read_token(const char *path, network_t net, char **err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		*err = xasprintf("token file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_mode & 077) {
		*err = xasprintf("token file %s is readable by others (mode %04o); "
		                 "refusing it: run chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
		return NULL;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		*err = xasprintf("token file %s belongs to another user (uid %u); refusing it",
		                 path, (unsigned)st.st_uid);
		return NULL;
	}
	size_t len;
	char *text = fsio_read_file(path, 64 * 1024, &len);
	if (!text) {
		*err = xasprintf("token file %s: %s", path, strerror(errno));
		return NULL;
	}
	/* LinkedIn files may carry "expires=" on line 2; Bluesky app-password
	 * files are "handle\npassword": those adapters read the whole file. */
	if (net != NET_LINKEDIN && net != NET_BLUESKY)
		text[strcspn(text, "\r\n")] = '\0';
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (!n) {
		free(text);
		*err = xasprintf("token file %s is empty", path);
		return NULL;
	}
	return text;
}

/* ---- sources ------------------------------------------------------------- */

static void rt_free(src_rt_t *r)
{
	if (!r)
		return;
	if (r->src.ops && r->src.ops->destroy)
		r->src.ops->destroy(&r->src);
	source_spec_free(r->src.spec);
	if (r->src.token) {
		memset(r->src.token, 0, strlen(r->src.token));
		free(r->src.token);
	}
	source_batch_clear(&r->batch);
	free(r->message);
	free(r->fail_text);
	free(r->fail_cond);
	cJSON_Delete(r->saved_state);
	free(r);
}

static void set_message(src_rt_t *r, const char *msg)
{
	free(r->message);
	r->message = xstrdup(msg);
}

static src_rt_t *rt_new(source_spec_t *spec, const cJSON *state)
{
	src_rt_t *r = xcalloc(1, sizeof *r);
	r->src.spec = spec;
	source_batch_init(&r->batch);
	r->src.ops = source_ops_for(spec->network, spec->kind);
	const cJSON *adapter = cJSON_GetObjectItemCaseSensitive(state, "adapter");
	const cJSON *v;
	if ((v = cJSON_GetObjectItemCaseSensitive(state, "last_ok")) && cJSON_IsNumber(v))
		r->last_ok = (int64_t)v->valuedouble;
	if (!r->src.ops) {
		r->status = SRC_ERR_CONFIG;
		set_message(r, "balie cannot read this network yet");
		return r;
	}
	if (spec->token_file) {
		char *err = NULL;
		r->src.token = read_token(spec->token_file, spec->network, &err);
		if (!r->src.token) {
			r->status = SRC_ERR_CONFIG;
			set_message(r, err);
			log_event(spec->key, LOG_LVL_ERROR, "poller", "%s: %s", spec->key, err);
			free(err);
			return r;
		}
	}
	r->src.now = clock_wall();
	r->src.ops->init(&r->src, adapter);
	r->active = true;
	return r;
}

static void build_sources(poller_t *p, const cJSON *state)
{
	/* validated by the config parser; NULL restores each adapter's default */
	facebook_set_graph_version(p->cfg->network.facebook_graph_version);
	linkedin_set_version(p->cfg->network.linkedin_version);
	x_set_recheck_hours(p->cfg->network.x_recheck_hours);
	source_spec_t **specs = NULL;
	size_t n = config_sources(p->cfg, &specs);
	p->srcs = n ? xcalloc(n, sizeof *p->srcs) : NULL;
	p->n_srcs = n;
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < n; i++) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(state, specs[i]->key);
		p->srcs[i] = rt_new(specs[i], st);
		specs[i] = NULL;
		/* spread the first polls a little so sources do not fire in lockstep */
		p->srcs[i]->due_ms = now + (int64_t)(i * 150);
		if (p->srcs[i]->last_ok > p->last_success)
			p->last_success = p->srcs[i]->last_ok;
	}
	free(specs);
}

static cJSON *state_json(poller_t *p)
{
	cJSON *root = cJSON_CreateObject();
	for (size_t i = 0; i < p->n_srcs; i++) {
		src_rt_t *r = p->srcs[i];
		cJSON *o = cJSON_AddObjectToObject(root, r->src.spec->key);
		cJSON_AddNumberToObject(o, "last_ok", (double)r->last_ok);
		cJSON_AddNumberToObject(o, "last_attempt", (double)r->last_attempt);
		cJSON_AddStringToObject(o, "status", source_status_name(r->status));
		if (r->message)
			cJSON_AddStringToObject(o, "message", r->message);
		cJSON *ad = r->active && r->src.ops->save_state ? r->src.ops->save_state(&r->src) : NULL;
		if (!ad && r->saved_state)
			ad = cJSON_Duplicate(r->saved_state, 1);
		if (ad)
			cJSON_AddItemToObject(o, "adapter", ad);
	}
	return root;
}

/* Drop a cached media name whose file is gone, so it is downloaded again. */
static void forget_if_missing(const char *media_dir, char **slot)
{
	if (!*slot)
		return;
	char *path = xasprintf("%s/%s", media_dir, *slot);
	struct stat st;
	if (stat(path, &st) != 0) {
		free(*slot);
		*slot = NULL;
	}
	free(path);
}

static void forget_missing_files(poller_t *p, const char *media_dir)
{
	for (size_t i = 0; i < p->all.len; i++) {
		post_t *pt = p->all.items[i];
		forget_if_missing(media_dir, &pt->author.avatar_file);
		for (size_t e = 0; e < pt->author.n_emojis; e++)
			forget_if_missing(media_dir, &pt->author.emojis[e].file);
		if (pt->booster)
			forget_if_missing(media_dir, &pt->booster->avatar_file);
		for (size_t m = 0; m < pt->n_media; m++)
			forget_if_missing(media_dir, &pt->media[m].file);
		for (size_t e = 0; e < pt->n_emojis; e++)
			forget_if_missing(media_dir, &pt->emojis[e].file);
		if (pt->card)
			forget_if_missing(media_dir, &pt->card->image_file);
	}
}

/* The cache directory was removed under a running balie (an administrator,
 * a cleaner of /var/cache): the posts on screen live on in memory, so make
 * the directory again and save them there, rather than failing every save
 * until a restart finds nothing.  Images whose files went with it are
 * downloaded again. */
static void recreate_cache_dir(poller_t *p)
{
	const char *dir = cache_dir(p->cache);
	struct stat st;
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return;
	char *media = xasprintf("%s/media", dir);
	if (fsio_mkdirs(media, 0755)) {
		log_warn("poller", "cache directory %s was removed while balie was running; created it "
		         "again and saving the %zu posts in memory there", dir, p->all.len);
		forget_missing_files(p, media);
		p->posts_dirty = true;
	}
	free(media);
}

static void save(poller_t *p)
{
	recreate_cache_dir(p);
	if (p->posts_dirty) {
		post_list_sort(&p->all);
		cache_options_t co;
		cache_options_default(&co);
		co.max_age_days = p->cfg->cache.max_age_days;
		co.max_posts = p->cfg->cache.max_posts;
		co.max_media_bytes = (long long)p->cfg->cache.max_media_mb * 1024 * 1024;
		cache_prune(&co, &p->all, clock_wall());
		if (cache_save_posts(p->cache, &p->all)) {
			p->posts_dirty = false;
			/* media no kept post uses go first; LRU above the size limit.
			 * The posts of the snapshot on screen are kept too: the screen
			 * may still be building a card of a post pruned just now. */
			post_list_t keep = { 0 };
			size_t n_snap = p->snap ? p->snap->posts.len : 0;
			keep.items = xcalloc(p->all.len + n_snap + 1, sizeof *keep.items);
			for (size_t i = 0; i < p->all.len; i++)
				keep.items[keep.len++] = p->all.items[i];
			for (size_t i = 0; i < n_snap; i++)
				keep.items[keep.len++] = p->snap->posts.items[i];
			keep.cap = keep.len;
			cache_media_evict(p->cache, &keep);
			free(keep.items); /* the posts belong to p->all and the snapshot */
		}
	}
	cJSON *st = state_json(p);
	cache_save_state(p->cache, st);
	cJSON_Delete(st);
}

/* ---- merging ------------------------------------------------------------- */

/* Keep files already downloaded for URLs the new version still uses. */
static void carry_files(post_t *np, const post_t *old)
{
	if (!np->author.avatar_file && old->author.avatar_file && np->author.avatar_url &&
	    old->author.avatar_url && strcmp(np->author.avatar_url, old->author.avatar_url) == 0)
		np->author.avatar_file = xstrdup(old->author.avatar_file);
	for (size_t i = 0; i < np->n_media; i++)
		for (size_t j = 0; j < old->n_media; j++)
			if (!np->media[i].file && old->media[j].file && np->media[i].url &&
			    old->media[j].url && strcmp(np->media[i].url, old->media[j].url) == 0)
				np->media[i].file = xstrdup(old->media[j].file);
	if (np->card && old->card && !np->card->image_file && old->card->image_file &&
	    np->card->image_url && old->card->image_url &&
	    strcmp(np->card->image_url, old->card->image_url) == 0)
		np->card->image_file = xstrdup(old->card->image_file);
	if (np->booster && old->booster && !np->booster->avatar_file && old->booster->avatar_file &&
	    np->booster->avatar_url && old->booster->avatar_url &&
	    strcmp(np->booster->avatar_url, old->booster->avatar_url) == 0)
		np->booster->avatar_file = xstrdup(old->booster->avatar_file);
	for (size_t i = 0; i < np->n_emojis; i++)
		for (size_t j = 0; j < old->n_emojis; j++)
			if (!np->emojis[i].file && old->emojis[j].file && np->emojis[i].url &&
			    old->emojis[j].url && strcmp(np->emojis[i].url, old->emojis[j].url) == 0)
				np->emojis[i].file = xstrdup(old->emojis[j].file);
	np->fetched = old->fetched;
}

static bool in_batch(const source_batch_t *b, const char *key)
{
	return post_list_find(&b->posts, key) >= 0;
}

static void merge(poller_t *p, src_rt_t *r)
{
	source_batch_t *b = &r->batch;
	int64_t now = clock_wall();
	size_t added = 0, removed = 0, updated = b->posts.len;

	/* An "authoritative" answer from a server without a single readable post
	 * (a page of malformed entries, valid JSON of the wrong shape) is no
	 * evidence that everything was deleted upstream: keep what is cached.
	 * The notices file is local and the truth: emptied means removed. */
	if (b->authoritative && b->posts.len == 0 && b->n_deleted == 0 &&
	    r->src.spec->network != NET_NOTICE)
		log_debug("poller", "%s: an answer without readable posts deletes nothing", r->src.spec->key);
	else if (b->authoritative) {
		for (size_t i = p->all.len; i-- > 0;) {
			post_t *old = p->all.items[i];
			if (old->source && strcmp(old->source, r->src.spec->key) == 0 &&
			    old->created >= b->window_start && !in_batch(b, old->key)) {
				post_list_remove(&p->all, i);
				removed++;
			}
		}
	}
	for (size_t i = 0; i < b->n_deleted; i++) {
		long at = post_list_find(&p->all, b->deleted[i]);
		if (at >= 0) {
			post_list_remove(&p->all, (size_t)at);
			removed++;
		}
	}
	for (size_t i = 0; i < b->posts.len; i++) {
		post_t *np = b->posts.items[i];
		b->posts.items[i] = NULL;
		if (!np->source)
			np->source = xstrdup(r->src.spec->key);
		if (!np->person && r->src.spec->person)
			np->person = xstrdup(r->src.spec->person);
		long at = post_list_find(&p->all, np->key);
		if (at >= 0) {
			carry_files(np, p->all.items[at]);
			post_free(p->all.items[at]);
			p->all.items[at] = np;
		} else {
			np->fetched = now;
			post_list_push(&p->all, np);
			added++;
		}
	}
	b->posts.len = 0;
	if (added || removed || updated)
		p->posts_dirty = true;
	if (added || removed)
		log_debug("poller", "%s: %zu new, %zu removed", r->src.spec->key, added, removed);
}

/* ---- media --------------------------------------------------------------- */

static bool media_busy(poller_t *p, const char *url)
{
	for (size_t i = 0; i < p->n_media_inflight; i++)
		if (strcmp(p->media_inflight[i], url) == 0)
			return true;
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < p->n_media_fails; i++)
		if (strcmp(p->media_fails[i].url, url) == 0 && now - p->media_fails[i].when_ms < MEDIA_RETRY_S * 1000)
			return true;
	return false;
}

static void media_submit(poller_t *p, const char *url)
{
	if (!url || !*url || p->n_media_inflight >= MEDIA_MAX_INFLIGHT || media_busy(p, url))
		return;
	if (!url_may_fetch(url))
		return; /* never fetch file://, other schemes or other local ports named by network data */
	XGROW(p->media_inflight, p->cap_media_inflight, p->n_media_inflight + 1);
	p->media_inflight[p->n_media_inflight++] = xstrdup(url);
	net_request_t *req = net_request_new(url);
	net_options_t o;
	net_options_default(&o);
	req->max_body = p->cfg->network.max_media_kb > 0 ? (size_t)p->cfg->network.max_media_kb * 1024 : o.max_media;
	req->user = &media_job;
	net_submit(p->net, req);
}

/* The first displayable image of a post: media[0] (its preview for video),
 * else the link card's image. */
static void post_wanted_media(const post_t *pt, const char **url, bool *have)
{
	*url = NULL;
	*have = false;
	if (pt->n_media) {
		const media_t *m = &pt->media[0];
		bool still = m->kind == MEDIA_IMAGE || m->kind == MEDIA_GIFV || m->kind == MEDIA_UNKNOWN;
		*url = still && m->url ? m->url : m->preview_url;
		*have = m->file != NULL;
	} else if (pt->card && pt->card->image_url) {
		*url = pt->card->image_url;
		*have = pt->card->image_file != NULL;
	}
}

/* Notices name local images (file:///path): they come from the front desk's
 * own file, never from a network, so they are read from disk here.  Only
 * for NET_NOTICE posts: a file:// URL from network data is never opened. */
static void notice_media(poller_t *p, post_t *pt)
{
	for (size_t i = 0; i < pt->n_media; i++) {
		media_t *m = &pt->media[i];
		if (m->file || !m->url || strncmp(m->url, "file://", 7) != 0 || media_busy(p, m->url))
			continue;
		size_t len = 0;
		size_t cap = p->cfg->network.max_media_kb > 0 ? (size_t)p->cfg->network.max_media_kb * 1024 : 16u << 20;
		char *data = fsio_read_file(m->url + 7, cap, &len);
		char *name = data && len ? cache_media_store(p->cache, data, len) : NULL;
		if (name) {
			m->file = name;
			p->posts_dirty = true;
		} else {
			log_event(m->url, LOG_LVL_WARN, "poller", "notice image %s: %s", m->url + 7,
			          data ? "could not be stored" : strerror(errno));
			XGROW(p->media_fails, p->cap_media_fails, p->n_media_fails + 1);
			p->media_fails[p->n_media_fails++] = (media_fail_t){ xstrdup(m->url), clock_mono_ms() };
		}
		free(data);
	}
}

static void media_queue(poller_t *p)
{
	size_t considered = 0;
	for (size_t i = 0; i < p->all.len && considered < MEDIA_POSTS_CONSIDERED; i++, considered++) {
		post_t *pt = p->all.items[i];
		if (pt->network == NET_NOTICE)
			notice_media(p, pt);
		if (p->n_media_inflight >= MEDIA_MAX_INFLIGHT)
			return;
		if (!pt->author.avatar_file && pt->author.avatar_url)
			media_submit(p, pt->author.avatar_url);
		if (pt->booster && !pt->booster->avatar_file && pt->booster->avatar_url)
			media_submit(p, pt->booster->avatar_url);
		const char *url;
		bool have;
		post_wanted_media(pt, &url, &have);
		if (url && !have)
			media_submit(p, url);
		for (size_t e = 0; e < pt->n_emojis; e++)
			if (!pt->emojis[e].file && pt->emojis[e].url)
				media_submit(p, pt->emojis[e].url);
	}
}

static void set_file(char **slot, const char *have_url, const char *url, const char *name)
{
	if (have_url && strcmp(have_url, url) == 0 && !*slot)
		*slot = xstrdup(name);
}

static void media_done(poller_t *p, const net_response_t *resp)
{
	const char *url = resp->url;
	for (size_t i = 0; i < p->n_media_inflight; i++)
		if (strcmp(p->media_inflight[i], url) == 0) {
			free(p->media_inflight[i]);
			p->media_inflight[i] = p->media_inflight[--p->n_media_inflight];
			break;
		}
	char *name = NULL;
	if (resp->error == NET_OK && resp->status == 200 && resp->body_len > 0)
		name = cache_media_store(p->cache, resp->body, resp->body_len);
	if (!name) {
		char *ru = url_redact(url);
		log_debug("poller", "media %s: %s", ru,
		          resp->error ? net_error_name(resp->error) : "not stored");
		free(ru);
		XGROW(p->media_fails, p->cap_media_fails, p->n_media_fails + 1);
		p->media_fails[p->n_media_fails++] = (media_fail_t){ xstrdup(url), clock_mono_ms() };
		return;
	}
	for (size_t i = 0; i < p->all.len; i++) {
		post_t *pt = p->all.items[i];
		set_file(&pt->author.avatar_file, pt->author.avatar_url, url, name);
		if (pt->booster)
			set_file(&pt->booster->avatar_file, pt->booster->avatar_url, url, name);
		for (size_t m = 0; m < pt->n_media; m++) {
			set_file(&pt->media[m].file, pt->media[m].url, url, name);
			set_file(&pt->media[m].file, pt->media[m].preview_url, url, name);
		}
		if (pt->card)
			set_file(&pt->card->image_file, pt->card->image_url, url, name);
		for (size_t e = 0; e < pt->n_emojis; e++)
			set_file(&pt->emojis[e].file, pt->emojis[e].url, url, name);
	}
	free(name);
	p->posts_dirty = true;
}

static void media_fails_expire(poller_t *p)
{
	int64_t now = clock_mono_ms();
	for (size_t i = p->n_media_fails; i-- > 0;)
		if (now - p->media_fails[i].when_ms >= MEDIA_RETRY_S * 1000) {
			free(p->media_fails[i].url);
			p->media_fails[i] = p->media_fails[--p->n_media_fails];
		}
}

/* ---- cycles -------------------------------------------------------------- */

/* ms lengthened by up to 20 %, so many screens (or sources) do not poll in
 * lockstep; never shortened, so no wait falls below what it was chosen as. */
static int64_t jitter_up(int64_t ms, uint32_t rnd)
{
	int64_t span = ms / 5;
	return span > 0 ? ms + (int64_t)(rnd % (uint64_t)(span + 1)) : ms;
}

poller_wait_t poller_next_wait(source_status_t st, int failures, int interval_s, int64_t retry_in_ms,
                               uint32_t rnd)
{
	poller_wait_t w = { 0 };
	int64_t interval = (int64_t)(interval_s > POLLER_MIN_INTERVAL_S ? interval_s : POLLER_MIN_INTERVAL_S) * 1000;
	int64_t max_wait = (int64_t)POLLER_MAX_WAIT_S * 1000;
	if (st == SRC_DONE || st == SRC_NOT_MODIFIED) {
		w.wait_ms = jitter_up(interval, rnd);
		/* an answer that used up the rate limit: wait for its reset, not a 429 */
		if (retry_in_ms > w.wait_ms) {
			w.server_asked = true;
			w.capped = retry_in_ms > max_wait;
			w.wait_ms = w.capped ? max_wait : retry_in_ms;
		}
		return w;
	}
	if (st == SRC_ERR_RATE && retry_in_ms > 0) {
		w.server_asked = true;
		w.capped = retry_in_ms > max_wait;
		w.wait_ms = w.capped ? max_wait : retry_in_ms < interval ? interval : retry_in_ms;
		return w;
	}
	if (st == SRC_ERR_AUTH) {
		/* A token the server rejected is not retried every interval (that
		 * would hammer login endpoints), but probed once an hour: a server
		 * that answered 401 by mistake, or a token fixed in place, then
		 * recovers without anyone reloading balie. */
		w.wait_ms = jitter_up((int64_t)POLLER_AUTH_RETRY_S * 1000, rnd);
		return w;
	}
	if (st == SRC_ERR_NOT_FOUND || st == SRC_ERR_CONFIG) {
		int64_t hour = 3600 * 1000;
		w.wait_ms = jitter_up(interval > hour ? interval : hour, rnd);
		return w;
	}
	/* back-off: the interval, doubling per failure in a row, up to the cap
	 * (or the interval itself when that is longer) */
	int shift = failures > 6 ? 6 : failures - 1;
	int64_t wait = interval << (shift > 0 ? shift : 0);
	int64_t cap = (int64_t)POLLER_BACKOFF_CAP_S * 1000;
	if (cap < interval)
		cap = interval;
	w.wait_ms = jitter_up(wait > cap ? cap : wait, rnd);
	return w;
}

/* "3 h 20 min", "45 min", "2 days". */
static void format_wait(char *buf, size_t size, int64_t s)
{
	if (s >= 2 * 86400)
		snprintf(buf, size, "%lld days", (long long)(s / 86400));
	else if (s >= 3600 && (s % 3600) / 60)
		snprintf(buf, size, "%lld h %lld min", (long long)(s / 3600), (long long)((s % 3600) / 60));
	else if (s >= 3600)
		snprintf(buf, size, "%lld h", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lld min", (long long)((s + 59) / 60));
}

static void schedule_next(src_rt_t *r, source_status_t st)
{
	int64_t retry_in_ms = r->batch.retry_at > 0 ? (r->batch.retry_at - clock_wall()) * 1000 : 0;
	poller_wait_t w = poller_next_wait(st, r->failures, r->src.spec->interval_s, retry_in_ms, (uint32_t)random());
	r->due_ms = clock_mono_ms() + w.wait_ms;
	/* A wait of hours is worth one line: the screen shows old posts that
	 * long.  Logged once per wait, not at every refresh that renews it. */
	bool long_wait = w.server_asked && (w.capped || w.wait_ms > (int64_t)LONG_WAIT_S * 1000);
	if (long_wait && !r->long_wait_logged) {
		char asked[32], waits[32];
		format_wait(asked, sizeof asked, retry_in_ms / 1000);
		format_wait(waits, sizeof waits, w.wait_ms / 1000);
		if (w.capped)
			log_warn("poller", "%s: the server asks balie to wait %s before asking again; waiting %s, "
			         "the longest balie waits", r->src.spec->key, asked, waits);
		else
			log_warn("poller", "%s: the server asks balie to wait %s before asking again; waiting that long",
			         r->src.spec->key, waits);
	}
	r->long_wait_logged = long_wait;
}

static size_t cached_count(const poller_t *p, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < p->all.len; i++)
		if (p->all.items[i]->source && strcmp(p->all.items[i]->source, key) == 0)
			n++;
	return n;
}

/* A copy of text with every run of digits replaced by one '#'. */
static char *squash_digits(const char *text)
{
	char *out = xstrdup(text);
	size_t w = 0;
	for (size_t i = 0; text[i]; i++) {
		bool digit = text[i] >= '0' && text[i] <= '9';
		if (digit && w > 0 && out[w - 1] == '#')
			continue;
		out[w++] = digit ? '#' : text[i];
	}
	out[w] = '\0';
	return out;
}

/* Log a failing cycle once per condition.  log_event() folds identical
 * lines, but failure texts carry numbers that change from poll to poll
 * ("timed out after 2000 ms" / "after 2014 ms", "keeping 3" / "4 cached
 * posts"): the same failure with other numbers is the same condition, so the
 * line logged first is repeated (and counted, not printed) until the
 * condition itself changes. */
static void log_failure(src_rt_t *r, enum log_level lvl, const char *text)
{
	char *cond = squash_digits(text);
	if (!r->fail_text || !r->fail_cond || strcmp(cond, r->fail_cond) != 0) {
		free(r->fail_text);
		free(r->fail_cond);
		r->fail_text = xstrdup(text);
		r->fail_cond = cond;
	} else {
		free(cond);
	}
	log_event(r->src.spec->key, lvl, "poller", "%s", r->fail_text);
}

static void finish_cycle(poller_t *p, src_rt_t *r, source_status_t st)
{
	const char *key = r->src.spec->key;
	r->in_cycle = false;
	r->finished_once = true;
	r->status = st;
	int64_t wall = clock_wall();
	r->last_attempt = wall;
	if (st == SRC_DONE || st == SRC_NOT_MODIFIED) {
		if (st == SRC_DONE)
			merge(p, r);
		r->answered_once = true;
		r->failures = 0;
		r->failing_since = 0;
		free(r->fail_text);
		free(r->fail_cond);
		r->fail_text = r->fail_cond = NULL;
		r->last_ok = wall;
		if (wall > p->last_success)
			p->last_success = wall;
		set_message(r, r->batch.message ? r->batch.message : source_status_name(st));
		char *ok = xasprintf("%s: working again", key);
		log_event_clear(key, "poller", ok);
		free(ok);
	} else {
		r->failures++;
		if (!r->failing_since)
			r->failing_since = wall;
		const char *detail = r->batch.message ? r->batch.message : source_status_name(st);
		set_message(r, detail);
		size_t kept = cached_count(p, key);
		char *line;
		if (st == SRC_ERR_AUTH)
			line = xasprintf("%s: %s: %s; polling paused: one try an hour, or at once when "
			                 "the configuration is reloaded; keeping %zu cached posts",
			                 key, source_status_name(st), detail, kept);
		else
			line = xasprintf("%s: %s: %s; keeping %zu cached posts, retrying with back-off",
			                 key, source_status_name(st), detail, kept);
		log_failure(r, st == SRC_ERR_AUTH ? LOG_LVL_ERROR : LOG_LVL_WARN, line);
		free(line);
	}
	schedule_next(r, st);
	/* -v: the back-off as decided, stamped with the monotonic clock (scaled
	 * by BALIE_TIME_SCALE) so that tests measure the spacing on balie's own
	 * clock rather than by when they happened to read the line */
	int64_t now_ms = clock_mono_ms();
	log_debug("poller", "%s: %s; next refresh in %.1f s (clock %.1f s)", key, source_status_name(st),
	          (double)(r->due_ms - now_ms) / 1000.0, (double)now_ms / 1000.0);
	source_batch_clear(&r->batch);
}

static void submit_next(poller_t *p, src_rt_t *r)
{
	if (++r->requests > 50) {
		source_batch_message(&r->batch, "too many requests in one refresh; stopped");
		finish_cycle(p, r, SRC_ERR_DATA);
		return;
	}
	r->src.now = clock_wall();
	net_request_t *req = r->src.ops->next_request(&r->src);
	if (!req) {
		source_status_t st = r->src.ops->handle(&r->src, NULL, &r->batch);
		finish_cycle(p, r, st == SRC_CONTINUE ? SRC_DONE : st);
		return;
	}
	req->user = r;
	if (!req->max_body && p->cfg->network.max_json_kb > 0)
		req->max_body = (size_t)p->cfg->network.max_json_kb * 1024;
	net_submit(p->net, req);
}

/* LinkedIn tokens live 60 days: warn once a day from a week before. */
static void warn_token_expiry(src_rt_t *r)
{
	if (r->src.spec->network != NET_LINKEDIN || !r->src.token)
		return;
	int64_t now = clock_wall();
	if (r->token_warned && now - r->token_warned < 86400)
		return;
	char *w = linkedin_token_warning(r->src.token, r->src.spec->token_file, now);
	if (w) {
		log_warn("poller", "%s: %s", r->src.spec->key, w);
		free(w);
	}
	r->token_warned = now;
}

static void start_cycle(poller_t *p, src_rt_t *r)
{
	log_debug("poller", "%s: refresh starts (clock %.1f s)", r->src.spec->key, (double)clock_mono_ms() / 1000.0);
	warn_token_expiry(r);
	r->in_cycle = true;
	r->started_ms = clock_mono_ms();
	r->requests = 0;
	source_batch_clear(&r->batch);
	r->src.now = clock_wall();
	if (r->src.ops->begin)
		r->src.ops->begin(&r->src);
	submit_next(p, r);
}

static void on_response(poller_t *p, net_response_t *resp)
{
	if (resp->user == &media_job) {
		media_done(p, resp);
	} else {
		src_rt_t *r = resp->user;
		r->src.now = clock_wall();
		source_status_t st = r->src.ops->handle(&r->src, resp, &r->batch);
		if (st == SRC_CONTINUE)
			submit_next(p, r);
		else
			finish_cycle(p, r, st);
	}
	net_response_free(resp);
}

static bool any_in_cycle(const poller_t *p)
{
	for (size_t i = 0; i < p->n_srcs; i++)
		if (p->srcs[i]->in_cycle)
			return true;
	return false;
}

/* Start due sources; returns ms until the next one is due (or -1: none). */
static int64_t start_due(poller_t *p)
{
	int64_t now = clock_mono_ms(), next = -1;
	for (size_t i = 0; i < p->n_srcs; i++) {
		src_rt_t *r = p->srcs[i];
		if (!r->active || r->in_cycle)
			continue; /* sources whose token was rejected are due after POLLER_AUTH_RETRY_S */
		if (r->due_ms <= now)
			start_cycle(p, r);
		if (!r->in_cycle) {
			int64_t d = r->due_ms - now;
			if (next < 0 || d < next)
				next = d < 0 ? 0 : d;
		}
	}
	return next;
}

/* ---- setup and teardown -------------------------------------------------- */

static void net_notify(void *ctx)
{
	poller_t *p = ctx;
	pthread_mutex_lock(&p->lock);
	p->woken = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static net_t *start_net(const config_t *cfg, void (*notify)(void *), void *ctx)
{
	net_options_t o;
	net_options_default(&o);
	if (cfg->network.connect_timeout_s > 0)
		o.connect_timeout_s = cfg->network.connect_timeout_s;
	if (cfg->network.timeout_s > 0)
		o.total_timeout_s = cfg->network.timeout_s;
	if (cfg->network.max_json_kb > 0)
		o.max_json = (size_t)cfg->network.max_json_kb * 1024;
	if (cfg->network.max_media_kb > 0)
		o.max_media = (size_t)cfg->network.max_media_kb * 1024;
	o.ca_file = cfg->network.ca_file;
	return net_start(&o, notify, ctx);
}

static poller_t *poller_new(const config_t *cfg, cache_t *cache)
{
	poller_t *p = xcalloc(1, sizeof *p);
	p->cfg = cfg;
	p->cache = cache;
	post_list_init(&p->all);
	pthread_mutex_init(&p->lock, NULL);
	/* Deadlines on the monotonic clock: a Pi's wall clock jumps by years
	 * when NTP first syncs, and a CLOCK_REALTIME deadline would then sleep
	 * through every poll (clock set back) or spin (clock set forward). */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&p->reload_done, NULL);
	srandom((unsigned)(clock_mono_ms() ^ getpid()));
	cache_load_posts(cache, &p->all);
	post_list_sort(&p->all);
	cJSON *state = cache_load_state(cache);
	build_sources(p, state);
	cJSON_Delete(state);
	return p;
}

static void free_sources(poller_t *p)
{
	for (size_t i = 0; i < p->n_srcs; i++)
		rt_free(p->srcs[i]);
	free(p->srcs);
	p->srcs = NULL;
	p->n_srcs = 0;
}

static void poller_free(poller_t *p)
{
	net_stop(p->net); /* cancels transfers in flight and frees their requests */
	free_sources(p);
	post_list_clear(&p->all);
	for (size_t i = 0; i < p->n_media_inflight; i++)
		free(p->media_inflight[i]);
	free(p->media_inflight);
	for (size_t i = 0; i < p->n_media_fails; i++)
		free(p->media_fails[i].url);
	free(p->media_fails);
	feed_snapshot_unref(p->snap);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	pthread_cond_destroy(&p->reload_done);
	free(p);
}

/* Collect every response still queued, freeing their jobs (at shutdown the
 * worker is stopped first, so nothing new arrives). */
static void drain(poller_t *p, bool handle)
{
	net_response_t *resp;
	while ((resp = net_poll(p->net))) {
		if (handle)
			on_response(p, resp);
		else
			net_response_free(resp);
	}
}

/* A reload, step 1: use the new configuration from now on, and let
 * poller_reload() return at once (the caller then frees the old one).
 * Nothing here keeps a pointer into a configuration: sources own copies of
 * their specs, so the running sources finish their cycles on the new one. */
static void take_config(poller_t *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->reload_pending) {
		p->cfg = p->pending_cfg;
		p->pending_cfg = NULL;
		p->reload_pending = false;
		p->rebuild_pending = true;
		pthread_cond_broadcast(&p->reload_done);
	}
	pthread_mutex_unlock(&p->lock);
	p->posts_dirty = true; /* filters may have changed */
	publish(p);
}

/* Step 2, once no cycle runs (their requests point at the old sources; no
 * new cycle starts meanwhile): the sources are rebuilt from the new
 * configuration, keeping the adapters' saved state of sources that still
 * exist, so no post is fetched twice and nothing cached is lost.  A source
 * that stays is not asked sooner than POLLER_MIN_INTERVAL_S after its last
 * request. */
static void apply_reload(poller_t *p)
{
	if (!p->rebuild_pending || any_in_cycle(p))
		return;
	size_t n_old = p->n_srcs;
	char **old_keys = xcalloc(n_old + 1, sizeof *old_keys);
	int64_t *old_started = xcalloc(n_old + 1, sizeof *old_started);
	for (size_t i = 0; i < n_old; i++) {
		old_keys[i] = xstrdup(p->srcs[i]->src.spec->key);
		old_started[i] = p->srcs[i]->started_ms;
	}
	cJSON *state = state_json(p);
	free_sources(p);
	build_sources(p, state);
	cJSON_Delete(state);
	for (size_t i = 0; i < p->n_srcs; i++) {
		src_rt_t *r = p->srcs[i];
		for (size_t j = 0; j < n_old; j++) {
			if (old_started[j] && strcmp(old_keys[j], r->src.spec->key) == 0) {
				int64_t earliest = old_started[j] + (int64_t)POLLER_MIN_INTERVAL_S * 1000;
				if (r->due_ms < earliest)
					r->due_ms = earliest;
				r->started_ms = old_started[j];
			}
		}
	}
	for (size_t i = 0; i < n_old; i++)
		free(old_keys[i]);
	free(old_keys);
	free(old_started);
	p->rebuild_pending = false;
	p->posts_dirty = true;
	publish(p);
	log_info("poller", "configuration reloaded: %zu sources", p->n_srcs);
}

static void *poller_main(void *arg)
{
	poller_t *p = arg;
	publish(p); /* the cache first: the screen shows posts before any network */
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool stop = p->stop, reload = p->reload_pending;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;

		size_t before = p->all.len;
		uint64_t gen = p->generation;
		net_response_t *resp;
		bool changed = false;
		while ((resp = net_poll(p->net))) {
			on_response(p, resp);
			changed = true;
		}
		if (reload)
			take_config(p);
		apply_reload(p);
		media_fails_expire(p);
		/* while a rebuild waits for running cycles, none starts: the
		 * responses that end them wake this loop */
		int64_t next = p->rebuild_pending ? -1 : start_due(p);
		if (changed) {
			if (p->posts_dirty || p->all.len != before)
				media_queue(p);
			save(p);
			if (p->generation == gen)
				publish(p);
		}

		pthread_mutex_lock(&p->lock);
		if (!p->woken && !p->stop && !p->reload_pending) {
			if (next < 0) {
				pthread_cond_wait(&p->cond, &p->lock);
			} else if (next > 0) {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				/* the real clock: under BALIE_TIME_SCALE the wait shrinks */
				int64_t real = (int64_t)((double)next / clock_scale());
				if (real < 1)
					real = 1;
				ts.tv_sec += real / 1000;
				ts.tv_nsec += (long)(real % 1000) * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&p->cond, &p->lock, &ts);
			}
		}
		p->woken = false;
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

poller_t *poller_start(const config_t *cfg, cache_t *cache, void (*notify)(void *), void *ctx)
{
	poller_t *p = poller_new(cfg, cache);
	p->notify = notify;
	p->notify_ctx = ctx;
	p->net = start_net(cfg, net_notify, p);
	p->threaded = true;
	if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
		log_err("poller", "cannot start the poller thread: %s", strerror(errno));
		p->threaded = false;
		publish(p);
	}
	return p;
}

void poller_reload(poller_t *p, const config_t *cfg)
{
	pthread_mutex_lock(&p->lock);
	p->pending_cfg = cfg;
	p->reload_pending = true;
	p->woken = true;
	pthread_cond_signal(&p->cond);
	if (p->threaded)
		while (p->reload_pending)
			pthread_cond_wait(&p->reload_done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (!p->threaded) {
		take_config(p);
		apply_reload(p);
	}
}

void poller_stop(poller_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	/* a reload waiting for running cycles would otherwise wait forever */
	p->reload_pending = false;
	pthread_cond_broadcast(&p->reload_done);
	pthread_mutex_unlock(&p->lock);
	if (p->threaded)
		pthread_join(p->thread, NULL);
	save(p);
	drain(p, false);
	poller_free(p);
}

/* ---- --once -------------------------------------------------------------- */

int poller_once(const config_t *cfg, cache_t *cache, FILE *out)
{
	poller_t *p = poller_new(cfg, cache);
	p->net = start_net(cfg, NULL, NULL);
	for (size_t i = 0; i < p->n_srcs; i++)
		if (p->srcs[i]->active)
			start_cycle(p, p->srcs[i]);
	/* wait for every cycle, then for the media the new posts need */
	bool media_started = false;
	int64_t deadline = clock_mono_ms() + 5 * 60 * 1000;
	for (;;) {
		bool busy = any_in_cycle(p);
		if (!busy && !media_started) {
			media_started = true;
			media_queue(p);
		}
		if (!busy && p->n_media_inflight == 0)
			break;
		if (clock_mono_ms() > deadline) {
			log_warn("poller", "--once: giving up on transfers still running after 5 minutes");
			break;
		}
		net_response_t *resp = net_wait(p->net, 1000);
		if (resp) {
			bool media = resp->user == &media_job;
			on_response(p, resp);
			if (media)
				media_queue(p); /* next ones, bounded by MEDIA_MAX_INFLIGHT */
		}
	}
	save(p);

	int rc = 0;
	for (size_t i = 0; i < p->n_srcs; i++) {
		src_rt_t *r = p->srcs[i];
		bool ok = r->answered_once;
		if (!ok)
			rc = 1;
		size_t kept = cached_count(p, r->src.spec->key);
		fprintf(out, "%-4s %s: %s (%zu posts cached)\n", ok ? "ok" : "FAIL", r->src.spec->key,
		        r->message ? r->message : source_status_name(r->status), kept);
		const char *advice = ok ? NULL : source_advice(r->src.spec->network, r->status);
		if (advice)
			fprintf(out, "     what to do: %s\n", advice);
	}
	if (p->n_srcs == 0)
		fprintf(out, "no sources configured\n");
	drain(p, false);
	poller_free(p);
	return rc;
}
