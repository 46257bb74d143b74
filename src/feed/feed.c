/*
 * feed: see feed.h.
 *
 * feed_build() is one pass and two touch-ups:
 *   1. every cached post that is not hidden is cloned, given its person when
 *      it has none (a hashtag post by a configured account) and that
 *      person's one face, and kept when feed_keep() says so (with the
 *      settings of its source's section over [filter]);
 *   2. posts one person cross-posted to several networks (same words after
 *      links, mentions, '#', case and punctuation are set aside, created
 *      within ten minutes) collapse into one: the one with media, else the
 *      earliest (the same for one person's boosts of the same words on
 *      several networks); a repost of a post that is shown anyway (same
 *      permalink) is left out;
 *   3. the result is sorted newest first.
 * One person, one face: a configured person's accounts look alike on every
 * network.  Without name = or photo = in the person's section, the name and
 * avatar come from the first account listed there that has brought a post
 * (its newest post's name, with the custom emoji in it; its newest avatar);
 * the handle stays each network's own.
 * Words are compared after folding ASCII, Latin-1 and Latin Extended-A
 * letters to lower case (accents stay); a blocked word matches whole words
 * only ("rat" does not block "ratatouille" nor "gemeenteraad", it does block
 * "Rat!" and "#rat"; "café" blocks "CAFÉ").
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/xmalloc.h"

#define CROSSPOST_WINDOW_S (10 * 60)
#define CROSSPOST_MIN_PREFIX 30   /* bytes of normalised text a truncated copy must share */

/* ---- UTF-8 and letters --------------------------------------------------- */

/* Decode one code point at s[i] (i < len); invalid bytes decode as themselves. */
static uint32_t next_cp(const char *s, size_t len, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[*i];
	uint32_t cp;
	size_t w;
	if (c < 0x80) {
		cp = c;
		w = 1;
	} else if ((c >> 5) == 6) {
		cp = c & 0x1F;
		w = 2;
	} else if ((c >> 4) == 14) {
		cp = c & 0x0F;
		w = 3;
	} else if ((c >> 3) == 30) {
		cp = c & 0x07;
		w = 4;
	} else {
		(*i)++;
		return 0xFFFD;
	}
	if (*i + w > len) {
		(*i)++;
		return 0xFFFD;
	}
	for (size_t k = 1; k < w; k++) {
		if ((u[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return 0xFFFD;
		}
		cp = (cp << 6) | (u[*i + k] & 0x3F);
	}
	*i += w;
	return cp;
}

static void put_cp(char **o, uint32_t cp)
{
	unsigned char *u = (unsigned char *)*o;
	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xC0 | (cp >> 6));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xE0 | (cp >> 12));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*u++ = (unsigned char)(0xF0 | (cp >> 18));
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	*o = (char *)u;
}

/* Lower case for ASCII, Latin-1 and Latin Extended-A (the letters of the
 * languages a Dutch town hall meets most); other code points unchanged.
 * Accents stay: in Dutch "een" (a) and "één" (one) are different words. */
static uint32_t fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
		/* pairs: even upper / odd lower, except the 0x139-0x148 and 0x179-0x17E runs */
		bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
		if (odd_upper ? (c & 1) : !(c & 1))
			return c + 1;
		return c;
	}
	return c;
}

/* Letters and digits of the scripts a word filter has to get right. */
static bool word_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
	if (c == 0xAA || c == 0xB5 || c == 0xBA)
		return true;
	if (c >= 0xC0 && c <= 0x24F)
		return c != 0xD7 && c != 0xF7;
	if (c >= 0x370 && c <= 0x52F)
		return c != 0x37E && c != 0x387;  /* Greek and Cyrillic letters */
	if (c >= 0x5D0 && c <= 0x5EA)
		return true;                       /* Hebrew */
	if ((c >= 0x620 && c <= 0x64A) || (c >= 0x660 && c <= 0x669) || (c >= 0x671 && c <= 0x6D3))
		return true;                       /* Arabic */
	if (c >= 0x1E00 && c <= 0x1EFF)
		return true;                       /* Latin Extended Additional */
	if (c >= 0x3040 && c <= 0x9FFF)
		return true;                       /* kana, CJK */
	return false;
}

/* Folded copy of s.  Caller frees. */
static char *fold(const char *s)
{
	size_t len = strlen(s), i = 0;
	char *out = xmalloc(len * 2 + 1), *o = out;
	while (i < len)
		put_cp(&o, fold_cp(next_cp(s, len, &i)));
	*o = '\0';
	return out;
}

