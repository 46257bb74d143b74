/*
 * advice: the per-network remedies for `balie --check-sources`.  See advice.h.
 *
 * One table, network by status; an empty cell falls back to the generic
 * text of that status, so a new network or status always has advice.
 */
#include "advice.h"

#include <stddef.h>

/* Indexed by source_status_t from SRC_ERR_NETWORK on. */
enum { ADV_NETWORK, ADV_RATE, ADV_AUTH, ADV_NOT_FOUND, ADV_DATA, ADV_CONFIG, ADV__COUNT };

static const char *const generic[ADV__COUNT] = {
	[ADV_NETWORK] = "Cannot reach the service: check the screen's network connection, DNS, proxy and clock "
	                "(TLS needs the right time); balie keeps showing cached posts and retries by itself.",
	[ADV_RATE] = "The service is limiting requests: balie waits and retries by itself; raise [network] "
	             "interval_s if it keeps happening.",
	[ADV_AUTH] = "The service refused the credentials: renew the token in the source's token file and "
	             "reload balie (systemctl reload balie, or restart it).",
	[ADV_NOT_FOUND] = "The account or address does not exist: check it in the configuration.",
	[ADV_DATA] = "The service answered with something balie does not understand: read the message above; "
	             "a passing server fault clears by itself.",
	[ADV_CONFIG] = "This source cannot work as configured: read the message above and correct the "
	               "configuration, then reload balie.",
};

