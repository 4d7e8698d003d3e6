// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for --web-config's parser (user/export/webconfig.c):
 * any YAML, through libyaml and the strict checks after it. A refusal
 * must say why in one terminated line; an accepted config must hold only
 * what the parser promises (bounded users with bcrypt hashes of a cost up
 * to the cap, TLS with both files).
 *
 *   make fuzz-webconfig [FUZZ_SECONDS=60]      (see tests/fuzz/README.md)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct web_config c;
	char err[256];
	int ret;

	memset(err, 'x', sizeof(err));
	ret = web_config_parse((const char *)data, size, "/etc/pmutrace", &c,
			       err, sizeof(err));
	if (ret) {
		if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n') ||
		    !err[0])
			abort();
		return 0;
	}
	if (c.nusers < 0 || c.nusers > WEB_MAX_USERS ||
	    (c.nusers && (c.max_cost < 4 || c.max_cost > WEB_BCRYPT_COST_MAX)) ||
	    (c.tls && (!c.cert_file[0] || !c.key_file[0])) ||
	    (!c.tls && !c.nusers))
		abort();
	for (int i = 0; i < c.nusers; i++)
		if (strlen(c.users[i].hash) != 60 || !c.users[i].name[0] ||
		    strchr(c.users[i].name, ':'))
			abort();
	return 0;
}
