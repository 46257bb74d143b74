/* url: the URL policy every network request goes through, and redaction. */
#include <stdlib.h>

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
	RUN(base_from_host_or_url);
	RUN(host_is_lowercased_without_port_or_userinfo);
	RUN(redact_hides_secret_parameters_and_userinfo);
	RUN(encode_keeps_unreserved_only);
	return test_summary();
}
