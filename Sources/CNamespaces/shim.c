#define _GNU_SOURCE
#include "cnamespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/memfd.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/magic.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <sys/personality.h>
#include <asm/unistd.h>

const int HK_CLONE_PARENT = CLONE_PARENT;
const int HK_PR_SET_DUMPABLE = PR_SET_DUMPABLE;
const unsigned int HK_OPEN_TREE_CLONE = OPEN_TREE_CLONE, HK_AT_RECURSIVE = AT_RECURSIVE, HK_AT_EMPTY_PATH = AT_EMPTY_PATH;
const unsigned int HK_MOVE_MOUNT_F_EMPTY_PATH = MOVE_MOUNT_F_EMPTY_PATH, HK_MOVE_MOUNT_T_EMPTY_PATH = MOVE_MOUNT_T_EMPTY_PATH;
const uint64_t HK_MOUNT_ATTR_RDONLY = MOUNT_ATTR_RDONLY;
const uint64_t HK_RESOLVE_BENEATH = RESOLVE_BENEATH, HK_RESOLVE_NO_XDEV = RESOLVE_NO_XDEV,
               HK_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const long HK_PROC_SUPER_MAGIC = PROC_SUPER_MAGIC;
// include/linux/proc_ns.h, not exported to user space: the root of every procfs.
const unsigned long HK_PROC_ROOT_INO = 1;
const long HK_SYSFS_MAGIC = SYSFS_MAGIC;
/* kernfs numbers its root 1, as procfs does. */
const unsigned long HK_SYSFS_ROOT_INO = 1;
const int HK_CLONE_NEWPID = CLONE_NEWPID, HK_CLONE_NEWNET = CLONE_NEWNET, HK_CLONE_NEWNS = CLONE_NEWNS,
          HK_CLONE_NEWIPC = CLONE_NEWIPC, HK_CLONE_NEWUTS = CLONE_NEWUTS, HK_CLONE_NEWUSER = CLONE_NEWUSER,
          HK_CLONE_NEWCGROUP = CLONE_NEWCGROUP, HK_CLONE_NEWTIME = CLONE_NEWTIME, HK_CLONE_FILES = CLONE_FILES;
const int HK_PR_SET_CHILD_SUBREAPER = PR_SET_CHILD_SUBREAPER, HK_PR_SET_PDEATHSIG = PR_SET_PDEATHSIG;
const unsigned int HK_CLOSE_RANGE_CLOEXEC = CLOSE_RANGE_CLOEXEC;
const uint64_t HK_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT, HK_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const unsigned long HK_MS_RDONLY = MS_RDONLY, HK_MS_NOSUID = MS_NOSUID, HK_MS_NODEV = MS_NODEV,
    HK_MS_NOEXEC = MS_NOEXEC, HK_MS_SYNCHRONOUS = MS_SYNCHRONOUS, HK_MS_REMOUNT = MS_REMOUNT,
    HK_MS_MANDLOCK = MS_MANDLOCK, HK_MS_DIRSYNC = MS_DIRSYNC, HK_MS_NOSYMFOLLOW = MS_NOSYMFOLLOW,
    HK_MS_NOATIME = MS_NOATIME, HK_MS_NODIRATIME = MS_NODIRATIME, HK_MS_BIND = MS_BIND, HK_MS_MOVE = MS_MOVE,
    HK_MS_REC = MS_REC, HK_MS_SILENT = MS_SILENT, HK_MS_UNBINDABLE = MS_UNBINDABLE, HK_MS_PRIVATE = MS_PRIVATE,
    HK_MS_SLAVE = MS_SLAVE, HK_MS_SHARED = MS_SHARED, HK_MS_RELATIME = MS_RELATIME,
    HK_MS_I_VERSION = MS_I_VERSION, HK_MS_STRICTATIME = MS_STRICTATIME, HK_MS_LAZYTIME = MS_LAZYTIME;