/* Code point before byte offset i (0 when at the start). */
static uint32_t cp_before(const char *s, size_t i)
{
	if (i == 0)
		return 0;
	size_t k = i - 1;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4)
		k--;
	return next_cp(s, i, &k);
}

/* Whole-word occurrence of folded needle in folded hay. */
static bool contains_word(const char *hay, const char *needle)
{
	size_t nl = strlen(needle), hl = strlen(hay);
	if (!nl)
		return false;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) {
		size_t at = (size_t)(p - hay), end = at + nl, k = end;
		bool left = !word_cp(cp_before(hay, at));
		bool right = end >= hl || !word_cp(next_cp(hay, hl, &k));
		if (left && right)
			return true;
	}
	return false;
}

/* ---- filters ------------------------------------------------------------- */

/* Whether a whole word of words[0..n) is in a visible field of p. */
static bool has_word_of(char *const *list, size_t n_list, const post_t *p)
{
	if (!n_list)
		return false;
	const char *fields[8];
	size_t nf = 0;
	fields[nf++] = p->text;
	fields[nf++] = p->cw;
	fields[nf++] = p->author.name;
	fields[nf++] = p->booster ? p->booster->name : NULL;
	if (p->card) {
		fields[nf++] = p->card->title;
		fields[nf++] = p->card->description;
	}
	bool hit = false;
	char **words = xcalloc(n_list, sizeof *words);
	for (size_t w = 0; w < n_list; w++)
		words[w] = list[w] ? fold(list[w]) : NULL;
	for (size_t i = 0; i < nf + p->n_media && !hit; i++) {
		const char *s = i < nf ? fields[i] : p->media[i - nf].alt;
		if (!s || !*s)
			continue;
		char *hay = fold(s);
		for (size_t w = 0; w < n_list && !hit; w++)
			if (words[w] && contains_word(hay, words[w]))
				hit = true;
		free(hay);
	}
	for (size_t w = 0; w < n_list; w++)
		free(words[w]);
	free(words);
	return hit;
}

/* [filter]'s blocked words, and those of the post's own section. */
static bool has_blocked_word(const config_t *cfg, const config_source_opts_t *opts, const post_t *p)
{
	return has_word_of(cfg->filter.blocked_words, cfg->filter.n_blocked_words, p) ||
	       (opts && has_word_of(opts->blocked_words, opts->n_blocked_words, p));
}

static bool language_allowed(const config_filter_t *f, const post_t *p)
{
	if (!f->n_languages || !p->lang || !*p->lang)
		return true; /* no list, or the post does not say: keep */
	size_t pl = strcspn(p->lang, "-_");
	for (size_t i = 0; i < f->n_languages; i++) {
		const char *l = f->languages[i];
		if (l && strlen(l) >= pl && strncasecmp(l, p->lang, pl) == 0 && (l[pl] == '\0' || l[pl] == '-' || l[pl] == '_'))
			return true;
	}
	return false;
}

/* Handle without '@', and for Mastodon the server without scheme or slash,
 * lower case: "@Jan@https://Social.example/" -> "jan@social.example". */
