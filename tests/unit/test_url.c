/* url: the URL policy every network request goes through, and redaction. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/base/url.h"
#include "test.h"

TEST(https_anywhere_http_only_to_loopback)
{
	EXPECT(url_is_allowed("https://social.overheid.nl/api/v1/x"));
	EXPECT(url_is_allowed("http://127.0.0.1:8970/x"));
	EXPECT(url_is_allowed("http://localhost/x"));
	EXPECT(url_is_allowed("http://[::1]:80/x"));
	EXPECT(!url_is_allowed("http://social.example/x"));
	EXPECT(!url_is_allowed("http://10.0.0.1/"));
	EXPECT(!url_is_allowed("http://127.0.0.1.evil.example/"));
	EXPECT(!url_is_allowed("file:///etc/passwd"));
	EXPECT(!url_is_allowed("ftp://example.org/"));
	EXPECT(!url_is_allowed("https://exa mple.org/"));
	EXPECT(!url_is_allowed("https:///nohost"));
	EXPECT(!url_is_allowed(NULL));
}

TEST(this_machine_is_refused_until_a_source_names_its_port)
{
	url_allow_loopback(NULL, 0);
	EXPECT(url_is_allowed("http://127.0.0.1:8970/x")); /* the configuration may name it... */
	EXPECT(!url_may_fetch("http://127.0.0.1:8970/x")); /* ...but nothing is fetched there yet */
	EXPECT(!url_may_fetch("http://localhost/x"));
	EXPECT(!url_may_fetch("https://127.0.0.1:8970/x"));
	EXPECT(url_may_fetch("https://social.overheid.nl/api/v1/x"));
	EXPECT(!url_may_fetch("http://social.example/x"));
	EXPECT(!url_may_fetch("file:///etc/passwd"));
	EXPECT(!url_may_fetch(NULL));

	const char *conf[] = { "http://127.0.0.1:8970", "https://social.example", "http://127.0.0.1:8970/feed.xml" };
	CHECK_INT(url_allow_loopback(conf, 3), 1); /* one port; the https host is not this machine */
	EXPECT(url_may_fetch("http://127.0.0.1:8970/api/v1/x"));
	EXPECT(url_may_fetch("http://localhost:8970/elsewhere")); /* same machine, same port */
	EXPECT(url_may_fetch("http://[::1]:8970/x"));
	EXPECT(url_may_fetch("https://social.overheid.nl/x"));
	/* a post naming another local port: a printer daemon, a router page */
	EXPECT(!url_may_fetch("http://127.0.0.1:631/"));
	EXPECT(!url_may_fetch("http://127.0.0.1/"));
	EXPECT(!url_may_fetch("http://localhost:8971/x"));
	EXPECT(!url_may_fetch("https://127.0.0.1:631/"));
	EXPECT(!url_may_fetch("http://social.example:8970/x")); /* still not plain http elsewhere */
	url_allow_loopback(NULL, 0);
	EXPECT(!url_may_fetch("http://127.0.0.1:8970/api/v1/x"));
}

TEST(this_machine_in_any_spelling_needs_an_allowed_port)
{
	const char *conf[] = { "http://127.0.0.1:8970" };
	CHECK_INT(url_allow_loopback(conf, 1), 1);
	/* libcurl connects every one of these to this machine; over https the
	 * general "https anywhere" rule would otherwise let them through */
	static const char *const local[] = {
		"https://127.0.0.1:631/", "https://127.1:631/", "https://0x7f.1:631/", "https://2130706433:631/",
		"https://0177.0.0.1:631/", "https://%31%32%37.0.0.1:631/", "https://0.0.0.0:631/", "https://0:631/",
		"https://[::1]:631/", "https://[::]:631/", "https://[::ffff:127.0.0.1]:631/",
		"https://[0:0:0:0:0:0:0:1]:631/", "https://localhost:631/", "https://LOCALHOST.:631/",
		"https://printer.localhost:631/", "https://[::1%25lo]:631/", "http://127.0.0.2:631/",
	};
	for (size_t i = 0; i < sizeof local / sizeof *local; i++)
		if (url_may_fetch(local[i]))
			TEST_FAIL_("%s may be fetched", local[i]);
	EXPECT(url_may_fetch("https://0x7f.1:8970/")); /* the allowed port, however spelt */
	EXPECT(url_may_fetch("https://[::ffff:127.0.0.1]:8970/"));
	/* not this machine */
	EXPECT(url_may_fetch("https://128.0.0.1:631/"));
	EXPECT(url_may_fetch("https://[2001:db8::1]:631/"));
	EXPECT(url_may_fetch("https://localhost.example:631/"));
	EXPECT(url_may_fetch("https://127.0.0.1.nip.example:631/"));
	url_allow_loopback(NULL, 0);
}

TEST(a_source_url_without_a_port_allows_its_scheme_default)
{
	const char *conf[] = { "http://localhost/feed.xml", "not a url", NULL, "ftp://127.0.0.1:21/",
		               "https://[::1]/", "http://127.0.0.1:99999/" };
	CHECK_INT(url_allow_loopback(conf, 6), 2); /* 80 and 443 */
	EXPECT(url_may_fetch("http://127.0.0.1/x"));
	EXPECT(url_may_fetch("http://127.0.0.1:80/x"));
	EXPECT(url_may_fetch("https://localhost/x"));
	EXPECT(!url_may_fetch("http://127.0.0.1:21/x"));
	EXPECT(!url_may_fetch("http://127.0.0.1:8080/x"));
	/* the same port twice counts once */
	const char *twice[] = { "http://127.0.0.1:9000/a", "http://localhost:9000/b" };
	CHECK_INT(url_allow_loopback(twice, 2), 1);
	EXPECT(!url_may_fetch("http://127.0.0.1/x")); /* replaced, not added */
	url_allow_loopback(NULL, 0);
}