static const char *const advice[NET__COUNT][ADV__COUNT] = {
	[NET_MASTODON] = {
		[ADV_NETWORK] = "Cannot reach the Mastodon server: check the server part of the handle "
		                "(@user@server), the screen's network, DNS, proxy and clock; balie keeps showing "
		                "cached posts and retries by itself.",
		[ADV_RATE] = "The Mastodon server is limiting requests (HTTP 429): balie waits for the server's reset "
		             "time; if it keeps happening, raise [network] interval_s or show fewer accounts from "
		             "that server.",
		[ADV_AUTH] = "The Mastodon server wants a login (HTTP 401, or 422 for a token without a user): create "
		             "an application with the read:statuses scope under a kiosk user account on that server "
		             "(Preferences > Development), put its access token in a file readable only by balie, "
		             "set mastodon_token = FILE and reload balie; an app-only token is not enough for "
		             "hashtag timelines.",
		[ADV_NOT_FOUND] = "The account does not exist on that server (HTTP 404): check the handle "
		                  "@user@server and name the account's own home server, not the server where you "
		                  "saw it.",
		[ADV_DATA] = "The server did not answer like a Mastodon server (an HTML page, a login wall or another "
		             "kind of server): check the server part of the handle and that "
		             "https://SERVER/api/v1/instance opens in a browser.",
		[ADV_CONFIG] = "This Mastodon source cannot work as configured: read the message above; a hashtag on "
		               "a server that closes its public timelines needs mastodon_token = FILE in its "
		               "[hashtag] section.",
	},
	[NET_BLUESKY] = {
		[ADV_NETWORK] = "Cannot reach Bluesky (public.api.bsky.app, bsky.social): check the screen's network, "
		                "DNS, proxy and clock; balie keeps showing cached posts and retries by itself.",
		[ADV_RATE] = "Bluesky is limiting requests (HTTP 429): balie waits for the reset; raise [network] "
		             "interval_s if it keeps happening.",
		[ADV_AUTH] = "Bluesky refused the login, and hashtag search needs one: create an app password "
		             "(Bluesky: Settings > Privacy and security > App passwords), put it in the file named by "
		             "bluesky_password (readable only by balie) and reload balie; a revoked app password must "
		             "be replaced, never use the account's real password.",
		[ADV_NOT_FOUND] = "Bluesky does not know this profile: check the handle (@name.bsky.social or the "
		                  "organisation's own domain, without https://), or use its did:plc: id.",
		[ADV_DATA] = "Bluesky answered with something unexpected (often an HTML error page from its CDN): it "
		             "usually passes; check [network] bluesky_appview and bluesky_login if you changed them.",
		[ADV_CONFIG] = "This Bluesky source cannot work as configured: read the message above; a Bluesky "
		               "hashtag needs bluesky_password = FILE in its [hashtag] section.",
	},
	[NET_RSS] = {
		[ADV_NETWORK] = "Cannot fetch the feed: check that the url of the [feed] section opens in a browser on "
		                "this network, and the screen's DNS, proxy and clock; balie retries by itself.",
		[ADV_RATE] = "The website is limiting requests (HTTP 429 or 503): balie waits; raise [network] "
		             "interval_s.",
		[ADV_AUTH] = "The feed needs a login (HTTP 401 or 403): balie reads public feeds only; use the site's "
		             "public RSS or Atom address.",
		[ADV_NOT_FOUND] = "The feed address answers 404 or 410: the site moved its feed; find the new RSS or "
		                  "Atom link (often /feed or /rss.xml, or the feed link in the page) and update url in "
		                  "the [feed] section.",
		[ADV_DATA] = "The address is not an RSS or Atom feed (probably a web page): use the feed link itself, "
		             "not the page that links to it.",
		[ADV_CONFIG] = "This feed cannot work as configured: read the message above; balie fetches https:// "
		               "feeds (http:// only from this machine).",
	},
	[NET_X] = {
		[ADV_NETWORK] = "Cannot reach api.x.com: check the screen's network, DNS, proxy and clock; balie keeps "
		                "showing cached posts and retries by itself.",
		[ADV_RATE] = "X refused more requests (HTTP 429): the 15-minute rate limit or the usage cap of the "
		             "developer account; check usage and credits in the X Developer Console and raise "
		             "[network] interval_s, since every post read costs credits.",
		[ADV_AUTH] = "X refused the Bearer token (HTTP 401 or 403): create a new Bearer token for the app in "
		             "the X Developer Console, check that the app has credits and v2 API access, write the "
		             "token to the file named by x_token and reload balie.",
		[ADV_NOT_FOUND] = "X does not know this user (renamed, suspended or deleted): check x = @name.",
		[ADV_DATA] = "X answered with something unexpected: it usually passes; check [network] x_api if you "
		             "changed it.",
		[ADV_CONFIG] = "This X source cannot work as configured: read the message above; X needs "
		               "x_token = FILE holding an app Bearer token.",
	},
	[NET_FACEBOOK] = {
		[ADV_NETWORK] = "Cannot reach graph.facebook.com, or Facebook had a passing fault: check the screen's "
		                "network, DNS, proxy and clock; balie keeps showing cached posts and retries by itself.",
		[ADV_RATE] = "Facebook's rate limit for this Page or app was reached: balie pauses the source by itself; "
		             "if it repeats, raise [network] interval_s to 300 or more.",
		[ADV_AUTH] = "The Facebook Page token no longer works (expired, revoked, the password changed, or the "
		             "person lost their role on the Page) or lacks pages_read_engagement: make a new Page "
		             "token as docs/facebook-linkedin.md shows (Graph API Explorer, long-lived user token, "
		             "Page token), write it to the file named by facebook_token and reload balie; cached "
		             "posts stay on screen meanwhile.",
		[ADV_NOT_FOUND] = "Facebook does not know this Page, or the token cannot see it: facebook = takes the "
		                  "Page's numeric id (Page > About > Page transparency) and facebook_token a Page "
		                  "token of that same Page.",
		[ADV_DATA] = "Facebook answered with something unexpected: read the message above; when it names a "
		             "field or a version, set facebook_graph_version in [network] to a current Graph API "
		             "version (vNN.N).",
		[ADV_CONFIG] = "This Facebook source cannot work as configured: facebook = takes the Page's numeric id "
		               "and facebook_token = FILE its Page access token (docs/facebook-linkedin.md).",
	},
	[NET_LINKEDIN] = {
		[ADV_NETWORK] = "Cannot reach api.linkedin.com: check the screen's network, DNS, proxy and clock; balie "
		                "keeps showing cached posts and retries by itself.",
		[ADV_RATE] = "LinkedIn's daily request limit was reached (HTTP 429): it resets at 00:00 UTC and balie "
		             "waits by itself; poll LinkedIn no more than every 15 to 30 minutes ([network] "
		             "interval_s = 900).",
		[ADV_AUTH] = "The LinkedIn sign-in expired (it lasts 60 days) or was revoked, or the person lacks the "
		             "ADMINISTRATOR or CONTENT_ADMIN role or r_organization_social: sign in again as "
		             "docs/facebook-linkedin.md shows, write the new token and an expires=YYYY-MM-DD line to "
		             "the file named by linkedin_token and reload balie; if LinkedIn refused the Community "
		             "Management API, remove the linkedin lines and feature posts as front-desk notices.",
		[ADV_NOT_FOUND] = "LinkedIn does not know this organisation: linkedin = takes the number in "
		                  "linkedin.com/company/ID/admin/.",
		[ADV_DATA] = "LinkedIn answered with something unexpected: read the message above; check [network] "
		             "linkedin_api if you changed it.",
		[ADV_CONFIG] = "LinkedIn retired the API version balie sends (HTTP 426), or the organisation id is "
		               "malformed: set linkedin_version in [network] to a current YYYYMM version (LinkedIn's "
		               "API versioning page lists them) or update balie, then reload.",
	},
	[NET_NOTICE] = {
		[ADV_AUTH] = "balie may not read the notices file: make it readable by the user balie runs as "
		             "(chmod 644, or readable by balie's group).",
		[ADV_NOT_FOUND] = "The notices file does not exist: check file = in the [notices] section (an "
		                  "absolute path), or create the file.",
		[ADV_DATA] = "The notices file has a mistake: the log names FILE:LINE; the other notices keep "
		             "showing.",
		[ADV_CONFIG] = "The notices file cannot be used as configured: read the message above and check "
		               "file = in the [notices] section.",
	},
};

const char *source_advice(network_t n, source_status_t st)
{
	int k;
	switch (st) {
	case SRC_CONTINUE:
	case SRC_DONE:
	case SRC_NOT_MODIFIED:
		return NULL;
	case SRC_ERR_NETWORK: k = ADV_NETWORK; break;
	case SRC_ERR_RATE: k = ADV_RATE; break;
	case SRC_ERR_AUTH: k = ADV_AUTH; break;
	case SRC_ERR_NOT_FOUND: k = ADV_NOT_FOUND; break;
	case SRC_ERR_DATA: k = ADV_DATA; break;
	case SRC_ERR_CONFIG: k = ADV_CONFIG; break;
	default: k = ADV_CONFIG; break;
	}
	if ((unsigned)n < NET__COUNT && advice[n][k])
		return advice[n][k];
	return generic[k];
}
