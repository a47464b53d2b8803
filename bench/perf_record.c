/*
 * perf_record.c - run a program under `perf record` of the mm tracepoints
 * and import `perf script` output (perf_record.h says what and why).
 *
 * Start-up handshake: the program is forked and waits on a pipe; perf is
 * started with -p PID, -D -1 (events disabled) and --control fd:CTL,ACK; we
 * send "enable" and wait for perf's "ack" (sent once its events are open and
 * enabled), then release the program to exec.  So no event of the program is
 * lost, and the status we report is the program's own waitpid() status, not
 * perf's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/perf_record.h"
#include "traces/import_perf.h"

#define ACK_TIMEOUT_MS   30000  /* perf start-up: opening ~30 tracepoints */
#define EXIT_GRACE_MS    2000   /* perf's own exit after the program's */

static const char *const perf_events[] = {
	"kmem:mm_page_alloc", "kmem:mm_page_free", "kmem:mm_page_free_batched",
	"kmem:mm_page_alloc_extfrag", "kmem:kmalloc", "kmem:kfree",
	"kmem:kmem_cache_alloc", "kmem:kmem_cache_free",
	"exceptions:page_fault_user",
	"syscalls:sys_enter_mmap", "syscalls:sys_exit_mmap",
	"syscalls:sys_enter_munmap", "syscalls:sys_exit_munmap",
	"syscalls:sys_enter_mremap", "syscalls:sys_exit_mremap",
	"syscalls:sys_enter_mprotect", "syscalls:sys_exit_mprotect",
	"syscalls:sys_enter_brk", "syscalls:sys_exit_brk",
	"syscalls:sys_enter_madvise", "syscalls:sys_exit_madvise",
	"sched:sched_process_fork", "sched:sched_process_exec",
	"sched:sched_process_exit",
};
#define NR_PERF_EVENTS (sizeof(perf_events) / sizeof(perf_events[0]))

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events",
};

/* The tracefs events directory, or NULL when neither is readable. */
static const char *tracefs_events(void)
{
	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++)
		if (!access(tracefs_dirs[i], R_OK | X_OK))
			return tracefs_dirs[i];
	return NULL;
}

/* Whether the running kernel has tracepoint "sys:name" (true when unknowable). */
static bool tracepoint_exists(const char *dir, const char *ev)
{
	char path[512];
	const char *colon = strchr(ev, ':');
	if (!dir || !colon)
		return true;
	snprintf(path, sizeof(path), "%s/%.*s/%s", dir, (int)(colon - ev), ev, colon + 1);
	return !access(path, F_OK);
}

static bool perf_on_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/perf", (int)n, path);
		if (n && !access(buf, X_OK))
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* The first non-empty line of file path into buf (len bytes); "" if none. */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0])
			break;
	}
	fclose(f);
}

/* Child side of a fork: stdin from /dev/null, stdout and stderr to log (or /dev/null). */
static void redirect_quiet(const char *log)
{
	int in = open("/dev/null", O_RDONLY);
	int out = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (in >= 0)
		dup2(in, 0);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
}

static int wait_retry(pid_t pid, int *status, int flags)
{
	pid_t r;
	do
		r = waitpid(pid, status, flags);
	while (r < 0 && errno == EINTR);
	return (int)r;
}

bool perf_available(char *why, size_t len)
{
	char dir[] = "/tmp/mmbench-perf-probe.XXXXXX";
	char data[64], log[64], line[256];
	int status;
	if (!perf_on_path()) {
		snprintf(why, len, "no perf binary on PATH (Debian package linux-perf)");
		return false;
	}
	const char *ev = tracefs_events();
	if (ev && !tracepoint_exists(ev, "kmem:mm_page_alloc")) {
		snprintf(why, len, "the kernel has no kmem:mm_page_alloc tracepoint (%s)", ev);
		return false;
	}
	if (!mkdtemp(dir)) {
		snprintf(why, len, "cannot create a directory in /tmp: %s", strerror(errno));
		return false;
	}
	snprintf(data, sizeof(data), "%s/perf.data", dir);
	snprintf(log, sizeof(log), "%s/perf.log", dir);
	pid_t pid = fork();
	if (pid == 0) {
		redirect_quiet(log);
		execlp("perf", "perf", "record", "-q", "-B", "-N", "-e", "kmem:mm_page_alloc", "-o", data,
		       "--", "true", (char *)NULL);
		_exit(127);
	}
	bool ok = pid > 0 && wait_retry(pid, &status, 0) == pid && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0;
	if (!ok) {
		first_line(log, line, sizeof(line));
		snprintf(why, len, "perf record cannot open the kmem tracepoints: %s",
			 line[0] ? line : pid < 0 ? strerror(errno) : "perf failed without a message");
	}
	unlink(data);
	unlink(log);
	rmdir(dir);
	return ok;
}

