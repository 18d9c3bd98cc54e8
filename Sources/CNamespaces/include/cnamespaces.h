// Thin wrappers around Linux calls that Swift cannot reach directly: raw
// syscalls without glibc wrappers, variadic functions (prctl, ioctl) and
// macros (makedev, CMSG_*). Every function returns what the kernel returns
// (-1 with errno set on failure) and makes no decisions of its own.
#ifndef HAKO_CNAMESPACES_H
#define HAKO_CNAMESPACES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// Kernel constants Swift uses, defined in shim.c from the kernel's and the
// C library's headers, so that the compiler, not a typed-in number, vouches
// for them.
extern const int HK_CLONE_PARENT;
extern const int HK_PR_SET_DUMPABLE;
extern const unsigned int HK_OPEN_TREE_CLONE, HK_AT_RECURSIVE, HK_AT_EMPTY_PATH;
extern const unsigned int HK_MOVE_MOUNT_F_EMPTY_PATH, HK_MOVE_MOUNT_T_EMPTY_PATH;
extern const uint64_t HK_MOUNT_ATTR_RDONLY;
extern const uint64_t HK_RESOLVE_BENEATH, HK_RESOLVE_NO_XDEV, HK_RESOLVE_NO_MAGICLINKS;
extern const long HK_PROC_SUPER_MAGIC;
extern const unsigned long HK_PROC_ROOT_INO;
extern const long HK_SYSFS_MAGIC;
extern const unsigned long HK_SYSFS_ROOT_INO;
// Namespaces (linux/sched.h) and the clone flags hako uses.
extern const int HK_CLONE_NEWPID, HK_CLONE_NEWNET, HK_CLONE_NEWNS, HK_CLONE_NEWIPC, HK_CLONE_NEWUTS;
extern const int HK_CLONE_NEWUSER, HK_CLONE_NEWCGROUP, HK_CLONE_NEWTIME, HK_CLONE_FILES;
// prctl(2) options (linux/prctl.h).
extern const int HK_PR_SET_CHILD_SUBREAPER, HK_PR_SET_PDEATHSIG;
// Descriptors and paths.
extern const unsigned int HK_CLOSE_RANGE_CLOEXEC;
extern const uint64_t HK_RESOLVE_IN_ROOT, HK_RESOLVE_NO_SYMLINKS;
// mount(2) flags (sys/mount.h) and mount_setattr(2) attributes (linux/mount.h).
extern const unsigned long HK_MS_RDONLY, HK_MS_NOSUID, HK_MS_NODEV, HK_MS_NOEXEC, HK_MS_SYNCHRONOUS,
    HK_MS_REMOUNT, HK_MS_MANDLOCK, HK_MS_DIRSYNC, HK_MS_NOSYMFOLLOW, HK_MS_NOATIME, HK_MS_NODIRATIME,
    HK_MS_BIND, HK_MS_MOVE, HK_MS_REC, HK_MS_SILENT, HK_MS_UNBINDABLE, HK_MS_PRIVATE, HK_MS_SLAVE,
    HK_MS_SHARED, HK_MS_RELATIME, HK_MS_I_VERSION, HK_MS_STRICTATIME, HK_MS_LAZYTIME;
extern const uint64_t HK_MOUNT_ATTR_NOSUID, HK_MOUNT_ATTR_NODEV, HK_MOUNT_ATTR_NOEXEC, HK_MOUNT_ATTR__ATIME,
    HK_MOUNT_ATTR_RELATIME, HK_MOUNT_ATTR_NOATIME, HK_MOUNT_ATTR_STRICTATIME, HK_MOUNT_ATTR_NODIRATIME,
    HK_MOUNT_ATTR_NOSYMFOLLOW;
extern const int HK_MNT_DETACH;
// seccomp(2) return actions (linux/seccomp.h).
extern const uint32_t HK_SECCOMP_RET_KILL_THREAD, HK_SECCOMP_RET_KILL_PROCESS, HK_SECCOMP_RET_TRAP,
    HK_SECCOMP_RET_ERRNO, HK_SECCOMP_RET_USER_NOTIF, HK_SECCOMP_RET_TRACE, HK_SECCOMP_RET_LOG,
    HK_SECCOMP_RET_ALLOW;
extern const uint32_t HK_SECCOMP_RET_ACTION_FULL, HK_SECCOMP_FILTER_FLAG_TSYNC, HK_SECCOMP_FILTER_FLAG_LOG,
    HK_SECCOMP_FILTER_FLAG_SPEC_ALLOW, HK_SECCOMP_FILTER_FLAG_NEW_LISTENER, HK_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