const uint64_t HK_MOUNT_ATTR_NOSUID = MOUNT_ATTR_NOSUID, HK_MOUNT_ATTR_NODEV = MOUNT_ATTR_NODEV,
    HK_MOUNT_ATTR_NOEXEC = MOUNT_ATTR_NOEXEC, HK_MOUNT_ATTR__ATIME = MOUNT_ATTR__ATIME,
    HK_MOUNT_ATTR_RELATIME = MOUNT_ATTR_RELATIME, HK_MOUNT_ATTR_NOATIME = MOUNT_ATTR_NOATIME,
    HK_MOUNT_ATTR_STRICTATIME = MOUNT_ATTR_STRICTATIME, HK_MOUNT_ATTR_NODIRATIME = MOUNT_ATTR_NODIRATIME,
    HK_MOUNT_ATTR_NOSYMFOLLOW = MOUNT_ATTR_NOSYMFOLLOW;
const int HK_MNT_DETACH = MNT_DETACH;
const uint32_t HK_SECCOMP_RET_KILL_THREAD = SECCOMP_RET_KILL_THREAD,
    HK_SECCOMP_RET_KILL_PROCESS = SECCOMP_RET_KILL_PROCESS, HK_SECCOMP_RET_TRAP = SECCOMP_RET_TRAP,
    HK_SECCOMP_RET_ERRNO = SECCOMP_RET_ERRNO, HK_SECCOMP_RET_USER_NOTIF = SECCOMP_RET_USER_NOTIF,
    HK_SECCOMP_RET_TRACE = SECCOMP_RET_TRACE, HK_SECCOMP_RET_LOG = SECCOMP_RET_LOG,
    HK_SECCOMP_RET_ALLOW = SECCOMP_RET_ALLOW;
const int HK_KEYCTL_JOIN_SESSION_KEYRING = KEYCTL_JOIN_SESSION_KEYRING, HK_KEYCTL_SETPERM = KEYCTL_SETPERM,
          HK_KEYCTL_DESCRIBE = KEYCTL_DESCRIBE;
const int HK_CAP_SYS_ADMIN = CAP_SYS_ADMIN, HK_CAP_SYS_RESOURCE = CAP_SYS_RESOURCE;
const uint32_t HK_SECCOMP_RET_ACTION_FULL = SECCOMP_RET_ACTION_FULL,
    HK_SECCOMP_FILTER_FLAG_TSYNC = SECCOMP_FILTER_FLAG_TSYNC, HK_SECCOMP_FILTER_FLAG_LOG = SECCOMP_FILTER_FLAG_LOG,
    HK_SECCOMP_FILTER_FLAG_SPEC_ALLOW = SECCOMP_FILTER_FLAG_SPEC_ALLOW,
    HK_SECCOMP_FILTER_FLAG_NEW_LISTENER = SECCOMP_FILTER_FLAG_NEW_LISTENER,
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    HK_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#else
    HK_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1U << 5;  // linux 6.0; older headers lack it
#endif
#if defined(__x86_64__)
const uint32_t HK_AUDIT_ARCH_NATIVE = AUDIT_ARCH_X86_64, HK_X32_SYSCALL_BIT = __X32_SYSCALL_BIT;
#elif defined(__aarch64__)
const uint32_t HK_AUDIT_ARCH_NATIVE = AUDIT_ARCH_AARCH64, HK_X32_SYSCALL_BIT = 0;
#else
const uint32_t HK_AUDIT_ARCH_NATIVE = 0, HK_X32_SYSCALL_BIT = 0;
#endif
const uint16_t HK_BPF_LD_W_ABS = BPF_LD | BPF_W | BPF_ABS, HK_BPF_JEQ_K = BPF_JMP | BPF_JEQ | BPF_K,
    HK_BPF_JGE_K = BPF_JMP | BPF_JGE | BPF_K, HK_BPF_JGT_K = BPF_JMP | BPF_JGT | BPF_K, HK_BPF_RET_K = BPF_RET | BPF_K;
const int HK_F_SEAL_SEAL = F_SEAL_SEAL, HK_F_SEAL_SHRINK = F_SEAL_SHRINK, HK_F_SEAL_GROW = F_SEAL_GROW,
    HK_F_SEAL_WRITE = F_SEAL_WRITE;
