// Stands for the host: it lies outside every container's rootfs, so a
// container process that manages to run it has walked out (CVE-2024-21626).
#include <unistd.h>

int main(void) {
    static const char msg[] = "ESCAPED\n";
    return write(1, msg, sizeof msg - 1) == sizeof msg - 1 ? 0 : 1;
}
