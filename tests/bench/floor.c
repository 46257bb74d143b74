/*
 * floor: the smallest SDL program that does what balie must do before its
 * first card, used by `make bench` as the floor its figures are divided by.
 *
 * It starts SDL's video, opens a 1920x1080 window (the dummy driver under the
 * benchmark), opens the fonts balie opens for a Latin card (Noto Sans regular
 * and bold, Noto Color Emoji), clears and presents one frame, tells the
 * benchmark with the same sd_notify datagram balie sends (READY=1 to
 * $NOTIFY_SOCKET), and then waits in SDL_WaitEvent() like any SDL program
 * until SIGTERM/SIGINT (SDL turns them into SDL_QUIT).  Its start-up time,
 * memory and idle CPU are what SDL, SDL_ttf and the C library cost before
 * balie does anything of its own.
 *
 *   floor [--size WxH] [FONT...]      (default: the three fonts above)
 *
 * Exit status 0; 4 when SDL, the window or a font cannot be opened (with a
 * message on stderr).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const default_fonts[] = {
	"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
	"/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
};

#define MAX_FONTS 16

/* READY=1 to $NOTIFY_SOCKET (a path or "@abstract"), as src/platform does. */
static void notify_ready(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	if (!p || !*p)
		return;
	struct sockaddr_un sa;
	size_t n = strlen(p);
	if (n >= sizeof sa.sun_path || (p[0] != '/' && p[0] != '@')) {
		fprintf(stderr, "floor: ignoring NOTIFY_SOCKET: not an absolute path or abstract name\n");
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, p, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		perror("floor: sd_notify");
	close(fd);
}

int main(int argc, char **argv)
{
	int w = 1920, h = 1080;
	const char *fonts[MAX_FONTS];
	size_t n_fonts = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			char tail;
			if (sscanf(argv[++i], "%dx%d%c", &w, &h, &tail) != 2 || w < 1 || h < 1) {
				fprintf(stderr, "floor: --size: expected WIDTHxHEIGHT, got '%s'\n", argv[i]);
				return 2;
			}
		} else if (n_fonts < MAX_FONTS) {
			fonts[n_fonts++] = argv[i];
		}
	}
	if (n_fonts == 0)
		for (size_t i = 0; i < sizeof default_fonts / sizeof *default_fonts; i++)
			fonts[n_fonts++] = default_fonts[i];

	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
		fprintf(stderr, "floor: cannot start SDL: %s\n", SDL_GetError());
		return 4;
	}
	if (TTF_Init() != 0) {
		fprintf(stderr, "floor: cannot start SDL_ttf: %s\n", TTF_GetError());
		return 4;
	}
	SDL_Window *win = SDL_CreateWindow("floor", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h,
	                                   SDL_WINDOW_SHOWN);
	SDL_Renderer *ren = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
	if (!ren) {
		fprintf(stderr, "floor: cannot open a %dx%d window: %s\n", w, h, SDL_GetError());
		return 4;
	}
	TTF_Font *open[MAX_FONTS];
	for (size_t i = 0; i < n_fonts; i++) {
		/* Noto Color Emoji has one bitmap strike, 109 px; the others are outlines. */
		open[i] = TTF_OpenFont(fonts[i], strstr(fonts[i], "Emoji") ? 109 : 32);
		if (!open[i]) {
			fprintf(stderr, "floor: cannot open the font %s: %s\n", fonts[i], TTF_GetError());
			return 4;
		}
	}
	SDL_SetRenderDrawColor(ren, 0x12, 0x1a, 0x24, 255);
	SDL_RenderClear(ren);
	SDL_RenderPresent(ren);
	notify_ready();

	SDL_Event ev;
	while (SDL_WaitEvent(&ev))
		if (ev.type == SDL_QUIT)
			break;

	for (size_t i = 0; i < n_fonts; i++)
		TTF_CloseFont(open[i]);
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	TTF_Quit();
	SDL_Quit();
	return 0;
}