const int HK_F_GET_SEALS = F_GET_SEALS, HK_F_ADD_SEALS = F_ADD_SEALS;
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
const unsigned int HK_MFD_CLOEXEC = MFD_CLOEXEC, HK_MFD_ALLOW_SEALING = MFD_ALLOW_SEALING, HK_MFD_EXEC = MFD_EXEC;
const uint8_t HK_EBPF_LDX_MEM_W = BPF_LDX | BPF_MEM | BPF_W, HK_EBPF_ALU_AND_K = BPF_ALU | BPF_AND | BPF_K,
    HK_EBPF_ALU_RSH_K = BPF_ALU | BPF_RSH | BPF_K, HK_EBPF_ALU_MOV_X = BPF_ALU | BPF_MOV | BPF_X,
    HK_EBPF_ALU_MOV_K = BPF_ALU | BPF_MOV | BPF_K, HK_EBPF_JNE_K = BPF_JMP | BPF_JNE | BPF_K,
    HK_EBPF_JEQ_K = BPF_JMP | BPF_JEQ | BPF_K, HK_EBPF_EXIT = BPF_JMP | BPF_EXIT;
const int32_t HK_BPF_DEVCG_ACC_MKNOD = BPF_DEVCG_ACC_MKNOD, HK_BPF_DEVCG_ACC_READ = BPF_DEVCG_ACC_READ,
    HK_BPF_DEVCG_ACC_WRITE = BPF_DEVCG_ACC_WRITE, HK_BPF_DEVCG_DEV_BLOCK = BPF_DEVCG_DEV_BLOCK,
    HK_BPF_DEVCG_DEV_CHAR = BPF_DEVCG_DEV_CHAR;
// include/linux/key.h, not exported to user space (keyutils.h copies it): search permission for the key's user.
const uint32_t HK_KEY_USR_SEARCH = 0x00080000;
const unsigned long HK_PER_LINUX = PER_LINUX, HK_PER_LINUX32 = PER_LINUX32;
const uint64_t HK_MOUNT_ATTR_IDMAP = MOUNT_ATTR_IDMAP;

pid_t hk_clone(unsigned long flags) {
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

pid_t hk_clone_vm(int (*fn)(void *), void *arg) {
    // The child's stack: what runs there is a few calls deep (CloneInside's
    // helper); the pages it never touches cost nothing.
    const size_t size = 1 << 20;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    pid_t pid = clone(fn, (char *)stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
    int e = errno;
    // The child has exited by now (or exec'd): its stack is free.
    munmap(stack, size);
    errno = e;
    return pid;
}

pid_t hk_clone3(uint64_t flags, int cgroup_fd) {
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int hk_unshare(int flags) { return unshare(flags); }
int hk_setns(int fd, int nstype) { return setns(fd, nstype); }
int hk_ns_type(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
int hk_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}
int hk_sethostname(const char *name, size_t len) { return sethostname(name, len); }
int hk_setdomainname(const char *name, size_t len) { return setdomainname(name, len); }

int hk_mount(const char *source, const char *target, const char *fstype,
             unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data);
}
int hk_umount2(const char *target, int flags) { return umount2(target, flags); }
int hk_open_tree(int dirfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}
int hk_move_mount(int from_dirfd, const char *from_path, int to_dirfd,
                  const char *to_path, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}
int hk_mount_setattr(int dirfd, const char *path, unsigned int flags,
                     uint64_t attr_set, uint64_t attr_clr, uint64_t propagation, int userns_fd) {
    struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr = {attr_set, attr_clr, propagation, userns_fd < 0 ? 0 : (uint64_t)userns_fd};
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr));
}
int hk_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
int hk_mknodat(int dirfd, const char *path, mode_t mode, unsigned int major, unsigned int minor) {
    return mknodat(dirfd, path, mode, makedev(major, minor));
}

