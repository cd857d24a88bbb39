/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run a command and report the CPU it used, from the kernel's accounting of
 * the child (wait4 rusage, microsecond resolution), on stderr as
 * "cpu-run: user SECONDS sys SECONDS status N".
 * Usage: cpu-run COMMAND [ARGS...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct rusage ru;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: cpu-run COMMAND [ARGS...]\n");
		return 2;
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "cpu-run: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (wait4(child, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 1;
	fprintf(stderr, "cpu-run: user %ld.%06ld sys %ld.%06ld status %d\n",
		(long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