static char *norm_handle(const char *h)
{
	if (!h)
		return NULL;
	while (*h == '@')
		h++;
	const char *at = strchr(h, '@');
	char *out;
	if (at) {
		const char *srv = at + 1;
		if (strncasecmp(srv, "https://", 8) == 0)
			srv += 8;
		else if (strncasecmp(srv, "http://", 7) == 0)
			srv += 7;
		size_t sl = strcspn(srv, "/");
		out = xasprintf("%.*s@%.*s", (int)(at - h), h, (int)sl, srv);
	} else {
		out = xstrdup(h);
	}
	for (char *c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return out;
}

/* The configured person whose account on p's network wrote p, or NULL. */
static const char *person_by_author(const config_t *cfg, const post_t *p)
{
	char *ah = norm_handle(p->author.handle);
	char *aid = norm_handle(p->author.id);
	const char *found = NULL;
	for (size_t i = 0; i < cfg->n_people && !found; i++) {
		const config_person_t *per = &cfg->people[i];
		for (size_t j = 0; j < per->n_accounts && !found; j++) {
			const config_account_t *a = &per->accounts[j];
			if (a->network != p->network || !a->handle)
				continue;
			char *h = norm_handle(a->handle);
			if ((ah && strcmp(h, ah) == 0) || (aid && strcmp(h, aid) == 0))
				found = per->id;
			free(h);
		}
	}
	free(ah);
	free(aid);
	return found;
}

static const char *person_of(const config_t *cfg, const post_t *p)
{
	return p->person ? p->person : person_by_author(cfg, p);
}

bool feed_keep(const config_t *cfg, const post_t *p, int64_t now)
{
	/* [filter], with the settings of the section the post's source is in */
	const config_source_opts_t *opts = config_source_opts(cfg, p->source);
	config_filter_t filter;
	config_filter_for(cfg, opts, &filter);
	const config_filter_t *f = &filter;
	bool notice = p->network == NET_NOTICE;
	/* notices: only inside their window */
	if (p->show_from && now < p->show_from)
		return false;
	if (p->show_until && now >= p->show_until)
		return false;
	if (f->public_only && p->visibility != VIS_PUBLIC)
		return false;
	if (p->reply && !f->replies)
		return false;
	if (p->booster && !f->boosts)
		return false;
	if (!f->sensitive && (p->sensitive || (p->cw && *p->cw)))
		return false;
	if (!f->bots && (p->author.bot || (p->booster && p->booster->bot)))
		return false;
	if (!notice && f->max_age_days > 0 && now - p->created > (int64_t)f->max_age_days * 86400)
		return false;
	if (!notice && !language_allowed(f, p))
		return false;
	/* hashtag posts: only by configured people unless the hashtag says anyone */
	const config_hashtag_t *h = p->source ? config_hashtag_for_source(cfg, p->source) : NULL;
	if (h && !h->anyone && !person_of(cfg, p))
		return false;
	if (has_blocked_word(cfg, opts, p))
		return false;
	return true;
}

/* ---- presentation -------------------------------------------------------- */

/* Give a post what the configuration knows better than its network. */
static void decorate(const config_t *cfg, post_t *p)
{
	if (!p->person) {
		const char *per = person_by_author(cfg, p);
		if (per)
			p->person = xstrdup(per);
	}
	if (p->network == NET_NOTICE) {
		const char *org = cfg->display.organisation;
		if (org && *org) {
			free(p->author.name);
			p->author.name = xstrdup(org);
		}
	} else if (p->network == NET_RSS) {
		const config_feed_t *fd = config_feed_for_source(cfg, p->source);
		if (fd && fd->name && *fd->name) {
			free(p->author.name);
			p->author.name = xstrdup(fd->name);
		}
	}
}

/* ---- one person, one face ------------------------------------------------ */

/* Where the person's own account shows in a post.  A post from the
 * person's account source (person_from_source) is the person's as author,
 * or as booster when it is a boost; a post matched to the person by its
 * author's handle (a hashtag post) is the author's. */
static author_t *own_account(post_t *p, bool person_from_source)
{
	return person_from_source && p->booster ? p->booster : &p->author;
}

/* What one account of a person last looked like: its newest post's name
 * (with the custom emoji in it), and the newest avatar it had, with the
 * cached file of that avatar when any post has it already. */
typedef struct {
	const author_t *name_from;
	int64_t name_when;
	const author_t *avatar_from;
	int64_t avatar_when;
	const char *avatar_file;
} look_t;

typedef struct {
	size_t *first;  /* people[i]'s accounts are looks[first[i] .. first[i] + n_accounts) */
	look_t *looks;
} faces_t;

/* The person (index in cfg->people) and their account on p's network
 * (index in its accounts); false when the configuration has neither. */
static bool person_account(const config_t *cfg, const post_t *p, const char *person, size_t *pi, size_t *aj)
{
	const config_person_t *per = config_person(cfg, person);
	if (!per || p->network == NET_NOTICE || p->network == NET_RSS || p->network == NET_SAMPLE)
		return false;
	for (size_t j = 0; j < per->n_accounts; j++) {
		if (per->accounts[j].network == p->network) {
			*pi = (size_t)(per - cfg->people);
			*aj = j;
			return true;
		}
	}
	return false;
}

/* The look of every configured account, from every cached post (shown or
 * not: a filtered post still says what the account looks like). */
static void faces_collect(const config_t *cfg, const post_list_t *cached, faces_t *fc)
{
	fc->first = xcalloc(cfg->n_people + 1, sizeof *fc->first);
	for (size_t i = 0; i < cfg->n_people; i++)
		fc->first[i + 1] = fc->first[i] + cfg->people[i].n_accounts;
	fc->looks = xcalloc(fc->first[cfg->n_people] + 1, sizeof *fc->looks);
	look_t **of = xcalloc(cached->len + 1, sizeof *of); /* each post's account, or NULL */
	for (size_t k = 0; k < cached->len; k++) {
		post_t *p = cached->items[k];
		const char *person = person_of(cfg, p);
		size_t i, j;
		if (!person || !person_account(cfg, p, person, &i, &j))
			continue;
		const author_t *a = own_account(p, p->person != NULL);
		look_t *lk = of[k] = &fc->looks[fc->first[i] + j];
		if (a->name && *a->name && (!lk->name_from || p->created > lk->name_when)) {
			lk->name_from = a;
			lk->name_when = p->created;
		}
		if (a->avatar_url && *a->avatar_url && (!lk->avatar_from || p->created > lk->avatar_when)) {
			lk->avatar_from = a;
			lk->avatar_when = p->created;
		}
	}
	/* a newer post of the same avatar may not have its file yet */
	for (size_t k = 0; k < cached->len; k++) {
		post_t *p = cached->items[k];
		look_t *lk = of[k];
		if (!lk)
			continue;
		const author_t *a = own_account(p, p->person != NULL);
		if (!lk->avatar_file && a->avatar_file && lk->avatar_from &&
		    strcmp(a->avatar_url ? a->avatar_url : "", lk->avatar_from->avatar_url) == 0)
			lk->avatar_file = a->avatar_file;
	}
	free(of);
}

static void faces_free(faces_t *fc)
{
	free(fc->first);
	free(fc->looks);
}

/* Give p, a post of a configured person, the person's one face: the name
 * and the avatar of the first account listed in the person's section that
 * has one, where the configuration sets no name = or photo =. */
static void faces_apply(const config_t *cfg, const faces_t *fc, post_t *p, bool person_from_source)
{
	size_t i, j;
	if (!p->person || !person_account(cfg, p, p->person, &i, &j))
		return;
	const config_person_t *per = &cfg->people[i];
	const author_t *name_from = NULL;
	const look_t *avatar_look = NULL;
	for (size_t a = 0; a < per->n_accounts; a++) {
		const look_t *lk = &fc->looks[fc->first[i] + a];
		if (!name_from)
			name_from = lk->name_from;
		if (!avatar_look && lk->avatar_from)
			avatar_look = lk;
	}
	author_t *own = own_account(p, person_from_source);
	if (!per->name && name_from) {
		free(own->name);
		own->name = xstrdup(name_from->name);
		for (size_t e = 0; e < own->n_emojis; e++) {
			free(own->emojis[e].shortcode);
			free(own->emojis[e].url);
			free(own->emojis[e].file);
		}
		free(own->emojis);
		own->emojis = NULL;
		own->n_emojis = 0;
		for (size_t e = 0; e < name_from->n_emojis; e++) {
			emoji_list_add(&own->emojis, &own->n_emojis, name_from->emojis[e].shortcode,
			               name_from->emojis[e].url);
			own->emojis[e].file = xstrdup(name_from->emojis[e].file);
		}
	}
	if (!per->photo && avatar_look) {
		free(own->avatar_url);
		free(own->avatar_file);
		own->avatar_url = xstrdup(avatar_look->avatar_from->avatar_url);
		own->avatar_file = xstrdup(avatar_look->avatar_file);
	}
}

/* ---- cross-posts --------------------------------------------------------- */

/* Inside a link or mention: those read differently on every network. */
static bool in_span(const post_t *p, size_t at)
{
	for (size_t i = 0; i < p->n_spans; i++)
		if ((p->spans[i].kind == SPAN_LINK || p->spans[i].kind == SPAN_MENTION) &&
		    at >= p->spans[i].start && at < p->spans[i].end)
			return true;
	return false;
}

/* A token that is a link or mention without a span (plain text from feeds,
 * shortened links "example.nl/werkzaa…"). */
static bool noise_token(const char *t, size_t n)
{
	if (!n)
		return false;
	if (t[0] == '@')
		return true;
	if ((n >= 4 && strncasecmp(t, "www.", 4) == 0) || memmem(t, n, "://", 3))
		return true;
	const char *slash = memchr(t, '/', n), *dot = memchr(t, '.', n);
	return slash && dot && dot < slash;
}

/* Words of the text, folded, separated by single spaces; links and
 * mentions left out, hashtags as their word ("#Raad" reads "raad", as it
 * does where another network has no hashtag).  Caller frees. */
char *feed_normalise_text(const post_t *p)
{
	const char *s = p->text ? p->text : "";
	size_t len = strlen(s);
	char *out = xmalloc(len * 2 + 2), *o = out;
	size_t i = 0;
	bool pending_space = false;
	while (i < len) {
		/* token boundaries: white space */
		size_t tok_end = i;
		while (tok_end < len && s[tok_end] != ' ' && s[tok_end] != '\n' && s[tok_end] != '\t')
			tok_end++;
		bool skip_tok = noise_token(s + i, tok_end - i);
		while (i < tok_end) {
			size_t at = i;
			uint32_t cp = next_cp(s, len, &i);
			if (skip_tok || in_span(p, at) || !word_cp(cp)) {
				pending_space = o > out;
				continue;
			}
			if (pending_space) {
				*o++ = ' ';
				pending_space = false;
			}
			put_cp(&o, fold_cp(cp));
		}
		while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) {
			i++;
			pending_space = o > out;
		}
	}
	*o = '\0';
	return out;
}

