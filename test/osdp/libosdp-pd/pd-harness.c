/*
 * pd-harness: runs libosdp (github.com/goToMain/libosdp) as one or more OSDP peripheral devices
 * (PDs) on one serial line, so the product's ACU (libs/osdp) can be tested against a public
 * implementation. Our code, not libosdp's: it only uses the public API in include/osdp.h
 * (checked against libosdp 3.2.0). Built by test/osdp/support/libosdp-peer.ts.
 *
 * Usage:
 *   pd-harness --tty PATH [--baud N] --address A[:SCBK|:install] [--address B...]
 *              [--scbk HEX32] [--install-mode] [--enforce-secure] [--log-level 0-7]
 *
 * Secure channel: libosdp PDs always offer it (PDCAP function 9). With --scbk (or a per-address
 * key) the PD accepts CHLNG with that key; without any key libosdp puts the PD in install mode,
 * where the ACU may use SCBK-D (OSDP v2.2 Annex D). Plain commands are accepted unless
 * --enforce-secure (libosdp's OSDP_FLAG_ENFORCE_SECURE), which also forbids SCBK-D.
 *
 * Control lines on stdin (one per line):
 *   card <addr> raw|wiegand <hex> <bits>   queue an osdp_RAW card read (libosdp 3.x dropped
 *                                          osdp_FMT: it logs the ASCII format as deprecated)
 *   keys <addr> <keys>                     queue an osdp_KEYPAD report; keys 0-9 * #
 *   tamper <addr> on|off                   local tamper state (LSTATR, and an unsolicited report)
 *   power <addr> ok|fail                   local power state (same)
 *   quit
 * Each control line is answered with "ok <verb> <addr>" or "err <reason>".
 *
 * Printed lines on stdout, one per thing libosdp hands to the application:
 *   ready version=<v> addresses=<a,b>
 *   led|buz|text|output|comset|comset-done|keyset|mfg|status <addr> key=value...
 *   sc <addr> active|inactive scbk|scbk-d       secure channel state change
 *   link <addr> online|offline                  libosdp's view of the ACU's polling
 *   delivered <addr> card|keys|status|mfg ok|failed|flushed|aborted   (event reached the ACU)
 * Card numbers, keys typed and key material are never printed (they are personal data or
 * secrets); KEYSET prints only the key type and length. libosdp's own log goes to stderr.
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
#define RX_QUEUE_SIZE 4096

/*
 * Every PD on the bus must see every byte (each one filters by address itself, as on RS-485),
 * but a libosdp context consumes what its recv callback returns. So the harness reads the tty
 * and copies each chunk into one queue per PD; flush empties only that PD's queue.
 */
struct pd_slot {
	int address;
	osdp_t *ctx;
	int fd;
	uint8_t scbk[16];
	int has_scbk;
	int install_mode;
	int tamper;
	int power_fail;
	int sc_active; /* as last printed */
	int sc_scbkd;
	uint8_t rx[RX_QUEUE_SIZE];
	size_t rx_head, rx_len;
};

static struct pd_slot pds[MAX_PDS];
static int num_pds;
static int tty_fd = -1;

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

static int tty_set_baud(int fd, long baud)
{
	struct termios tio;
	speed_t speed = baud_to_speed(baud);

	if (!speed || tcgetattr(fd, &tio) < 0)
		return -1;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	return tcsetattr(fd, TCSANOW, &tio);
}

/* --- libosdp channel callbacks (struct osdp_channel in osdp.h) --- */

static int channel_recv(void *data, uint8_t *buf, int maxlen)
{
	struct pd_slot *pd = data;
	int n = 0;

	while (n < maxlen && pd->rx_len > 0) {
		buf[n++] = pd->rx[pd->rx_head];
		pd->rx_head = (pd->rx_head + 1) % RX_QUEUE_SIZE;
		pd->rx_len--;
	}
	return n;
}

