// SPDX-License-Identifier: GPL-2.0
/*
 * main.c's trace run with the tracer, the exporter and setup replaced by
 * fakes (link seams: the Makefile builds main.c as pmutrace_main and leaves
 * their objects out), so a failure in the middle of a run can be injected.
 * Each run is a child process; the checks look at its exit code and stderr,
 * never at how long it took.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "exporter.h"
#include "unit.h"

int pmutrace_main(int argc, char **argv);

/* Which call fails (0: none), and how many were made. */
static int collect_fails_at, poll_fails_at, collects, polls;
/* prepare_run's targets: the second, if any, at inline sites. */
static int fake_targets = 1;

struct tracer {
	int unused;
};

struct tracer *tracer_start(struct run_result *r, int *err)
{
	static struct tracer t;

	(void)r;
	*err = 0;
	return &t;
}

int tracer_collect(struct tracer *tr, struct run_result *r)
{
	(void)tr;
	r->res[0].s.count++;
	return ++collects == collect_fails_at ? -EIO : 0;
}

/* attrib.c's, for its programs (none here). */
__u64 prog_misses(const struct bpf_program *p)
{
	(void)p;
	return 0;
}

void tracer_stop(struct tracer *tr)
{
	(void)tr;
}

int exporter_open(struct exporter *x, const struct options *o)
{
	(void)o;
	memset(x, 0, sizeof(*x));
	return 0;
}

int exporter_start(struct exporter *x)
{
	(void)x;
	return 0;
}

void exporter_wait(const struct exporter *x, double s)
{
	(void)x;
	usleep((useconds_t)(s * 1e6));
}

int exporter_poll(struct exporter *x, exporter_collect_fn collect, void *ctx,
		  struct run_result *r)
{
	(void)x;
	(void)collect;
	(void)ctx;
	(void)r;
	return ++polls == poll_fails_at ? -EIO : 0;
}

int exporter_finish(struct exporter *x, const struct run_result *r)
{
	(void)x;
	(void)r;
	return 0;
}

void exporter_close(struct exporter *x)
{
	(void)x;
}

int prepare_run(const struct options *o, struct run_result *r)
{
	(void)o;
	r->ntargets = fake_targets;
	snprintf(r->targets[0].name, NAME_LEN, "fake_target");
	r->targets[0].mode = ATTACH_DIRECT;
	if (fake_targets > 1) {
		snprintf(r->targets[1].name, NAME_LEN, "fake_inlined");
		r->targets[1].mode = ATTACH_INLINE;
	}
	return 0;
}

void drop_privileges_monitor(void)
{
}

int drop_privileges(uid_t uid, gid_t gid)
{
	(void)uid;
	(void)gid;
	return 0;
}

const char *run_user_passwd = "/etc/passwd";

int run_user_lookup(const char *spec, uid_t *uid, gid_t *gid)
{
	(void)spec;
	*uid = *gid = 65534;
	return 0;
}

void libbpf_log(bool verbose)
{
	(void)verbose;
}

int check_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Run pmutrace ARGS in a child; its stderr lands in err (a file). */
static int run(const char *err, char *const args[])
{
	int argc = 0, status;
	pid_t pid;

	while (args[argc])
		argc++;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (!freopen(err, "w", stderr) ||
		    !freopen("/dev/null", "w", stdout))
			_exit(99);
		setvbuf(stderr, NULL, _IONBF, 0);
		status = pmutrace_main(argc, (char **)args);
		fflush(NULL);
		_exit(status);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Lines of file that contain what (NULL: all lines). */
static int lines(const char *path, const char *what)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += !what || strstr(line, what);
	if (f)
		fclose(f);
	return n;
}

static void test_mid_run_failure(const char *err)
{
	char *const args[] = { "pmutrace", "-d", "60", "-i", "0.1", NULL };
	int rc;

	/* The third interval's read fails: a one-off in the old loop, which
	 * then read the maps once more and exited 0. */
	collect_fails_at = 3;
	rc = run(err, args);
	CHECK(rc == EXIT_RUNTIME && lines(err, "pmutrace: ") == 1,
	      "failed read mid-run: exit %d, %d error lines (want %d, 1)", rc,
	      lines(err, "pmutrace: "), EXIT_RUNTIME);
	CHECK(lines(err, "cannot read the BPF maps") == 1,
	      "the line does not say what failed");
	collect_fails_at = 0;

	/* The exporter's hook fails (it reads the maps for a scrape). */
	poll_fails_at = 2;
	rc = run(err, args);
	CHECK(rc == EXIT_RUNTIME && lines(err, "pmutrace: ") == 1,
	      "failed exporter mid-run: exit %d, %d error lines (want %d, 1)",
	      rc, lines(err, "pmutrace: "), EXIT_RUNTIME);
	poll_fails_at = 0;
}

/* Positive control: the same run without a failure ends with -d, exit 0,
 * and has reported intervals on the way. */
static void test_clean_run(const char *err)
{
	char *const args[] = { "pmutrace", "-d", "0.35", "-i", "0.1", NULL };
	int rc = run(err, args);

	CHECK(rc == 0 && lines(err, "pmutrace: ") == 0,
	      "clean run: exit %d, %d error lines", rc,
	      lines(err, "pmutrace: "));
	CHECK(lines(err, "--- ") >= 1, "no interval report in %d lines",
	      lines(err, NULL));
	CHECK(lines(err, "fake_target") >= 1, "intervals name no target");
}

/* The Tracing line says which targets are kprobes at inline sites, not
 * that everything runs on the other targets' kind. */
static void test_tracing_line(const char *err)
{
	char *const args[] = { "pmutrace", "-d", "0.05", NULL };
	int rc;

	fake_targets = 2;
	rc = run(err, args);
	CHECK(rc == 0 && lines(err, "Tracing 2 of 2 targets with ") == 1 &&
		      lines(err, " (1 at inline sites with kprobes): ") == 1,
	      "one of two targets inline: exit %d, the line is not there", rc);
	fake_targets = 1;
	rc = run(err, args);
	CHECK(rc == 0 && lines(err, "Tracing 1 of 1 targets with ") == 1 &&
		      lines(err, "inline sites") == 0,
	      "no inline target: exit %d, inline sites said anyway", rc);
}

/* Late wake-ups do not move the deadlines: the k-th is start + k periods. */
static void test_deadlines(void)
{
	__u64 start = 5 * NSEC_PER_SEC, period = NSEC_PER_SEC / 10;
	__u64 next = start + period;
	int bad = 0;

	srand(2);
	for (__u64 k = 1; k <= 10000; k++) {
		__u64 now = next + (__u64)rand() % (period * 9 / 10);

		next = next_deadline(start, period, now);
		bad += next != start + (k + 1) * period;
	}
	CHECK(bad == 0, "%d of 10000 deadlines drifted", bad);
	CHECK(next_deadline(start, period, start) == start + period &&
		      next_deadline(start, period, start + period) ==
			      start + 2 * period,
	      "a deadline met exactly is followed by the next one");
	CHECK(next_deadline(start, period, start + 35 * period / 10) ==
		      start + 4 * period,
	      "deadlines missed altogether are skipped, not caught up");
}

int main(void)
{
	char err[] = "/tmp/pmutrace-run-XXXXXX";
	int fd = mkstemp(err);

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		UNIT_EXIT();
	close(fd);
	test_deadlines();
	test_mid_run_failure(err);
	test_clean_run(err);
	test_tracing_line(err);
	unlink(err);
	UNIT_EXIT();
}