int hk_capset(const uint32_t e[2], const uint32_t p[2], const uint32_t i[2]) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    for (int k = 0; k < 2; k++) {
        d[k].effective = e[k];
        d[k].permitted = p[k];
        d[k].inheritable = i[k];
    }
    return (int)syscall(SYS_capset, &h, d);
}
int hk_capget(uint32_t e[2], uint32_t p[2], uint32_t i[2]) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    int r = (int)syscall(SYS_capget, &h, d);
    if (r == 0)
        for (int k = 0; k < 2; k++) {
            e[k] = d[k].effective;
            p[k] = d[k].permitted;
            i[k] = d[k].inheritable;
        }
    return r;
}
int hk_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}
long hk_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return syscall(SYS_keyctl, op, a2, a3, a4, a5);
}
// Raw syscalls: glibc's wrappers would signal other threads (there are none).
int hk_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int hk_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
int hk_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }
int hk_setrlimit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit r = {soft, hard};
    return setrlimit(resource, &r);
}
int hk_getrlimit(int resource, uint64_t *soft, uint64_t *hard) {
    struct rlimit r;
    int ret = getrlimit(resource, &r);
    if (ret == 0) {
        *soft = r.rlim_cur;
        *hard = r.rlim_max;
    }
    return ret;
}

int hk_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}
int hk_ioctl_int(int fd, unsigned long request, unsigned long arg) { return ioctl(fd, request, arg); }
int hk_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
int hk_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }
int hk_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}
int hk_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int hk_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int hk_send_fd(int sock, int fd, const char *payload, size_t len) {
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    char empty = 0;
    struct iovec iov = {.iov_base = len ? (void *)payload : &empty, .iov_len = len ? len : 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof(control)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t r;
    do r = sendmsg(sock, &msg, MSG_NOSIGNAL); while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : 0;
}
int hk_recv_fd(int sock, char *buf, size_t len) {
    int fd;
    if (hk_recv_msg_fd(sock, buf, len, &fd) < 0) return -1;
    if (fd < 0) errno = EBADMSG;
    return fd;
}
long hk_recv_msg_fd(int sock, char *buf, size_t len, int *fd) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof(control)};
    ssize_t r;
    do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
    *fd = -1;
    if (r < 0) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
    return (long)r;
}
int hk_open_pty(const char *ptmx, int *slave_number) {
    int fd = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    int unlock = 0;
    unsigned int n;
    if (ioctl(fd, TIOCSPTLCK, &unlock) < 0 || ioctl(fd, TIOCGPTN, &n) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *slave_number = (int)n;
    return fd;
}
int hk_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int hk_block_all_signals(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_BLOCK, &all, NULL);
}
int hk_unblock_all_signals(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_UNBLOCK, &all, NULL);
}
int hk_wait_signal(int *sender_pid) {
    sigset_t all;
    sigfillset(&all);
    siginfo_t info;
    int s;
    do s = sigwaitinfo(&all, &info); while (s < 0 && errno == EINTR);
    if (s > 0 && sender_pid) *sender_pid = info.si_pid;
    return s;
}
int hk_default_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
    return 0;
}

int hk_errno(void) { return errno; }
long hk_statfs_type(const char *path) {
    struct statfs s;
    return statfs(path, &s) == 0 ? (long)s.f_type : -1;
}
int hk_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int hk_connect_unix(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

// A datagram socket bound to, or connected to, the address whose sun_path
// is the len bytes at addr (a leading NUL names an abstract address).
static int hk_unix_dgram(const char *addr, size_t len, int do_bind) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof(sa.sun_path)) {
        errno = len ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    memcpy(sa.sun_path, addr, len);
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int r = do_bind ? bind(fd, (struct sockaddr *)&sa, salen) : connect(fd, (struct sockaddr *)&sa, salen);
    if (r < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}
int hk_bind_unix_dgram(const char *addr, size_t len) { return hk_unix_dgram(addr, len, 1); }
int hk_connect_unix_dgram(const char *addr, size_t len) { return hk_unix_dgram(addr, len, 0); }

static long hk_bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int hk_bpf_load_device_program(const uint64_t *insns, uint32_t count, char *log, uint32_t log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"Apache";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = log_size;
    attr.log_level = log_size > 0 ? 1 : 0;
    int fd = (int)hk_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0 && errno == ENOSPC) {
        // The log did not fit; load again without it for the real error.
        attr.log_buf = 0; attr.log_size = 0; attr.log_level = 0;
        fd = (int)hk_bpf(BPF_PROG_LOAD, &attr);
    }
    return fd;
}

int hk_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t max) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = max;
    if (hk_bpf(BPF_PROG_QUERY, &attr) < 0) return -1;
    return (int)attr.query.prog_cnt;
}