static struct sockaddr_in v4(const char *ip, unsigned port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *ip, unsigned port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((unsigned short)port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

TEST(connect_time_check_judges_the_resolved_address)
{
	const char *conf[] = { "http://127.0.0.1:8970" };
	url_allow_loopback(conf, 1);
	struct sockaddr_in a = v4("127.0.0.1", 8970);
	EXPECT(url_may_connect((struct sockaddr *)&a, sizeof a));
	a = v4("127.0.0.1", 631); /* a name that resolved to this machine */
	EXPECT(!url_may_connect((struct sockaddr *)&a, sizeof a));
	a = v4("127.53.0.1", 631);
	EXPECT(!url_may_connect((struct sockaddr *)&a, sizeof a));
	a = v4("0.0.0.0", 631);
	EXPECT(!url_may_connect((struct sockaddr *)&a, sizeof a));
	a = v4("93.184.216.34", 631);
	EXPECT(url_may_connect((struct sockaddr *)&a, sizeof a));
	EXPECT(!url_may_connect((struct sockaddr *)&a, sizeof a.sin_family)); /* too short */
	struct sockaddr_in6 b = v6("::1", 631);
	EXPECT(!url_may_connect((struct sockaddr *)&b, sizeof b));
	b = v6("::ffff:127.0.0.1", 631);
	EXPECT(!url_may_connect((struct sockaddr *)&b, sizeof b));
	b = v6("::1", 8970);
	EXPECT(url_may_connect((struct sockaddr *)&b, sizeof b));
	b = v6("2001:db8::1", 631);
	EXPECT(url_may_connect((struct sockaddr *)&b, sizeof b));
	struct sockaddr u = { .sa_family = AF_UNIX };
	EXPECT(!url_may_connect(&u, sizeof u));
	EXPECT(!url_may_connect(NULL, 0));
	url_allow_loopback(NULL, 0);
	a = v4("127.0.0.1", 8970);
	EXPECT(!url_may_connect((struct sockaddr *)&a, sizeof a));
}

TEST(base_from_host_or_url)
{
	char *b = url_base("social.overheid.nl");
	CHECK_STR(b, "https://social.overheid.nl");
	free(b);
	b = url_base("http://127.0.0.1:8970/");
	CHECK_STR(b, "http://127.0.0.1:8970");
	free(b);
	EXPECT(url_base("http://social.example") == NULL);
	EXPECT(url_base("https://host/path") == NULL);
	EXPECT(url_base("") == NULL);
}

TEST(host_is_lowercased_without_port_or_userinfo)
{
	char *h = url_host("https://User:pw@Social.Example:443/x");
	CHECK_STR(h, "social.example");
	free(h);
	h = url_host("http://[::1]:8080/");
	CHECK_STR(h, "::1");
	free(h);
}

TEST(redact_hides_secret_parameters_and_userinfo)
{
	char *r = url_redact("https://graph.example/v1/posts?fields=a,b&access_token=SECRET&limit=5");
	CHECK_STR(r, "https://graph.example/v1/posts?fields=a,b&access_token=REDACTED&limit=5");
	free(r);
	r = url_redact("https://user:SECRET@feeds.example/rss.xml?x=1");
	CHECK_STR(r, "https://REDACTED@feeds.example/rss.xml?x=1");
	free(r);
	r = url_redact("https://user:SECRET@feeds.example/rss.xml");
	CHECK_STR(r, "https://REDACTED@feeds.example/rss.xml");
	free(r);
	r = url_redact("https://a.example/x?Token=1&key=2&keep=3");
	CHECK_STR(r, "https://a.example/x?Token=REDACTED&key=REDACTED&keep=3");
	free(r);
	r = url_redact("https://a.example/x?next=https://user:pw@b.example/");
	CHECK_STR(r, "https://a.example/x?next=https://user:pw@b.example/"); /* "://" in a query is data */
	free(r);
	r = url_redact("https://a.example/path@not-userinfo");
	CHECK_STR(r, "https://a.example/path@not-userinfo");
	free(r);
}

TEST(encode_keeps_unreserved_only)
{
	char *e = url_encode("a b/ç#&=~._-");
	CHECK_STR(e, "a%20b%2F%C3%A7%23%26%3D~._-");
	free(e);
}

int main(void)
{
	RUN(https_anywhere_http_only_to_loopback);
	RUN(this_machine_is_refused_until_a_source_names_its_port);
	RUN(this_machine_in_any_spelling_needs_an_allowed_port);
	RUN(a_source_url_without_a_port_allows_its_scheme_default);
	RUN(connect_time_check_judges_the_resolved_address);
	RUN(base_from_host_or_url);
	RUN(host_is_lowercased_without_port_or_userinfo);
	RUN(redact_hides_secret_parameters_and_userinfo);
	RUN(encode_keeps_unreserved_only);
	return test_summary();
}