/* osdp_write_fn_t is all-or-nothing: 0 means "try again on the next refresh". */
static int channel_send(void *data, uint8_t *buf, int len)
{
	struct pd_slot *pd = data;
	int done = 0;

	while (done < len) {
		ssize_t w = write(pd->fd, buf + done, len - done);
		if (w > 0) {
			done += (int)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (done == 0)
			return 0;
		/* Part of the packet is out: finish it rather than corrupt the frame. */
		struct pollfd p = { .fd = pd->fd, .events = POLLOUT };
		poll(&p, 1, 50);
	}
	return len;
}

static void channel_flush(void *data)
{
	struct pd_slot *pd = data;

	pd->rx_head = 0;
	pd->rx_len = 0;
}

static void fan_out(const uint8_t *buf, size_t len)
{
	for (int i = 0; i < num_pds; i++) {
		struct pd_slot *pd = &pds[i];
		for (size_t j = 0; j < len; j++) {
			if (pd->rx_len == RX_QUEUE_SIZE) {
				/* Nobody drained it: drop the oldest byte, as a UART FIFO overrun would. */
				pd->rx_head = (pd->rx_head + 1) % RX_QUEUE_SIZE;
				pd->rx_len--;
			}
			pd->rx[(pd->rx_head + pd->rx_len) % RX_QUEUE_SIZE] = buf[j];
			pd->rx_len++;
		}
	}
}

/* --- libosdp application callbacks --- */

static const char *completion_name(enum osdp_completion_status s)
{
	switch (s) {
	case OSDP_COMPLETION_OK: return "ok";
	case OSDP_COMPLETION_FAILED: return "failed";
	case OSDP_COMPLETION_FLUSHED: return "flushed";
	case OSDP_COMPLETION_ABORTED: return "aborted";
	}
	return "unknown";
}

static const char *event_name(enum osdp_event_type t)
{
	switch (t) {
	case OSDP_EVENT_CARDREAD: return "card";
	case OSDP_EVENT_KEYPRESS: return "keys";
	case OSDP_EVENT_STATUS: return "status";
	case OSDP_EVENT_MFGREP: return "mfg";
	default: return "other";
	}
}

/* osdp_pd_submit_event() queues the caller's struct by reference: it must live until here. */
static void on_event_done(void *arg, const struct osdp_event *ev, enum osdp_completion_status s)
{
	struct pd_slot *pd = arg;

	out("delivered %d %s %s", pd->address, event_name(ev->type), completion_name(s));
	free((void *)ev);
}

static void print_hex(char *dst, size_t cap, const uint8_t *data, int len)
{
	size_t pos = 0;

	dst[0] = '\0';
	for (int i = 0; i < len && pos + 3 <= cap; i++)
		pos += (size_t)snprintf(dst + pos, cap - pos, "%02x", data[i]);
}

static int on_command(void *arg, struct osdp_cmd *cmd)
{
	struct pd_slot *pd = arg;
	char hex[2 * OSDP_CMD_MFG_MAX_DATALEN + 1];

	switch (cmd->id) {
	case OSDP_CMD_LED: {
		const struct osdp_cmd_led *l = &cmd->led;
		out("led %d reader=%u led=%u temp=%u,%u,%u,%u,%u,%u perm=%u,%u,%u,%u,%u", pd->address,
		    l->reader, l->led_number, l->temporary.control_code, l->temporary.on_count,
		    l->temporary.off_count, l->temporary.on_color, l->temporary.off_color,
		    l->temporary.timer_count, l->permanent.control_code, l->permanent.on_count,
		    l->permanent.off_count, l->permanent.on_color, l->permanent.off_color);
		return 0;
	}
	case OSDP_CMD_BUZZER:
		out("buz %d reader=%u code=%u on=%u off=%u repeat=%u", pd->address, cmd->buzzer.reader,
		    cmd->buzzer.control_code, cmd->buzzer.on_count, cmd->buzzer.off_count,
		    cmd->buzzer.rep_count);
		return 0;
	case OSDP_CMD_TEXT:
		/* Hex, so spaces and control bytes keep the line parseable. */
		print_hex(hex, sizeof(hex), cmd->text.data, cmd->text.length);
		out("text %d reader=%u code=%u time=%u row=%u col=%u hex=%s", pd->address,
		    cmd->text.reader, cmd->text.control_code, cmd->text.temp_time,
		    cmd->text.offset_row, cmd->text.offset_col, hex);
		return 0;
	case OSDP_CMD_OUTPUT:
		out("output %d no=%u code=%u timer=%u", pd->address, cmd->output.output_no,
		    cmd->output.control_code, cmd->output.timer_count);
		return 0;
	case OSDP_CMD_COMSET:
		out("comset %d address=%u baud=%u", pd->address, cmd->comset.address,
		    cmd->comset.baud_rate);
		return baud_to_speed(cmd->comset.baud_rate) ? 0 : -1;
	case OSDP_CMD_COMSET_DONE: {
		int old = pd->address;

		/* libosdp has sent osdp_COM with the old settings; the new ones apply from now. */
		pd->address = cmd->comset.address;
		if (num_pds == 1 && tty_set_baud(pd->fd, cmd->comset.baud_rate) < 0)
			fprintf(stderr, "pd-harness: could not switch the tty to %u baud\n",
				cmd->comset.baud_rate);
		out("comset-done %d address=%u baud=%u", old, cmd->comset.address,
		    cmd->comset.baud_rate);
		return 0;
	}
	case OSDP_CMD_KEYSET:
		/* Never the key itself; libosdp switches to it after the ACK and drops the session. */
		out("keyset %d type=%u length=%u", pd->address, cmd->keyset.type, cmd->keyset.length);
		return 0;
	case OSDP_CMD_MFG:
		out("mfg %d vendor=%06x length=%u", pd->address, cmd->mfg.vendor_code, cmd->mfg.length);
		return 0;
	case OSDP_CMD_STATUS:
		if (cmd->status.type == OSDP_STATUS_REPORT_LOCAL) {
			cmd->status.report[0] = (uint8_t)pd->tamper;
			cmd->status.report[1] = (uint8_t)pd->power_fail;
			cmd->status.nr_entries = 2;
			out("status %d local tamper=%d power=%d", pd->address, pd->tamper, pd->power_fail);
			return 0;
		}
		if (cmd->status.type == OSDP_STATUS_REPORT_REMOTE) {
			cmd->status.report[0] = 0;
			cmd->status.nr_entries = 1;
			out("status %d remote", pd->address);
			return 0;
		}
		out("status %d unsupported=%d", pd->address, cmd->status.type);
		return -1;
	case OSDP_CMD_NOTIFICATION:
		if (cmd->notif.type == OSDP_NOTIFICATION_SC_STATUS) {
			pd->sc_active = cmd->notif.arg0;
			pd->sc_scbkd = cmd->notif.arg1;
			out("sc %d %s %s", pd->address, cmd->notif.arg0 ? "active" : "inactive",
			    cmd->notif.arg1 ? "scbk-d" : "scbk");
		}
		else if (cmd->notif.type == OSDP_NOTIFICATION_PD_STATUS)
			out("link %d %s", pd->address, cmd->notif.arg0 ? "online" : "offline");
		return 0;
	default:
		out("unhandled %d id=%d", pd->address, cmd->id);
		return -1;
	}
}

/*
 * libosdp 3.2 drops the session without a notification when the ACU restarts the PD (SQN 0) or
 * a MAC fails to verify; its SC status mask still shows it. The mask leaves out SCBK-D sessions,
 * so this only catches drops of sessions under a real SCBK.
 */
static void check_silent_sc_drop(struct pd_slot *pd)
{
	uint8_t mask = 0;

	if (!pd->sc_active || pd->sc_scbkd)
		return;
	osdp_get_sc_status_mask(pd->ctx, &mask);
	if (!(mask & 1)) {
		pd->sc_active = 0;
		out("sc %d inactive scbk", pd->address);
	}
}

/* --- control protocol --- */

static struct pd_slot *find_pd(const char *addr)
{
	char *end;
	long a = strtol(addr, &end, 10);

	if (*addr == '\0' || *end != '\0')
		return NULL;
	for (int i = 0; i < num_pds; i++)
		if (pds[i].address == a)
			return &pds[i];
	return NULL;
}

static int parse_hex(const char *s, uint8_t *dst, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		dst[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static int submit(struct pd_slot *pd, struct osdp_event *ev)
{
	if (osdp_pd_submit_event(pd->ctx, ev) < 0) {
		free(ev);
		return -1;
	}
	return 0;
}

static int submit_local_status(struct pd_slot *pd)
{
	struct osdp_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -1;
	ev->type = OSDP_EVENT_STATUS;
	ev->status.type = OSDP_STATUS_REPORT_LOCAL;
	ev->status.nr_entries = 2;
	ev->status.report[0] = (uint8_t)pd->tamper;
	ev->status.report[1] = (uint8_t)pd->power_fail;
	return submit(pd, ev);
}

static void handle_line(char *line)
{
	char *argv[6];
	int argc = 0;
	struct pd_slot *pd;

	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 6; tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	if (!strcmp(argv[0], "quit")) {
		out("ok quit");
		exit(0);
	}
	if (argc < 3) {
		out("err usage: %s <addr> ...", argv[0]);
		return;
	}
	pd = find_pd(argv[1]);
	if (!pd) {
		out("err no PD at address %s", argv[1]);
		return;
	}

	if (!strcmp(argv[0], "card") && argc == 5) {
		struct osdp_event *ev = calloc(1, sizeof(*ev));
		long bits = strtol(argv[4], NULL, 10);
		int n;

		if (!ev) {
			out("err out of memory");
			return;
		}
		ev->type = OSDP_EVENT_CARDREAD;
		if (!strcmp(argv[2], "raw"))
			ev->cardread.format = OSDP_CARD_FMT_RAW_UNSPECIFIED;
		else if (!strcmp(argv[2], "wiegand"))
			ev->cardread.format = OSDP_CARD_FMT_RAW_WIEGAND;
		else {
			free(ev);
			out("err card format must be raw or wiegand");
			return;
		}
		n = parse_hex(argv[3], ev->cardread.data, sizeof(ev->cardread.data));
		if (n < 0 || bits <= 0 || (bits + 7) / 8 != n) {
			free(ev);
			out("err card needs <hex> holding exactly <bits> bits");
			return;
		}
		ev->cardread.length = (int)bits;
		out(submit(pd, ev) ? "err card %d not queued" : "ok card %d", pd->address);
		return;
	}
	if (!strcmp(argv[0], "keys") && argc == 3) {
		struct osdp_event *ev = calloc(1, sizeof(*ev));
		size_t n = strlen(argv[2]);

		if (!ev || n > sizeof(ev->keypress.data)) {
			free(ev);
			out("err too many keys");
			return;
		}
		ev->type = OSDP_EVENT_KEYPRESS;
		for (size_t i = 0; i < n; i++) {
			char c = argv[2][i];
			/*
			 * osdp_KEYPAD carries ASCII digits; '*' and '#' are sent as 0x7F and 0x0D
			 * (OSDP v2.2 osdp_KEYPAD, as readers commonly implement it).
			 */
			if (c >= '0' && c <= '9')
				ev->keypress.data[i] = (uint8_t)c;
			else if (c == '*')
				ev->keypress.data[i] = 0x7F;
			else if (c == '#')
				ev->keypress.data[i] = 0x0D;
			else {
				free(ev);
				out("err keys are 0-9 * #");
				return;
			}
		}
		ev->keypress.length = (int)n;
		out(submit(pd, ev) ? "err keys %d not queued" : "ok keys %d", pd->address);
		return;
	}
	if ((!strcmp(argv[0], "tamper") || !strcmp(argv[0], "power")) && argc == 3) {
		int is_tamper = argv[0][0] == 't';
		int on = !strcmp(argv[2], is_tamper ? "on" : "fail");
		int off = !strcmp(argv[2], is_tamper ? "off" : "ok");

		if (on == off) {
			out("err %s takes on|off (tamper) or ok|fail (power)", argv[0]);
			return;
		}
		if (is_tamper)
			pd->tamper = on;
		else
			pd->power_fail = on;
		out(submit_local_status(pd) ? "err %s %d not queued" : "ok %s %d", argv[0],
		    pd->address);
		return;
	}
	out("err unknown command %s", argv[0]);
}

/* --- set-up --- */

static void usage(void)
{
	fprintf(stderr, "usage: pd-harness --tty PATH [--baud N] --address A[:SCBK|:install]... "
			"[--scbk HEX32] [--install-mode] [--enforce-secure] [--log-level 0-7]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *tty = NULL;
	long baud = 115200;
	uint8_t default_scbk[16];
	int has_default_scbk = 0, install_mode = 0, enforce_secure = 0, log_level = OSDP_LOG_WARNING;
	char line[512];
	size_t line_len = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--tty") && v) {
			tty = v;
			i++;
		} else if (!strcmp(a, "--baud") && v) {
			baud = strtol(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--scbk") && v) {
			if (parse_hex(v, default_scbk, 16) != 16)
				usage();
			has_default_scbk = 1;
			i++;
		} else if (!strcmp(a, "--install-mode")) {
			install_mode = 1;
		} else if (!strcmp(a, "--enforce-secure")) {
			enforce_secure = 1;
		} else if (!strcmp(a, "--log-level") && v) {
			log_level = (int)strtol(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--address") && v && num_pds < MAX_PDS) {
			struct pd_slot *pd = &pds[num_pds++];
			char *end;
			pd->address = (int)strtol(v, &end, 10);
			if (end == v || pd->address < 0 || pd->address > 0x7E)
				usage();
			if (*end == ':' && !strcmp(end + 1, "install"))
				pd->install_mode = 1;
			else if (*end == ':') {
				if (parse_hex(end + 1, pd->scbk, 16) != 16)
					usage();
				pd->has_scbk = 1;
			} else if (*end != '\0')
				usage();
			i++;
		} else {
			usage();
		}
	}
	if (!tty || num_pds == 0 || !baud_to_speed(baud))
		usage();

	tty_fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (tty_fd < 0 || tty_set_baud(tty_fd, baud) < 0) {
		fprintf(stderr, "pd-harness: cannot open %s: %s\n", tty, strerror(errno));
		return 1;
	}

	osdp_logger_init("pd-harness", log_level, NULL);
	for (int i = 0; i < num_pds; i++) {
		struct pd_slot *pd = &pds[i];
		/* What an ACU sees in osdp_PDCAP beyond libosdp's implicit CRC/SC/buffer/version. */
		static const struct osdp_pd_cap caps[] = {
			{ OSDP_PD_CAP_CARD_DATA_FORMAT, 1, 0 },
			{ OSDP_PD_CAP_READER_LED_CONTROL, 4, 1 },
			{ OSDP_PD_CAP_READER_AUDIBLE_OUTPUT, 2, 1 },
			{ OSDP_PD_CAP_READER_TEXT_OUTPUT, 1, 1 },
			{ (uint8_t)-1, 0, 0 },
		};
		struct osdp_channel channel = {
			.data = pd,
			.recv = channel_recv,
			.send = channel_send,
			.flush = channel_flush,
		};
		osdp_pd_info_t info = {
			.name = NULL,
			.baud_rate = (int)baud,
			.address = pd->address,
			.flags = OSDP_FLAG_ENABLE_NOTIFICATION,
			.id = {
				.version = 1,
				.model = 1,
				.vendor_code = 0x00A1A2,
				.serial_number = 0x10000000u + (uint32_t)pd->address,
				.firmware_version = 0x030200,
			},
			.cap = caps,
			.scbk = NULL,
		};

		pd->fd = tty_fd;
		if (pd->has_scbk)
			info.scbk = pd->scbk;
		else if (has_default_scbk && !pd->install_mode)
			info.scbk = default_scbk;
		/* No key: libosdp enters install mode by itself (SCBK-D accepted). */
		if (install_mode || pd->install_mode)
			info.flags |= OSDP_FLAG_INSTALL_MODE;
		if (enforce_secure)
			info.flags |= OSDP_FLAG_ENFORCE_SECURE;
		pd->ctx = osdp_pd_setup(&channel, &info);
		if (!pd->ctx) {
			fprintf(stderr, "pd-harness: libosdp refused PD %d (enforce-secure needs a key)\n",
				pd->address);
			return 1;
		}
		osdp_pd_set_command_callback(pd->ctx, on_command, pd);
		osdp_pd_set_event_completion_callback(pd->ctx, on_event_done, pd);
	}

	{
		char list[MAX_PDS * 5] = "";
		size_t pos = 0;
		for (int i = 0; i < num_pds; i++)
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%d", i ? "," : "",
						pds[i].address);
		out("ready version=%s addresses=%s", osdp_get_version(), list);
	}

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = tty_fd, .events = POLLIN },
		};
		uint8_t buf[512];

		/* libosdp wants a refresh at least every 50 ms (osdp.h); 5 ms keeps replies prompt. */
		if (poll(fds, 2, 5) < 0 && errno != EINTR)
			return 1;
		if (fds[1].revents & POLLIN) {
			ssize_t n = read(tty_fd, buf, sizeof(buf));
			if (n > 0)
				fan_out(buf, (size_t)n);
		}
		if (fds[1].revents & (POLLHUP | POLLERR)) {
			/* socat went away: nothing left to serve. */
			fprintf(stderr, "pd-harness: %s hung up\n", tty);
			return 0;
		}
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
		for (int i = 0; i < num_pds; i++) {
			osdp_pd_refresh(pds[i].ctx);
			check_silent_sc_drop(&pds[i]);
		}
	}
}
