// Bridge to libseccomp. The seccomp issue grows this into the full filter
// compiler; for now it exposes the library version so the link is real.
#ifndef HAKO_CSECCOMP_H
#define HAKO_CSECCOMP_H
#include <seccomp.h>

// Returns "major.minor.micro" of the linked libseccomp in buf.
void hk_seccomp_version(char *buf, unsigned long len);

#endif
