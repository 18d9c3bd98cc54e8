/* pause: the sandbox process of a CRI pod in hako's tests (the image
 * containerd is told to use as sandbox_image). It holds the pod's
 * namespaces open by living: it sleeps until SIGTERM or SIGINT, which end
 * it with status 0 (StopPodSandbox sends SIGTERM first, then SIGKILL), and
 * reaps any child handed to it as pid 1 of a shared pid namespace.
 * Built statically with gcc so the image needs nothing else. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
    (void)sig;
    while (waitpid(-1, 0, WNOHANG) > 0) {}
}

int main(void) {
    struct sigaction act = {0};
    act.sa_handler = stop;
    sigaction(SIGTERM, &act, 0);
    sigaction(SIGINT, &act, 0);
    act.sa_handler = reap;
    act.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &act, 0);
    for (;;) pause();
}
