// trace FUNCS -- CMD ARGS...: runs CMD under ptrace and prints, in the order
// they first run, the functions of CMD's executable that CMD and every
// process it clones execute before they exec something else or exit.
//
// FUNCS lists "ADDRESS NAME" lines (nm -n output filtered to text symbols).
// Every function's first byte becomes an int3 in the tracee's memory; a
// function's first call traps once, is written down, gets its byte back and
// goes on. So a whole `hako run` costs a few thousand traps instead of the
// millions of stops single-stepping would take.
//
// Output lines are "PROCESS NAME": PROCESS is 0 for CMD itself and 1, 2, ...
// for its clones in the order they appear. scripts/hot-functions/order turns
// this into the linker's symbol ordering file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

struct function { uint64_t address; char *name; unsigned char original; };
static struct function *functions;
static size_t nfunctions;

static int by_address(const void *a, const void *b) {
    uint64_t x = ((const struct function *)a)->address, y = ((const struct function *)b)->address;
    return x < y ? -1 : x > y;
}

static struct function *lookup(uint64_t address) {
    struct function key = { .address = address };
    return bsearch(&key, functions, nfunctions, sizeof key, by_address);
}

// Tracees in the order they appeared; the index is the PROCESS column.
struct tracee { pid_t pid; int index; int done; };  // done: exec'd, exited or let go
static struct tracee tracees[256];
static int ntracees;

static struct tracee *tracee(pid_t pid) {
    for (int i = 0; i < ntracees; i++)
        if (tracees[i].pid == pid) return &tracees[i];
    if (ntracees == 256) { fprintf(stderr, "trace: too many processes\n"); exit(1); }
    tracees[ntracees] = (struct tracee){ .pid = pid, .index = ntracees };
    return &tracees[ntracees++];
}

static int memory(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror(path); exit(1); }
    return fd;
}

// Puts an int3 on every function's first byte, keeping the original.
static void arm(pid_t pid) {
    int fd = memory(pid);
    unsigned char trap = 0xcc;
    for (size_t i = 0; i < nfunctions; i++) {
        if (pread(fd, &functions[i].original, 1, (off_t)functions[i].address) != 1 ||
            pwrite(fd, &trap, 1, (off_t)functions[i].address) != 1) {
            fprintf(stderr, "trace: cannot patch %s at %#lx: %s\n", functions[i].name,
                    (unsigned long)functions[i].address, strerror(errno));
            exit(1);
        }
    }
    close(fd);
}

// Gives every function its first byte back, so a process can run on untraced.
static void disarm(pid_t pid) {
    int fd = memory(pid);
    for (size_t i = 0; i < nfunctions; i++) {
        if (pwrite(fd, &functions[i].original, 1, (off_t)functions[i].address) != 1) {
            fprintf(stderr, "trace: cannot patch %s at %#lx: %s\n", functions[i].name,
                    (unsigned long)functions[i].address, strerror(errno));
            exit(1);
        }
    }
    close(fd);
}

// CMD has exited but a clone of it lives on without having exec'd: `create`
// leaves the container's init waiting for `start`. Stop it, take the traps
// out and let it go, so that it can still be started.
static void release(struct tracee *t) {
    int status;
    kill(t->pid, SIGSTOP);
    for (;;) {
        if (waitpid(t->pid, &status, __WALL) < 0) { t->done = 1; return; }
        if (WIFEXITED(status) || WIFSIGNALED(status)) { t->done = 1; return; }
        if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP && (status >> 16) == 0) break;
        if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP) {  // on a breakpoint: back to its start
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, t->pid, 0, &regs);
            if (lookup(regs.rip - 1)) { regs.rip -= 1; ptrace(PTRACE_SETREGS, t->pid, 0, &regs); }
        }
        ptrace(PTRACE_CONT, t->pid, 0, 0);  // our SIGSTOP comes before it runs again
    }
    disarm(t->pid);
    ptrace(PTRACE_DETACH, t->pid, 0, 0);
    t->done = 1;
}

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(1); }
    size_t cap = 0;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char name[8000];
        unsigned long address;
        if (sscanf(line, "%lx %7999s", &address, name) != 2) continue;
        if (nfunctions == cap) {
            cap = cap ? cap * 2 : 4096;
            functions = realloc(functions, cap * sizeof *functions);
        }
        functions[nfunctions++] = (struct function){ address, strdup(name), 0 };
    }
    fclose(f);
    qsort(functions, nfunctions, sizeof *functions, by_address);
    // Aliases share an address: keep one breakpoint, the first name.
    size_t j = 0;
    for (size_t i = 0; i < nfunctions; i++)
        if (j == 0 || functions[i].address != functions[j - 1].address) functions[j++] = functions[i];
    nfunctions = j;
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: trace FUNCS -- CMD ARGS...\n");
        return 2;
    }
    load(argv[1]);
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    ptrace(PTRACE_SETOPTIONS, child, 0,
           PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC);
    tracee(child);
    int armed = 0, exitcode = 0;
    ptrace(PTRACE_CONT, child, 0, 0);
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) break;
        struct tracee *t = tracee(pid);
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            t->done = 1;
            if (pid == child) {
                exitcode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                for (int i = 0; i < ntracees; i++)
                    if (!tracees[i].done) release(&tracees[i]);
                break;
            }
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status), event = status >> 16, deliver = 0;
        if (event == PTRACE_EVENT_EXEC) {
            if (pid == child && !armed) { arm(pid); armed = 1; }
            else { t->done = 1; ptrace(PTRACE_DETACH, pid, 0, 0); continue; }  // a container's own program
        } else if (event) {
            // clone/fork/vfork: the new tracee reports itself separately
        } else if (sig == SIGTRAP) {
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, pid, 0, &regs);
            struct function *f = lookup(regs.rip - 1);
            if (f) {
                int fd = memory(pid);
                if (pwrite(fd, &f->original, 1, (off_t)f->address) != 1) { perror("trace: restore"); exit(1); }
                close(fd);
                regs.rip -= 1;
                ptrace(PTRACE_SETREGS, pid, 0, &regs);
                printf("%d %s\n", t->index, f->name);
            } else {
                deliver = sig;
            }
        } else if (sig != SIGSTOP) {
            deliver = sig;
        }
        ptrace(PTRACE_CONT, pid, 0, deliver);
    }
    return exitcode;
}
