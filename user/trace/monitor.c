// SPDX-License-Identifier: GPL-2.0
/*
 * The file monitor: privilege separation for -o and --textfile, as sshd's.
 * Forked before anything is loaded or listened on, it keeps the uid it was
 * started with and of its capabilities only CAP_DAC_OVERRIDE, so the files
 * land wherever root could put them, while the worker (the tracer and its
 * exporter) keeps CAP_BPF only, as an unprivileged user.
 *
 * It knows the output paths from start-up and takes only a slot number:
 * OPEN makes a fresh temporary in the target's directory (atomic_file.c:
 * mode and sticky-directory rules) and passes its descriptor back
 * (SCM_RIGHTS); the worker writes into it; COMMIT syncs and renames, ABORT
 * discards. At the worker's end, SIGKILL included, the socket reads EOF:
 * the monitor discards what is open (an unnamed O_TMPFILE leaves nothing)
 * and exits. It ignores the terminal's signals so it cannot die first.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "atomic_file.h"
#include "pmutrace_user.h"

static int mon_sock = -1;
static pid_t mon_pid = -1;
static const char *const *mon_paths;
static int mon_npaths;
/* The main thread's -o and the exporter's --textfile share the socket. */
static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;

static int send_reply(int sock, int32_t err, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* One request: a slot within the start-up list, never a path. */
static int32_t serve(const struct monitor_req *q, struct atomic_file *files,
		     bool *open, int *fd)
{
	struct atomic_file *a = &files[q->slot];
	int32_t err;

	if (q->op == MONITOR_OPEN) {
		if (open[q->slot])
			atomic_file_close(a, false);
		err = atomic_file_open(a, mon_paths[q->slot]);
		open[q->slot] = !err;
		if (!err)
			*fd = fileno(a->f);
		return err;
	}
	if ((q->op != MONITOR_COMMIT && q->op != MONITOR_ABORT) ||
	    !open[q->slot])
		return -EBADF;
	open[q->slot] = false;
	return atomic_file_close(a, q->op == MONITOR_COMMIT);
}

static void __attribute__((noreturn)) monitor_main(int sock)
{
	struct atomic_file files[MONITOR_SLOTS];
	bool open[MONITOR_SLOTS] = { false };
	struct monitor_req q;
	char buf[sizeof(q) + 1];
	ssize_t len;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing of the worker's: only stderr and the socket stay open. */
	for (int fd = 0; fd < sock; fd++)
		if (fd != STDERR_FILENO)
			close(fd);
	close_range(sock + 1, ~0U, 0);
	drop_privileges_monitor();
	/* Ready: monitor_start returns only once the monitor has dropped. */
	if (send_reply(sock, 0, -1))
		_exit(1);
	/* recv, not recvmsg: descriptors the worker sends are discarded. */
	while ((len = recv(sock, buf, sizeof(buf), 0)) > 0) {
		int32_t err = -EINVAL;
		int fd = -1;

		memcpy(&q, buf, sizeof(q));
		if (len == sizeof(q) && q.slot < (__u32)mon_npaths &&
		    mon_paths[q.slot])
			err = serve(&q, files, open, &fd);
		if (send_reply(sock, err, fd))
			break;
	}
	for (int i = 0; i < mon_npaths; i++)
		if (open[i])
			atomic_file_close(&files[i], false);
	_exit(0);
}

/* A request and its answer; OPEN's descriptor in *fd. */
static int ask(__u32 op, int slot, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct monitor_req q = { .op = op, .slot = slot };
	int32_t err = -EIO;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t len;

	pthread_mutex_lock(&mon_lock);
	if (send(mon_sock, &q, sizeof(q), MSG_NOSIGNAL) != sizeof(q))
		len = -1;
	else
		len = recvmsg(mon_sock, &m, MSG_CMSG_CLOEXEC);
	if (len < 0)
		err = -errno;
	pthread_mutex_unlock(&mon_lock);
	if (len < 0)
		return err;
	if (len != sizeof(err))
		return -EPIPE; /* the monitor has gone */
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_type == SCM_RIGHTS && fd)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return err;
}

static int monitor_open(struct atomic_file *a, const char *path)
{
	int slot, fd = -1, err;

	for (slot = 0; slot < mon_npaths; slot++)
		if (mon_paths[slot] && !strcmp(mon_paths[slot], path))
			break;
	if (slot == mon_npaths)
		return -EPERM; /* not an output named at start-up */
	err = ask(MONITOR_OPEN, slot, &fd);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
		err = fd < 0 ? -EPROTO : -errno;
		if (fd >= 0)
			close(fd);
		ask(MONITOR_ABORT, slot, NULL);
		return err;
	}
	a->slot = slot;
	return 0;
}

/* The data is written here; the monitor syncs and renames. */
static int monitor_close(struct atomic_file *a, bool commit)
{
	int err = 0, ret;

	errno = 0;
	if (commit && (fflush(a->f) || ferror(a->f)))
		err = errno ? -errno : -EIO;
	if (fclose(a->f) && !err && commit)
		err = -errno;
	a->f = NULL;
	commit = commit && !err;
	ret = ask(commit ? MONITOR_COMMIT : MONITOR_ABORT, a->slot, NULL);
	a->slot = -1;
	return err ? err : ret;
}

static const struct atomic_file_broker broker = {
	.open = monitor_open,
	.close = monitor_close,
};

/*
 * Forks the monitor for paths (up to MONITOR_SLOTS, NULLs allowed), which
 * must stay unchanged until monitor_stop(). From then on, atomic_file
 * opens only these, through it.
 */
int monitor_start(const char *const *paths, int n)
{
	int32_t ready;
	int sv[2];

	if (n > MONITOR_SLOTS)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	mon_paths = paths;
	mon_npaths = n;
	fflush(NULL); /* nothing buffered is written twice */
	mon_pid = fork();
	if (mon_pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (mon_pid == 0) {
		close(sv[0]);
		monitor_main(sv[1]);
	}
	close(sv[1]);
	mon_sock = sv[0];
	if (recv(mon_sock, &ready, sizeof(ready), 0) != sizeof(ready)) {
		monitor_stop();
		return -EPIPE;
	}
	atomic_file_broker = &broker;
	return 0;
}

/* EOF for the monitor, which discards what is still open and exits. */
void monitor_stop(void)
{
	if (mon_pid <= 0)
		return;
	atomic_file_broker = NULL;
	close(mon_sock);
	mon_sock = -1;
	waitpid(mon_pid, NULL, 0);
	mon_pid = -1;
}

pid_t monitor_pid(void)
{
	return mon_pid;
}

/* Tests: the socket, to send what the worker's code never does. */
int monitor_socket(void)
{
	return mon_sock;
}