int hk_bpf_attach_device_program(int cgroup_fd, int prog_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = cgroup_fd;
    attr.attach_bpf_fd = prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return (int)hk_bpf(BPF_PROG_ATTACH, &attr);
}

int hk_bpf_detach_device_program_id(int cgroup_fd, uint32_t id) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    int prog = (int)hk_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (prog < 0) return -1;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = cgroup_fd;
    attr.attach_bpf_fd = prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    int r = (int)hk_bpf(BPF_PROG_DETACH, &attr);
    int e = errno;
    close(prog);
    errno = e;
    return r;
}

// Process settings that are one syscall each, without glibc wrappers.
int hk_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period) {
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } attr = {48, policy, flags, nice, priority, runtime, deadline, period};
    return (int)syscall(SYS_sched_setattr, pid, &attr, 0);
}

int hk_ioprio_set(pid_t pid, int ioprio) { return (int)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, pid, ioprio); }

int hk_sched_setaffinity(const unsigned char *mask, size_t len) {
    return sched_setaffinity(0, len, (const cpu_set_t *)mask);
}

/* No nodes is a NULL mask: the kernel decrements maxnode first, so a
 * non-NULL mask with maxnode 0 reads as a huge one and fails with EINVAL
 * (mm/mempolicy.c get_nodes), which MPOL_DEFAULT and MPOL_LOCAL hit. */
int hk_set_mempolicy(int mode, const unsigned char *mask, size_t len) {
    return (int)syscall(SYS_set_mempolicy, mode, len ? mask : NULL, len ? (unsigned long)(len * 8 + 1) : 0UL);
}

#include <sys/personality.h>
int hk_personality(unsigned long persona) { return personality(persona); }

unsigned int hk_major(dev_t dev) { return major(dev); }
unsigned int hk_minor(dev_t dev) { return minor(dev); }
long hk_copy_file_range(int from, int to, long len) {
    return (long)copy_file_range(from, NULL, to, NULL, (size_t)len, 0);
}
long hk_fs_type(int fd) {
    struct statfs s;
    return fstatfs(fd, &s) < 0 ? -1 : (long)s.f_type;
}

static int saved_argc;
static char **saved_argv;

// glibc calls ELF initializers with (argc, argv, envp), static binaries too.
__attribute__((constructor)) static void save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

int hk_argc(void) { return saved_argc; }
char **hk_argv(void) { return saved_argv; }

#include <linux/mount.h>
#include <sys/sendfile.h>
extern char **environ;

int hk_fsopen(const char *fs) { return (int)syscall(SYS_fsopen, fs, FSOPEN_CLOEXEC); }
int hk_fsconfig_string(int ctx, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, key, value, 0);
}
int hk_fsconfig_create(int ctx) { return (int)syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0); }
int hk_fsconfig_flag(int ctx, const char *key) {
    return (int)syscall(SYS_fsconfig, ctx, FSCONFIG_SET_FLAG, key, NULL, 0);
}
int hk_fsconfig_fd(int ctx, const char *key, int fd) {
    return (int)syscall(SYS_fsconfig, ctx, FSCONFIG_SET_FD, key, NULL, fd);
}
int hk_fsmount(int ctx, uint64_t attrs) { return (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC, (unsigned int)attrs); }
int hk_fsmount_readonly(int ctx) {
    return (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}
int hk_execveat(int fd, char *const argv[]) {
    return (int)syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}
long hk_sendfile(int to, int from, long len) { return (long)sendfile(to, from, NULL, (size_t)len); }

// Brings "lo" up in the calling process's network namespace, as runc and
// crun do for a new one: SIOCSIFFLAGS with IFF_UP on a datagram socket.
int hk_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

// The id of the mount `fd` is on (statx STATX_MNT_ID), read from the
// descriptor itself: /proc/self/fdinfo would be a lookup by name again.
long hk_mount_id(int fd) {
    struct statx st;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) != 0) return -1;
    if (!(st.stx_mask & STATX_MNT_ID)) { errno = ENOSYS; return -1; }
    return (long)st.stx_mnt_id;
}