static bool same_words(const char *a, const char *b)
{
	if (!*a || !*b)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	/* one network cut the text short: the shorter is a long enough prefix */
	size_t la = strlen(a), lb = strlen(b);
	const char *s = la < lb ? a : b, *l = la < lb ? b : a;
	size_t ls = la < lb ? la : lb;
	return ls >= CROSSPOST_MIN_PREFIX && strncmp(s, l, ls) == 0;
}

/* True when a should be kept over b. */
static bool preferred(const post_t *a, const post_t *b)
{
	bool ma = a->n_media > 0, mb = b->n_media > 0;
	if (ma != mb)
		return ma;
	if (a->created != b->created)
		return a->created < b->created;
	return strcmp(a->key ? a->key : "", b->key ? b->key : "") < 0;
}

/* The same post twice: a repost of a post that is also shown on its own
 * (the account and the reposting person are both configured), or two
 * reposts of it.  Same network, same permalink. */
static bool same_post(const post_t *a, const post_t *b)
{
	return a->network == b->network && a->url && b->url && (a->booster || b->booster) &&
	       strcmp(a->url, b->url) == 0;
}

/* Keep the original over a repost, else the earlier repost. */
static bool preferred_copy(const post_t *a, const post_t *b)
{
	if (!a->booster != !b->booster)
		return !a->booster;
	return strcmp(a->key ? a->key : "", b->key ? b->key : "") < 0;
}

