// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-progs [-v]: print the type and name of every BPF program loaded in
 * the kernel, one per line (-v: and the instructions the verifier walked to
 * load it). The guest tests use it to prove that pmutrace left nothing
 * behind (bpftool is not in the initramfs).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	int verified = argc > 1 && !strcmp(argv[1], "-v");
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue; /* unloaded meanwhile */
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && verified)
			printf("%u %u %s %u\n", id, info.type, info.name,
			       info.verified_insns);
		else if (!verified)
			printf("%u %u %s\n", id, info.type, info.name);
		close(fd);
	}
	if (errno != ENOENT) {
		fprintf(stderr, "bpf-progs: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
