// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the pod attribution parsers (user/k8s.c): a cgroup path, the
 * text of /proc/PID/cgroup, a log link's name, a pod directory's name and Docker's
 * config.v2.json, all shaped by whoever runs a container. The first byte picks the
 * parser; the rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_cgroup_ref ref;
	struct k8s_log_name ln;
	char ns[K8S_NS_LEN], pod[K8S_POD_LEN], uid[K8S_UID_LEN], name[64];
	char *s;

	if (size < 1)
		return 0;
	/* the parsers of names take NUL-terminated strings, as readdir gives them */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		k8s_parse_cgroup_path(s, &ref);
		break;
	case 1: /* a length-bounded text: no terminator read */
		k8s_parse_proc_cgroup((const char *)data + 1, size - 1, &ref);
		break;
	case 2:
		k8s_parse_log_name(s, &ln);
		break;
	case 3:
		k8s_parse_pod_dir(s, ns, pod, uid);
		break;
	case 4:
		k8s_parse_docker_name((const char *)data + 1, size - 1, name, sizeof(name));
		break;
	}
	free(s);
	return 0;
}
