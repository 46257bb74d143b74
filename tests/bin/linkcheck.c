/*
 * linkcheck: a stand-in for /usr/bin/balie in tests/integration/test_install.sh.
 *
 * It links the same shared libraries as balie and prints the version of each
 * at run time, so running it inside the freshly installed bookworm root proves
 * that firmware/install.sh installs every runtime package balie needs (a
 * missing one stops the dynamic loader before main).
 */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <expat.h>
#include <fribidi.h>
#include <linebreak.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SDL_version sdl;
	SDL_GetVersion(&sdl);
	const SDL_version *ttf = TTF_Linked_Version();
	const SDL_version *img = IMG_Linked_Version();
	init_linebreak();
	printf("linkcheck: SDL %d.%d.%d, SDL_ttf %d.%d.%d, SDL_image %d.%d.%d, cJSON %s, %s, %s, fribidi %.*s, libunibreak %#x\n",
	       sdl.major, sdl.minor, sdl.patch, ttf->major, ttf->minor, ttf->patch, img->major,
	       img->minor, img->patch, cJSON_Version(), curl_version(), XML_ExpatVersion(),
	       (int)strcspn(fribidi_version_info, "\n"), fribidi_version_info, linebreak_version);
	return 0;
}
