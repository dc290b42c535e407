/*
 * cp-harness: runs libosdp (github.com/goToMain/libosdp) as the OSDP control panel (ACU, "CP" in
 * libosdp) on one serial line, so our virtual PDs (hardware/virtual-osdp-reader) can be checked
 * against a public ACU. Our code, not libosdp's: it only uses the public API in include/osdp.h
 * (checked against libosdp 3.2.0: osdp_cp_setup, osdp_cp_refresh, osdp_cp_set_event_callback,
 * osdp_cp_submit_command). Built by test/osdp/support/libosdp-acu.ts.
 *
 * Usage:
 *   cp-harness --tty PATH [--baud N] --address A [--address B...] [--scbk HEX32]
 *              [--enforce-secure] [--log-level 0-7]
 *
 * libosdp's CP sends ID, CAP, then CHLNG under --scbk; when the PD refuses it, it retries with the
 * default key SCBK-D and, once that session is up, sends the --scbk with KEYSET and sets up again
 * under it (its "install" path; src/osdp_cp.c get_next_ok_state/get_next_err_state). Then it polls.
 *
 * Control lines on stdin: `led <addr> <colour>` (a permanent LED colour), `quit`; answered with
 * "ok ..." or "err ...".
 *
 * Printed lines on stdout:
 *   ready version=<v>
 *   sc <addr> active|inactive scbk|scbk-d      link <addr> online|offline
 *   card <addr> format=<f> bits=<n> digest=<fnv1a-32 of the data bytes, hex>
 *   keys <addr> count=<n> digest=<fnv1a-32>    status <addr> type=<t> report=<hex>
 *   command <addr> id=<cmd> ok|failed
 * Card data and keys are printed only as a digest, so a test can check them without a log line
 * holding a card number.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <osdp.h>

#define MAX_PDS 8

static int tty_fd = -1;
static int addresses[MAX_PDS];
static int num_pds;
static osdp_t *ctx;

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static speed_t baud_to_speed(long baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	default: return 0;
	}
}

static int tty_open(const char *path, long baud)
{
	struct termios tio;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || tcgetattr(fd, &tio) < 0)
		return -1;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, baud_to_speed(baud));
	cfsetospeed(&tio, baud_to_speed(baud));
	return tcsetattr(fd, TCSANOW, &tio) < 0 ? -1 : fd;
}

/* FNV-1a, 32 bits: enough for a test to tell card data apart, and not the data itself. */
static unsigned fnv1a(const uint8_t *data, int len)
{
	unsigned h = 2166136261u;

	for (int i = 0; i < len; i++) {
		h ^= data[i];
		h *= 16777619u;
	}
	return h;
}

/* --- libosdp channel callbacks (struct osdp_channel) --- */

static int channel_recv(void *data, uint8_t *buf, int maxlen)
{
	ssize_t n = read(tty_fd, buf, (size_t)maxlen);

	(void)data;
	return n > 0 ? (int)n : 0;
}