// The audit architecture of this build's target, 0 if hako knows none (linux/audit.h).
extern const uint32_t HK_AUDIT_ARCH_NATIVE;
// x32's syscall numbers carry this bit (asm/unistd.h), 0 where there is no x32.
extern const uint32_t HK_X32_SYSCALL_BIT;
// Classic BPF opcodes (linux/filter.h).
extern const uint16_t HK_BPF_LD_W_ABS, HK_BPF_JEQ_K, HK_BPF_JGE_K, HK_BPF_JGT_K, HK_BPF_RET_K;
// memfd seals (linux/fcntl.h), key permissions (linux/keyctl.h), personalities (linux/personality.h).
extern const int HK_F_SEAL_SEAL, HK_F_SEAL_SHRINK, HK_F_SEAL_GROW, HK_F_SEAL_WRITE;
extern const int HK_F_GET_SEALS, HK_F_ADD_SEALS;
// memfd_create(2) flags (linux/memfd.h); MFD_EXEC is 6.3's, defined here for older headers.
extern const unsigned int HK_MFD_CLOEXEC, HK_MFD_ALLOW_SEALING, HK_MFD_EXEC;
// eBPF opcodes of the cgroup v2 device filter (linux/bpf.h, linux/bpf_common.h).
extern const uint8_t HK_EBPF_LDX_MEM_W, HK_EBPF_ALU_AND_K, HK_EBPF_ALU_RSH_K, HK_EBPF_ALU_MOV_X, HK_EBPF_ALU_MOV_K,
    HK_EBPF_JNE_K, HK_EBPF_JEQ_K, HK_EBPF_EXIT;
// struct bpf_cgroup_dev_ctx's access_type (linux/bpf.h).
extern const int32_t HK_BPF_DEVCG_ACC_MKNOD, HK_BPF_DEVCG_ACC_READ, HK_BPF_DEVCG_ACC_WRITE,
    HK_BPF_DEVCG_DEV_BLOCK, HK_BPF_DEVCG_DEV_CHAR;
extern const uint32_t HK_KEY_USR_SEARCH;
extern const unsigned long HK_PER_LINUX, HK_PER_LINUX32;
extern const uint64_t HK_MOUNT_ATTR_IDMAP;
// keyctl(2) operations (linux/keyctl.h).
extern const int HK_KEYCTL_JOIN_SESSION_KEYRING, HK_KEYCTL_SETPERM, HK_KEYCTL_DESCRIBE;
// Capabilities (linux/capability.h).
extern const int HK_CAP_SYS_ADMIN, HK_CAP_SYS_RESOURCE;

// Namespaces and process creation.
// clone(2) without a new stack: returns twice like fork(), 0 in the child.
pid_t hk_clone(unsigned long flags);
// clone3(2) with CLONE_INTO_CGROUP when cgroup_fd >= 0; -1/ENOSYS if absent.
pid_t hk_clone3(uint64_t flags, int cgroup_fd);
// fn(arg) in a child that shares this process's memory, on a stack of its
// own, while the caller waits until the child exits or execs (CLONE_VM |
// CLONE_VFORK, as posix_spawn does): nothing is copied, neither the page
// tables nor, afterwards, the pages written. fn must end in _exit.
pid_t hk_clone_vm(int (*fn)(void *), void *arg);
int hk_unshare(int flags);
int hk_setns(int fd, int nstype);
/// The CLONE_NEW* type of a namespace file (NS_GET_NSTYPE), or -1.
int hk_ns_type(int fd);
int hk_pivot_root(const char *new_root, const char *put_old);
int hk_sethostname(const char *name, size_t len);
int hk_setdomainname(const char *name, size_t len);
int hk_loopback_up(void);

// Mounts.
int hk_mount(const char *source, const char *target, const char *fstype,
             unsigned long flags, const char *data);
int hk_umount2(const char *target, int flags);
int hk_open_tree(int dirfd, const char *path, unsigned int flags);
int hk_move_mount(int from_dirfd, const char *from_path, int to_dirfd,
                  const char *to_path, unsigned int flags);
// userns_fd: the user namespace of MOUNT_ATTR_IDMAP, else ignored.
int hk_mount_setattr(int dirfd, const char *path, unsigned int flags,
                     uint64_t attr_set, uint64_t attr_clr, uint64_t propagation, int userns_fd);
// openat2(2) with the given RESOLVE_* flags.
int hk_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode,
               uint64_t resolve);
int hk_mknodat(int dirfd, const char *path, mode_t mode, unsigned int major,
               unsigned int minor);

// Credentials and capabilities.
int hk_capset(const uint32_t effective[2], const uint32_t permitted[2],
              const uint32_t inheritable[2]);
int hk_capget(uint32_t effective[2], uint32_t permitted[2],
              uint32_t inheritable[2]);
// keyctl(2): glibc has no wrapper (libkeyutils does).
long hk_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int hk_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4,
             unsigned long a5);
int hk_setresuid(uid_t r, uid_t e, uid_t s);
int hk_setresgid(gid_t r, gid_t e, gid_t s);
int hk_setgroups(size_t n, const gid_t *groups);
int hk_setrlimit(int resource, uint64_t soft, uint64_t hard);
int hk_getrlimit(int resource, uint64_t *soft, uint64_t *hard);

