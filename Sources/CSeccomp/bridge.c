#include "cseccomp.h"
#include <stdio.h>

void hk_seccomp_version(char *buf, unsigned long len) {
    const struct scmp_version *v = seccomp_version();
    snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
}