static int channel_send(void *data, uint8_t *buf, int len)
{
	int done = 0;

	(void)data;
	while (done < len) {
		ssize_t w = write(tty_fd, buf + done, (size_t)(len - done));
		if (w > 0) {
			done += (int)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (done == 0)
			return 0; /* all-or-nothing: libosdp tries again on the next refresh */
		struct pollfd p = { .fd = tty_fd, .events = POLLOUT };
		poll(&p, 1, 50);
	}
	return len;
}

static void channel_flush(void *data)
{
	uint8_t junk[256];

	(void)data;
	while (read(tty_fd, junk, sizeof(junk)) > 0)
		;
}

/* --- libosdp application callbacks --- */

static int on_event(void *arg, int pd, struct osdp_event *ev)
{
	int addr = pd >= 0 && pd < num_pds ? addresses[pd] : -1;
	char hex[2 * OSDP_STATUS_REPORT_MAX_LEN + 1] = "";

	(void)arg;
	switch (ev->type) {
	case OSDP_EVENT_CARDREAD:
		out("card %d format=%d bits=%d digest=%08x", addr, ev->cardread.format,
		    ev->cardread.length, fnv1a(ev->cardread.data, (ev->cardread.length + 7) / 8));
		break;
	case OSDP_EVENT_KEYPRESS:
		out("keys %d count=%d digest=%08x", addr, ev->keypress.length,
		    fnv1a(ev->keypress.data, ev->keypress.length));
		break;
	case OSDP_EVENT_STATUS:
		for (int i = 0; i < ev->status.nr_entries && i < OSDP_STATUS_REPORT_MAX_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", ev->status.report[i]);
		out("status %d type=%d report=%s", addr, ev->status.type, hex);
		break;
	case OSDP_EVENT_NOTIFICATION:
		if (ev->notif.type == OSDP_NOTIFICATION_SC_STATUS)
			out("sc %d %s %s", addr, ev->notif.arg0 ? "active" : "inactive",
			    ev->notif.arg1 ? "scbk-d" : "scbk");
		else if (ev->notif.type == OSDP_NOTIFICATION_PD_STATUS)
			out("link %d %s", addr, ev->notif.arg0 ? "online" : "offline");
		else if (ev->notif.type == OSDP_NOTIFICATION_COMMAND)
			out("command %d id=%d %s", addr, ev->notif.arg0, ev->notif.arg1 ? "failed" : "ok");
		break;
	default:
		out("event %d type=%d", addr, ev->type);
		break;
	}
	return 0;
}

/* --- control protocol --- */

static int pd_index(const char *addr)
{
	char *end;
	long a = strtol(addr, &end, 10);

	for (int i = 0; *addr && !*end && i < num_pds; i++)
		if (addresses[i] == a)
			return i;
	return -1;
}

static void handle_line(char *line)
{
	char *argv[4];
	int argc = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 4; tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	if (!strcmp(argv[0], "quit")) {
		out("ok quit");
		exit(0);
	}
	if (!strcmp(argv[0], "led") && argc == 3) {
		int pd = pd_index(argv[1]);
		struct osdp_cmd cmd = { 0 };

		if (pd < 0) {
			out("err no PD at address %s", argv[1]);
			return;
		}
		cmd.id = OSDP_CMD_LED;
		cmd.led.permanent.control_code = 1; /* set */
		cmd.led.permanent.on_count = 1;
		cmd.led.permanent.on_color = (uint8_t)strtol(argv[2], NULL, 10);
		out(osdp_cp_submit_command(ctx, pd, &cmd) ? "err led %d not queued" : "ok led %d",
		    addresses[pd]);
		return;
	}
	out("err unknown command %s", argv[0]);
}

static int parse_hex(const char *s, uint8_t *dst, size_t cap)
{
	size_t n = strlen(s);

	if (n != 2 * cap)
		return -1;
	for (size_t i = 0; i < cap; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		dst[i] = (uint8_t)v;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: cp-harness --tty PATH [--baud N] --address A... [--scbk HEX32] "
			"[--enforce-secure] [--log-level 0-7]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *tty = NULL;
	long baud = 115200;
	uint8_t scbk[16];
	int has_scbk = 0, flags = OSDP_FLAG_ENABLE_NOTIFICATION, log_level = OSDP_LOG_WARNING;
	osdp_pd_info_t info[MAX_PDS];
	char line[512];
	size_t line_len = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--tty") && v) {
			tty = argv[++i];
		} else if (!strcmp(a, "--baud") && v) {
			baud = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--scbk") && v) {
			if (parse_hex(argv[++i], scbk, 16))
				usage();
			has_scbk = 1;
		} else if (!strcmp(a, "--enforce-secure")) {
			flags |= OSDP_FLAG_ENFORCE_SECURE;
		} else if (!strcmp(a, "--log-level") && v) {
			log_level = (int)strtol(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--address") && v && num_pds < MAX_PDS) {
			char *end;
			addresses[num_pds] = (int)strtol(argv[++i], &end, 10);
			if (*end || addresses[num_pds] < 0 || addresses[num_pds] > 0x7E)
				usage();
			num_pds++;
		} else {
			usage();
		}
	}
	if (!tty || num_pds == 0 || !baud_to_speed(baud))
		usage();
	tty_fd = tty_open(tty, baud);
	if (tty_fd < 0) {
		fprintf(stderr, "cp-harness: cannot open %s: %s\n", tty, strerror(errno));
		return 1;
	}

	osdp_logger_init("cp-harness", log_level, NULL);
	memset(info, 0, sizeof(info));
	for (int i = 0; i < num_pds; i++) {
		info[i].baud_rate = (int)baud;
		info[i].address = addresses[i];
		info[i].flags = flags;
		info[i].scbk = has_scbk ? scbk : NULL;
	}
	struct osdp_channel channel = {
		.data = NULL,
		.recv = channel_recv,
		.send = channel_send,
		.flush = channel_flush,
	};
	ctx = osdp_cp_setup(&channel, num_pds, info);
	if (!ctx) {
		fprintf(stderr, "cp-harness: libosdp refused the set-up (enforce-secure needs --scbk)\n");
		return 1;
	}
	osdp_cp_set_event_callback(ctx, on_event, NULL);
	out("ready version=%s", osdp_get_version());

	for (;;) {
		struct pollfd fds[1] = { { .fd = STDIN_FILENO, .events = POLLIN } };

		/* libosdp wants a refresh at least every 50 ms (osdp.h); 5 ms keeps the poll prompt. */
		if (poll(fds, 1, 5) < 0 && errno != EINTR)
			return 1;
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, line + line_len, sizeof(line) - 1 - line_len);
			if (n <= 0)
				return 0; /* the test closed our stdin */
			line_len += (size_t)n;
			line[line_len] = '\0';
			char *nl;
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				handle_line(line);
				line_len -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, line_len + 1);
			}
			if (line_len == sizeof(line) - 1) {
				out("err line too long");
				line_len = 0;
			}
		}
		osdp_cp_refresh(ctx);
	}
}