static void drop_crossposts(post_list_t *l, size_t from)
{
	size_t n = l->len - from;
	if (n < 2)
		return;
	char **norm = xcalloc(n, sizeof *norm);
	bool *gone = xcalloc(n, sizeof *gone);
	for (size_t i = 0; i < n; i++) {
		const post_t *p = l->items[from + i];
		if (p->person && p->network != NET_NOTICE)
			norm[i] = feed_normalise_text(p);
	}
	for (size_t i = 0; i < n; i++) {
		if (gone[i])
			continue;
		for (size_t j = i + 1; j < n && !gone[i]; j++) {
			if (gone[j])
				continue;
			const post_t *a = l->items[from + i], *b = l->items[from + j];
			if (same_post(a, b)) {
				if (preferred_copy(a, b))
					gone[j] = true;
				else
					gone[i] = true;
				continue;
			}
			if (!norm[i] || !norm[j])
				continue;
			int64_t dt = a->created - b->created;
			/* an own post and a boost are never one post; two boosts of
			 * the same words (a partner's message boosted everywhere) are */
			if (a->network == b->network || !a->booster != !b->booster || strcmp(a->person, b->person) != 0 ||
			    dt > CROSSPOST_WINDOW_S || dt < -CROSSPOST_WINDOW_S || !same_words(norm[i], norm[j]))
				continue;
			if (preferred(a, b))
				gone[j] = true;
			else
				gone[i] = true;
		}
	}
	size_t k = from;
	for (size_t i = 0; i < n; i++) {
		if (gone[i])
			post_free(l->items[from + i]);
		else
			l->items[k++] = l->items[from + i];
		free(norm[i]);
	}
	l->len = k;
	free(norm);
	free(gone);
}

/* ---- the feed ------------------------------------------------------------ */

static bool is_hidden(const post_t *p, const char *const *hidden, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!hidden[i])
			continue;
		if (p->key && strcmp(p->key, hidden[i]) == 0)
			return true;
		if (p->url && strcmp(p->url, hidden[i]) == 0)
			return true;
	}
	return false;
}

void feed_build(const config_t *cfg, const post_list_t *cached,
                const char *const *hidden, size_t n_hidden, int64_t now, post_list_t *out)
{
	size_t from = out->len;
	faces_t faces;
	faces_collect(cfg, cached, &faces);
	for (size_t i = 0; i < cached->len; i++) {
		const post_t *p = cached->items[i];
		if (is_hidden(p, hidden, n_hidden))
			continue;
		/* filtered as shown: a blocked word in the person's one name
		 * hides the post on every network */
		post_t *q = post_clone(p);
		decorate(cfg, q);
		faces_apply(cfg, &faces, q, p->person != NULL);
		if (feed_keep(cfg, q, now))
			post_list_push(out, q);
		else
			post_free(q);
	}
	faces_free(&faces);
	drop_crossposts(out, from);
	post_list_sort(out);
}