// File descriptors.
int hk_close_range(unsigned int first, unsigned int last, unsigned int flags);
int hk_ioctl_int(int fd, unsigned long request, unsigned long arg);
int hk_ioctl_ptr(int fd, unsigned long request, void *arg);
int hk_fcntl_int(int fd, int cmd, int arg);
int hk_memfd_create(const char *name, unsigned int flags);
int hk_pidfd_open(pid_t pid, unsigned int flags);
int hk_pidfd_send_signal(int pidfd, int sig);
// Sends fd over a unix socket with SCM_RIGHTS; `payload` travels as data.
int hk_send_fd(int sock, int fd, const char *payload, size_t len);
// Receives one fd; the data goes to buf. Returns the fd or -1.
int hk_recv_fd(int sock, char *buf, size_t len);
// One message of up to len bytes, and the descriptor sent with it (*fd, -1
// if none). Returns the message's length, 0 at end of file, -1 on error.
long hk_recv_msg_fd(int sock, char *buf, size_t len, int *fd);
// Opens a new pty master on `ptmx`, unlocks it and writes the slave's number.
int hk_open_pty(const char *ptmx, int *slave_number);
int hk_set_winsize(int fd, unsigned short rows, unsigned short cols);

// Signals: block or restore every signal, and wait for the next one.
int hk_block_all_signals(void);
int hk_unblock_all_signals(void);
int hk_wait_signal(int *sender_pid);
int hk_default_signal_handlers(void);

// The foreground terminal (terminal.c): every signal as a non-blocking
// descriptor (the signals must be blocked); the next pending signal's
// number, 0 if none; the window size of one terminal given to another.
int hk_signalfd_all(void);
int hk_signalfd_next(int fd);
int hk_copy_winsize(int from, int to);

// eBPF for the cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE
// program from raw instructions, list the ids attached to a cgroup, attach
// one (BPF_F_ALLOW_MULTI) and detach one by id.
int hk_bpf_load_device_program(const uint64_t *insns, uint32_t count, char *log, uint32_t log_size);
int hk_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t max);
int hk_bpf_attach_device_program(int cgroup_fd, int prog_fd);
int hk_bpf_detach_device_program_id(int cgroup_fd, uint32_t id);

// Misc. Swift's Glibc module is built without _GNU_SOURCE, so these
// Linux-only names come from here.
#define HK_O_PATH 010000000
long hk_statfs_type(const char *path);
int hk_pipe2(int fds[2], int flags);
int hk_errno(void);
int hk_connect_unix(const char *path);
// Unix datagram sockets (sd_notify): bound to or connected to the address
// whose sun_path is the len bytes at addr; a leading NUL is abstract.
int hk_bind_unix_dgram(const char *addr, size_t len);
int hk_connect_unix_dgram(const char *addr, size_t len);


// Process settings (ProcessSettings.swift). pid 0 is the caller; exec
// sets a process's scheduling from hako, before it may go on.
int hk_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period);
int hk_ioprio_set(pid_t pid, int ioprio);
/// `mask` is a CPU bitmap of `len` bytes (a multiple of 8).
int hk_sched_setaffinity(const unsigned char *mask, size_t len);
/// `mask` is a node bitmap of `len` bytes; len 0 means no nodes.
int hk_set_mempolicy(int mode, const unsigned char *mask, size_t len);
int hk_personality(unsigned long persona);
/// major(3) and minor(3), which are macros.
unsigned int hk_major(dev_t dev);
unsigned int hk_minor(dev_t dev);
// fstatfs(2)'s f_type of fd (a *_SUPER_MAGIC), or -1.
long hk_fs_type(int fd);
// The id of the mount the descriptor is on (statx STATX_MNT_ID), or -1.
long hk_mount_id(int fd);
// copy_file_range(2) from the current offsets, up to len bytes.
long hk_copy_file_range(int from, int to, long len);

// The process's argv, as glibc hands it to initializers: the same strings
// CommandLine.arguments copies, without that getter's one-time setup code.
int hk_argc(void);
char **hk_argv(void);

// The executable seal (ExecutableSeal.swift): the new mount API, to build a
// private read-only overlayfs, and execveat(2), to run a file by descriptor.
int hk_fsopen(const char *fs);
int hk_fsconfig_string(int ctx, const char *key, const char *value);
int hk_fsconfig_create(int ctx);
/// A detached mount of the context, read-only, nosuid and nodev.
int hk_fsmount_readonly(int ctx);
/// An option without a value ("ro"-like), for a procfs made by descriptor (PodInit.swift).
int hk_fsconfig_flag(int ctx, const char *key);
/// An option whose value is a descriptor: procfs's "pidns" (PodInit.swift).
int hk_fsconfig_fd(int ctx, const char *key, int fd);
/// A detached mount of the context with MOUNT_ATTR_* `attrs`.
int hk_fsmount(int ctx, uint64_t attrs);
int hk_execveat(int fd, char *const argv[]);
/// sendfile(2) of up to len bytes from the current offset of `from`.
long hk_sendfile(int to, int from, long len);

#endif