/* Read perf's "ack\n" from fd within timeout_ms; 0, or -1 (EOF, timeout). */
static int wait_ack(int fd, int timeout_ms)
{
	char buf[16];
	size_t got = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	while (got < 4) {
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return memcmp(buf, "ack\n", 4) ? -1 : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait for perf up to grace_ms, then SIGINT it (it writes its data) and wait. */
static int stop_perf(pid_t perf, int *status)
{
	for (long waited = 0; waited < EXIT_GRACE_MS; waited += 20) {
		int r = wait_retry(perf, status, WNOHANG);
		if (r == perf)
			return 0;
		if (r < 0)
			return -1;
		sleep_ms(20);
	}
	kill(perf, SIGINT);
	return wait_retry(perf, status, 0) == perf ? 0 : -1;
}

int perf_record_exec(const char *perf_data, char *const argv[], char *const envp[],
		     int *wait_status, char *err, size_t errlen)
{
	int gate[2] = { -1, -1 }, ctl[2] = { -1, -1 }, ack[2] = { -1, -1 };
	char log[4096], pidstr[16], control[48], line[256];
	const char *args[8 + 2 * NR_PERF_EVENTS + 8];
	const char *ev_dir = tracefs_events();
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	pid_t prog, perf;
	int status, rc = -1;
	size_t na = 0;

	if (!argv || !argv[0]) {
		snprintf(err, errlen, "no command to record");
		return -1;
	}
	snprintf(log, sizeof(log), "%s.log", perf_data);
	if (pipe2(gate, O_CLOEXEC) || pipe2(ctl, O_CLOEXEC) || pipe2(ack, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	fflush(NULL);
	prog = fork();
	if (prog < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto close_pipes;
	}
	if (prog == 0) {
		char go;
		close(gate[1]);
		if (read(gate[0], &go, 1) != 1)
			_exit(127);             /* perf did not start: never run */
		if (envp)
			execvpe(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		fprintf(stderr, "mmbench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	gate[0] = -1;

	snprintf(pidstr, sizeof(pidstr), "%d", (int)prog);
	snprintf(control, sizeof(control), "fd:%d,%d", ctl[0], ack[1]);
	args[na++] = "perf";
	args[na++] = "record";
	args[na++] = "-q";
	args[na++] = "-B";              /* no build-id post-processing: tracepoints only */
	args[na++] = "-N";
	args[na++] = "-k";
	args[na++] = "CLOCK_MONOTONIC";
	args[na++] = "-D";
	args[na++] = "-1";
	args[na++] = "--control";
	args[na++] = control;
	for (size_t i = 0; i < NR_PERF_EVENTS; i++) {
		if (!tracepoint_exists(ev_dir, perf_events[i]))
			continue;
		args[na++] = "-e";
		args[na++] = perf_events[i];
	}
	args[na++] = "-p";
	args[na++] = pidstr;
	args[na++] = "-o";
	args[na++] = perf_data;
	args[na] = NULL;

	perf = fork();
	if (perf == 0) {
		setpgid(0, 0);          /* the terminal's ^C goes to the program, not perf */
		fcntl(ctl[0], F_SETFD, 0);
		fcntl(ack[1], F_SETFD, 0);
		redirect_quiet(log);
		execvp("perf", (char *const *)args);
		fprintf(stderr, "cannot run perf: %s\n", strerror(errno));
		_exit(127);
	}
	close(ctl[0]);
	close(ack[1]);
	ctl[0] = ack[1] = -1;
	if (perf < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(gate[1]);         /* the program exits 127 unrun */
		gate[1] = -1;
		wait_retry(prog, &status, 0);
		goto close_pipes;
	}
	if (write(ctl[1], "enable\n", 7) != 7 || wait_ack(ack[0], ACK_TIMEOUT_MS)) {
		kill(perf, SIGKILL);
		wait_retry(perf, &status, 0);
		close(gate[1]);
		gate[1] = -1;
		wait_retry(prog, &status, 0);
		first_line(log, line, sizeof(line));
		snprintf(err, errlen, "perf record did not start (log %s): %s", log,
			 line[0] ? line : "no acknowledgement from perf");
		goto close_pipes;
	}

	/* like system(3): the program gets ^C and ^\, we wait for it */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	if (write(gate[1], "g", 1) != 1)
		snprintf(err, errlen, "cannot release the program: %s", strerror(errno));
	close(gate[1]);
	gate[1] = -1;
	if (wait_retry(prog, wait_status, 0) != prog) {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
		kill(perf, SIGINT);
		wait_retry(perf, &status, 0);
	} else if (stop_perf(perf, &status)) {
		snprintf(err, errlen, "waitpid(perf): %s", strerror(errno));
	} else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
		   !(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)) {
		first_line(log, line, sizeof(line));
		snprintf(err, errlen, "perf record failed (%s %d, log %s): %s",
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log, line);
	} else {
		rc = 0;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (gate[i] >= 0)
			close(gate[i]);
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (ack[i] >= 0)
			close(ack[i]);
	}
	return rc;
}

int perf_import_file(const char *perf_data, uint64_t origin_ns, const char *out_trace,
		     trace_error_t *err)
{
	int out[2], status = 0;
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	if (!buf)
		return trace_error_set(err, perf_data, TRACE_NO_EVENT, 0, "out of memory");
	if (pipe2(out, O_CLOEXEC)) {
		free(buf);
		return trace_error_set(err, perf_data, TRACE_NO_EVENT, 0, "pipe: %s",
				       strerror(errno));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		redirect_quiet(NULL);
		dup2(out[1], 1);
		execlp("perf", "perf", "script", "-i", perf_data, "-F",
		       "comm,pid,tid,cpu,time,event,trace", "--ns", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		free(buf);
		return trace_error_set(err, perf_data, TRACE_NO_EVENT, 0, "fork: %s",
				       strerror(errno));
	}
	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				kill(pid, SIGKILL);
				len = SIZE_MAX;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(out[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out[0]);
	if (wait_retry(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    len == SIZE_MAX) {
		free(buf);
		if (len == SIZE_MAX)
			return trace_error_set(err, perf_data, TRACE_NO_EVENT, 0,
					       "out of memory reading perf script output");
		return trace_error_set(err, perf_data, TRACE_NO_EVENT, 0,
				       "perf script -i %s failed (status 0x%x)", perf_data, status);
	}
	perf_import_opts_t opts = { .origin_ns = origin_ns };
	trace_meta_t meta[] = { { "perf_data", perf_data } };
	opts.meta = meta;
	opts.nr_meta = 1;
	int rc = perf_import_mem(buf, len, perf_data, out_trace, &opts, err);
	free(buf);
	return rc;
}
