/* sandbox.c - see sandbox.h */
#define _GNU_SOURCE /* memfd_create, O_PATH, syscall */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>

#include "proc/sandbox.h"
#include "banned.h"

/*
 * Landlock, from the kernel's ABI (linux/landlock.h of bookworm stops at
 * ABI 3: the later fields and bits are spelled out here).
 */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};
struct ll_path_beneath {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));
#define LL_SYS_CREATE 444
#define LL_SYS_ADD_RULE 445
#define LL_SYS_RESTRICT 446
#define LL_CREATE_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* execute .. make_sym */
#define LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_MAX_ABI 6 /* what this file knows how to use */

#define LL_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_FILE_READ LL_FS_READ_FILE

/* What a run may read without bwrap: its libraries, /etc, its own /proc. */
static const struct {
    const char *path;
    uint64_t access;
} ll_roots[] = {
    {"/usr", LL_READ | LL_FS_EXECUTE},
    {"/etc", LL_READ},
    /* /proc/PID/mem and environ of others: ptrace access, which Landlock
       refuses outside the run's domain */
    {"/proc", LL_READ},
    {"/dev/null", LL_FS_READ_FILE | LL_FS_WRITE_FILE},
    {"/dev/urandom", LL_FILE_READ},
    {"/dev/random", LL_FILE_READ},
    {"/dev/zero", LL_FILE_READ},
};
#define N_LL_ROOTS (sizeof(ll_roots) / sizeof(ll_roots[0]))

/*
 * bwrap's fixed arguments: nothing of ours but /usr, the few files of /etc
 * that tshark reads (libraries, user names, the zone, its global config), a
 * private /proc and /dev, everything read-only.
 */
/* clang-format off */
static const char *const bwrap_args[] = {
    "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64",
    "--symlink", "usr/bin", "/bin",
    "--symlink", "usr/sbin", "/sbin",
    "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
    "--ro-bind-try", "/etc/localtime", "/etc/localtime",
    "--ro-bind-try", "/etc/nsswitch.conf", "/etc/nsswitch.conf",
    "--ro-bind-try", "/etc/passwd", "/etc/passwd",
    "--ro-bind-try", "/etc/group", "/etc/group",
    "--ro-bind-try", "/etc/wireshark", "/etc/wireshark",
    "--proc", "/proc",
    "--dev", "/dev",
};
/* clang-format on */
#define N_BWRAP_ARGS (sizeof(bwrap_args) / sizeof(bwrap_args[0]))

/* refused with EPERM: other processes, the kernel, namespaces, mounts */
/* clang-format off */
static const char *const denied_syscalls[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init", "lookup_dcookie",
    "move_pages", "migrate_pages", "mbind", "set_mempolicy",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "personality", "vhangup", "uselib", "sysfs", "_sysctl", "nfsservctl",
};
/* clang-format on */
#define N_DENIED (sizeof(denied_syscalls) / sizeof(denied_syscalls[0]))

static const unsigned long ns_flags[] = {CLONE_NEWUSER,  CLONE_NEWNS,  CLONE_NEWPID,
                                         CLONE_NEWNET,   CLONE_NEWIPC, CLONE_NEWUTS,
                                         CLONE_NEWCGROUP};
#define N_NS_FLAGS (sizeof(ns_flags) / sizeof(ns_flags[0]))

static void close_fd(int *fd) {
    if (*fd != -1) {
        close(*fd);
        *fd = -1;
    }
}

/* Append "what: why" to sb->why, "; "-separated, silently cut at its size. */
static void note(struct sandbox *sb, const char *what, const char *why) {
    size_t len = strlen(sb->why);
    int n;

    if (len + 3 >= sizeof(sb->why))
        return;
    if (len > 0) {
        memcpy(sb->why + len, "; ", 3);
        len += 2;
    }
    n = snprintf(sb->why + len, sizeof(sb->why) - len, "%s: %s", what, why);
    (void)n; /* a cut message is still a message */
}

/* The seccomp program into sb->bpf and a sealed memfd sb->bpf_fd. 0 or -1 (errno). */
static int build_seccomp(struct sandbox *sb) {
    scmp_filter_ctx ctx = NULL;
    struct stat st;
    size_t i;
    int fd = -1, e = 0;

    if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
        return -1;
    for (i = 0; i < N_DENIED; i++) {
        int nr = seccomp_syscall_resolve_name(denied_syscalls[i]);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not on this architecture */
        if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
            goto fail;
    }
    /* the network: no socket but AF_UNIX (tshark asks nscd over one) */
    if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX))) < 0)
        goto fail;
    /* clone3's flags are behind a pointer: glibc falls back to clone on ENOSYS */
    if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
        goto fail;
    for (i = 0; i < N_NS_FLAGS; i++)
        if ((e = seccomp_rule_add(
                 ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                 SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) < 0)
            goto fail;
    /* typing into the server's terminal */
    if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCSTI))) < 0 ||
        (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCLINUX))) < 0)
        goto fail;
    if ((fd = memfd_create("pcapchart-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
        goto fail_errno;
    if ((e = seccomp_export_bpf(ctx, fd)) < 0)
        goto fail;
    if (fstat(fd, &st) == -1)
        goto fail_errno;
    if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0) {
        errno = EINVAL;
        goto fail_errno;
    }
    sb->bpf_len = (size_t)st.st_size;
    if ((sb->bpf = malloc(sb->bpf_len)) == NULL ||
        pread(fd, sb->bpf, sb->bpf_len, 0) != (ssize_t)sb->bpf_len)
        goto fail_errno;
    /* nobody may change it now, not even a child holding a writable copy */
    if (fcntl(fd, F_ADD_SEALS,
              F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == -1)
        goto fail_errno;
    if (fd <= STDERR_FILENO) { /* above stdio: the child's dup2()s must not hit it */
        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (nfd == -1)
            goto fail_errno;
        close(fd);
        fd = nfd;
    }
    sb->bpf_fd = fd;
    snprintf(sb->bpf_fd_str, sizeof(sb->bpf_fd_str), "%d", fd);
    snprintf(sb->bpf_reopen, sizeof(sb->bpf_reopen), "/proc/self/fd/%d", fd);
    seccomp_release(ctx);
    return 0;
fail:
    errno = -e;
fail_errno:
    e = errno;
    seccomp_release(ctx);
    close_fd(&fd);
    free(sb->bpf);
    sb->bpf = NULL;
    sb->bpf_len = 0;
    errno = e;
    return -1;
}

/* Landlock's ABI here, 0 when it is missing or refused (a container's filter). */
static int landlock_abi(void) {
    long abi = syscall(LL_SYS_CREATE, NULL, (size_t)0, LL_CREATE_VERSION);

    return abi < 0 ? 0 : abi > LL_MAX_ABI ? LL_MAX_ABI : (int)abi;
}

/* Call fn(ctx, real uid, threads) for every process now. */
static void each_process(void (*fn)(void *, unsigned long, unsigned long), void *ctx) {
    DIR *d = opendir("/proc");
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[64], line[128];
        unsigned long ruid = 0, threads = 0;
        int have_uid = 0;
        FILE *f;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%.20s/status", de->d_name);
        if ((f = fopen(path, "re")) == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            if (strncmp(line, "Uid:", 4) == 0)
                have_uid = sscanf(line + 4, "%lu", &ruid) == 1;
            else if (strncmp(line, "Threads:", 8) == 0)
                sscanf(line + 8, "%lu", &threads);
        }
        fclose(f);
        if (have_uid)
            fn(ctx, ruid, threads > 0 ? threads : 1);
    }
    closedir(d);
}

struct task_count {
    unsigned long uid;
    uint64_t n;
};

static void add_tasks(void *ctx, unsigned long ruid, unsigned long threads) {
    struct task_count *tc = ctx;

    if (ruid == tc->uid)
        tc->n += threads;
}

/* Tasks (threads included) whose real uid is uid, now: RLIMIT_NPROC counts them. */
static uint64_t count_tasks(uid_t uid) {
    struct task_count tc = {(unsigned long)uid, 0};

    each_process(add_tasks, &tc);
    return tc.n;
}

/*
 * The users of a sandbox: n uids from first, each either free or given to
 * one child. next: where the search for a free one starts (round robin, so
 * a user just given back is the last to be taken again).
 */
struct sandbox_users {
    pthread_mutex_t mu;
    uid_t first;
    int n;
    int next;
    unsigned char busy[];
};

/* uids of processes seen within [lo, hi), at most max of them */
struct used_uids {
    unsigned long lo, hi;
    unsigned long uid[64];
    size_t n;
};

static void note_used(void *ctx, unsigned long ruid, unsigned long threads) {
    struct used_uids *u = ctx;

    (void)threads;
    if (ruid >= u->lo && ruid < u->hi && u->n < sizeof(u->uid) / sizeof(u->uid[0]))
        u->uid[u->n++] = ruid;
}

/*
 * n users no process runs as, in [base, base + SANDBOX_USERS_SPAN): a window
 * that starts at a place of our pid's (two servers on one machine do not
 * search from the same place) and moves on past any uid in use. NULL with
 * errno when memory fails or every window tried is in use.
 */
static struct sandbox_users *users_new(uid_t base, int n) {
    struct used_uids used = {base, (unsigned long)base + SANDBOX_USERS_SPAN, {0}, 0};
    unsigned long span = SANDBOX_USERS_SPAN / (unsigned long)n, w, tries;
    struct sandbox_users *u;

    if (n <= 0 || (unsigned long)n > SANDBOX_USERS_SPAN / 64) {
        errno = EINVAL;
        return NULL;
    }
    each_process(note_used, &used);
    for (w = (unsigned long)getpid() % span, tries = 0; tries < 64;
         tries++, w = (w + 1) % span) {
        unsigned long lo = base + w * (unsigned long)n, hi = lo + (unsigned long)n;
        size_t i;

        for (i = 0; i < used.n && (used.uid[i] < lo || used.uid[i] >= hi); i++)
            ;
        if (i < used.n)
            continue;
        if ((u = calloc(1, sizeof(*u) + (size_t)n)) == NULL)
            return NULL;
        if (pthread_mutex_init(&u->mu, NULL) != 0) {
            free(u);
            errno = ENOMEM;
            return NULL;
        }
        u->first = (uid_t)lo;
        u->n = n;
        return u;
    }
    errno = EBUSY;
    return NULL;
}

int sandbox_user_take(const struct sandbox *sb, uid_t *uid, gid_t *gid) {
    struct sandbox_users *u;
    int i, k;

    if (sb == NULL || (u = sb->users) == NULL)
        return 0;
    pthread_mutex_lock(&u->mu);
    for (i = 0; i < u->n; i++) {
        k = (u->next + i) % u->n;
        if (!u->busy[k]) {
            u->busy[k] = 1;
            u->next = (k + 1) % u->n;
            pthread_mutex_unlock(&u->mu);
            *uid = u->first + (uid_t)k;
            *gid = (gid_t)*uid;
            return 1;
        }
    }
    pthread_mutex_unlock(&u->mu);
    errno = EAGAIN;
    return -1;
}

void sandbox_user_put(const struct sandbox *sb, uid_t uid) {
    struct sandbox_users *u;

    if (sb == NULL || (u = sb->users) == NULL || uid < u->first ||
        uid - u->first >= (uid_t)u->n)
        return;
    pthread_mutex_lock(&u->mu);
    u->busy[uid - u->first] = 0;
    pthread_mutex_unlock(&u->mu);
}

/* Find prog in PATH (no '/' in it) into out. 0 or -1. */
static int find_in_path(const char *prog, char *out, size_t outsz) {
    const char *path = getenv("PATH");
    const char *p, *end;

    if (strchr(prog, '/') != NULL) {
        int n = snprintf(out, outsz, "%s", prog);
        return n < 0 || (size_t)n >= outsz || access(out, X_OK) != 0 ? -1 : 0;
    }
    if (path == NULL || *path == '\0')
        path = "/usr/bin:/bin";
    for (p = path;; p = end + 1) {
        int n;

        end = strchr(p, ':');
        if (end == NULL)
            end = p + strlen(p);
        n = snprintf(out, outsz, "%.*s/%s", (int)(end - p), p, prog);
        if (end > p && n > 0 && (size_t)n < outsz && access(out, X_OK) == 0)
            return 0;
        if (*end == '\0')
            return -1;
    }
}

/*
 * Run probe (argv of an absolute program) as a child of sb would be run:
 * o's user, no_new_privs, sandbox_enter. 1 when it exited 0; else 0 with
 * the first line it wrote on stderr in msg.
 */
static int probe(const struct sandbox *sb, const struct sandbox_opts *o,
                 const char *const *argv, const char *path, char *msg, size_t msgsz) {
    struct sandbox_argv a;
    int errp[2] = {-1, -1}, status = 0, devnull;
    pid_t pid;
    ssize_t r;

    msg[0] = '\0';
    if (sandbox_argv(sb, argv, path, &a, NULL) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
        snprintf(msg, msgsz, "%s", "cannot prepare");
        return 0;
    }
    if ((pid = fork()) == 0) {
        devnull = open("/dev/null", O_RDWR);
        if (devnull == -1 || dup2(devnull, 0) == -1 || dup2(devnull, 1) == -1 ||
            dup2(errp[1], 2) == -1)
            _exit(126);
        if (o->uid != (uid_t)-1 &&
            (syscall(SYS_setgroups, 0, NULL) == -1 ||
             syscall(SYS_setresgid, o->gid, o->gid, o->gid) == -1 ||
             syscall(SYS_setresuid, o->uid, o->uid, o->uid) == -1))
            _exit(125);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
            sandbox_enter(sb, -1, &a) == -1)
            _exit(124);
        execve(a.path, (char *const *)a.argv,
               (char *const[]){"PATH=/usr/bin:/bin", NULL});
        _exit(127);
    }
    close_fd(&errp[1]);
    if (pid == -1) {
        close_fd(&errp[0]);
        snprintf(msg, msgsz, "fork: %s", strerror(errno));
        return 0;
    }
    do {
        r = read(errp[0], msg, msgsz - 1);
    } while (r == -1 && errno == EINTR);
    msg[r > 0 ? r : 0] = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    close_fd(&errp[0]);
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (msg[0] == '\0')
        snprintf(msg, msgsz, "exit %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

struct sandbox *sandbox_new(const struct sandbox_opts *opts, struct err *err) {
    static const char *const true_argv[] = {"/usr/bin/true", NULL};
    struct sandbox *sb = calloc(1, sizeof(*sb));
    struct sandbox_opts own = *opts;
    const struct sandbox_opts *o = &own;
    char msg[160];
    size_t i;

    if (sb == NULL) {
        err_set(err, 500, "cannot make the sandbox: out of memory");
        return NULL;
    }
    sb->bpf_fd = -1;
    if (o->private_dir != NULL && realpath(o->private_dir, sb->private_dir) == NULL)
        snprintf(sb->private_dir, sizeof(sb->private_dir), "%s", o->private_dir);
    for (i = 0; i < SANDBOX_LL_MAX_ROOTS; i++)
        sb->ll_fd[i] = -1;

    if (o->users > 0) {
        if (geteuid() != 0 || o->uid == (uid_t)-1 || o->uid == 0) {
            err_set(err, 500, "cannot give each tshark run a user: only root can");
            goto fail;
        }
        if ((sb->users = users_new(o->uid, o->users)) == NULL) {
            err_set(err, 500, "cannot give each tshark run a user: %s",
                    errno == EBUSY ? "every uid range tried is in use" : strerror(errno));
            goto fail;
        }
        /* the probes run as the first of them */
        own.uid = sb->users->first;
        own.gid = (gid_t)sb->users->first;
    }
    if (!(o->skip & SANDBOX_NPROC)) {
        uid_t who = o->uid != (uid_t)-1 ? o->uid : getuid();
        /* RLIMIT_NPROC means nothing to root (CAP_SYS_RESOURCE) */
        if (sb->users != NULL) {
            sb->nproc = SANDBOX_TASKS_PER_RUN; /* that run is all its user runs */
            sb->layers |= SANDBOX_NPROC;
        } else if (who != 0) {
            sb->nproc = count_tasks(who) +
                        (uint64_t)(o->runs > 0 ? o->runs : 1) * SANDBOX_TASKS_PER_RUN;
            if (o->uid == (uid_t)-1) /* our own threads share the count */
                sb->nproc += SANDBOX_SERVER_TASKS;
            sb->layers |= SANDBOX_NPROC;
        } else {
            note(sb, "no RLIMIT_NPROC", "tshark runs as root");
        }
    }
    if (!(o->skip & SANDBOX_SECCOMP)) {
        if (build_seccomp(sb) == -1)
            note(sb, "no seccomp", strerror(errno));
        else
            sb->layers |= SANDBOX_SECCOMP;
    }
    if (!(o->skip & SANDBOX_BWRAP)) {
        if (find_in_path(o->bwrap != NULL ? o->bwrap : "bwrap", sb->bwrap,
                         sizeof(sb->bwrap)) == -1) {
            note(sb, "no bwrap", "not installed");
        } else {
            sb->layers |= SANDBOX_BWRAP;
            if (!probe(sb, o, true_argv, true_argv[0], msg, sizeof(msg))) {
                sb->layers &= ~SANDBOX_BWRAP;
                note(sb, "no bwrap", msg);
            }
        }
    }
    if ((sb->layers & SANDBOX_SECCOMP) && !(sb->layers & SANDBOX_BWRAP) &&
        !probe(sb, o, true_argv, true_argv[0], msg, sizeof(msg))) {
        sb->layers &= ~SANDBOX_SECCOMP;
        note(sb, "no seccomp", msg);
    }
    /* Landlock would forbid bwrap its mounts; bwrap's namespaces do more */
    if (!(sb->layers & SANDBOX_BWRAP) && !(o->skip & SANDBOX_LANDLOCK)) {
        int abi = landlock_abi();
        size_t k = 0;

        for (i = 0; abi > 0 && i < N_LL_ROOTS && k < SANDBOX_LL_MAX_ROOTS - 1; i++) {
            int fd = open(ll_roots[i].path, O_PATH | O_CLOEXEC);
            if (fd == -1)
                continue;
            sb->ll_fd[k] = fd;
            sb->ll_access[k++] = ll_roots[i].access;
        }
        if (abi == 0) {
            note(sb, "no Landlock", "not in this kernel (or refused)");
        } else {
            sb->ll_abi = abi;
            sb->layers |= SANDBOX_LANDLOCK;
            if (!probe(sb, o, true_argv, true_argv[0], msg, sizeof(msg))) {
                sb->layers &= ~SANDBOX_LANDLOCK;
                sb->ll_abi = 0;
                note(sb, "no Landlock", msg);
            }
        }
    }
    return sb;
fail:
    sandbox_free(sb);
    return NULL;
}

void sandbox_free(struct sandbox *sb) {
    size_t i;

    if (sb == NULL)
        return;
    close_fd(&sb->bpf_fd);
    for (i = 0; i < SANDBOX_LL_MAX_ROOTS; i++)
        close_fd(&sb->ll_fd[i]);
    free(sb->bpf);
    if (sb->users != NULL) {
        pthread_mutex_destroy(&sb->users->mu);
        free(sb->users);
    }
    free(sb);
}

const char *sandbox_describe(const struct sandbox *sb, char *out, size_t outsz) {
    char users[64] = "";

    if (sb == NULL) {
        snprintf(out, outsz, "none");
        return out;
    }
    if (sb->users != NULL)
        snprintf(users, sizeof(users), "user per run (uids %lu-%lu) ",
                 (unsigned long)sb->users->first,
                 (unsigned long)sb->users->first + (unsigned long)sb->users->n - 1);
    snprintf(out, outsz, "%s%s%s%s%s%s (Landlock ABI %d, RLIMIT_NPROC %llu)%s%s",
             sb->layers & SANDBOX_BWRAP ? "bwrap " : "",
             sb->layers & SANDBOX_SECCOMP ? "seccomp " : "",
             sb->layers & SANDBOX_LANDLOCK ? "landlock " : "",
             sb->layers & SANDBOX_NPROC ? "nproc " : "", users,
             sb->layers == 0 && users[0] == '\0' ? "no layer" : "no_new_privs",
             sb->ll_abi, (unsigned long long)sb->nproc, sb->why[0] != '\0' ? "; " : "",
             sb->why);
    return out;
}

/* 1 when path is dir or beneath it. */
static int path_within(const char *path, const char *dir) {
    size_t n = strlen(dir);

    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * a->dir = the real path of the program's directory when a run may read
 * all of it (a wrapper's files next to it): not "/", not a directory anyone
 * may write (/tmp: other users' files), not the private directory nor one
 * holding or inside it. Else "" (only the file is bound).
 */
static void program_dir(const struct sandbox *sb, struct sandbox_argv *a) {
    char dir[MAX_PATH_BYTES];
    char *slash;
    struct stat st;

    a->dir[0] = '\0';
    if (lstat(a->prog, &st) == -1 || S_ISLNK(st.st_mode)) /* a name picking a mode */
        return;
    snprintf(dir, sizeof(dir), "%s", a->prog);
    if ((slash = strrchr(dir, '/')) == NULL)
        return;
    *slash = '\0';
    if (dir[0] == '\0' || realpath(dir, a->dir) == NULL) {
        a->dir[0] = '\0';
        return;
    }
    if (strcmp(a->dir, "/") == 0 || stat(a->dir, &st) == -1 || (st.st_mode & S_IWOTH) ||
        (sb->private_dir[0] != '\0' &&
         (path_within(a->dir, sb->private_dir) || path_within(sb->private_dir, a->dir))))
        a->dir[0] = '\0';
}

int sandbox_argv(const struct sandbox *sb, const char *const *argv, const char *path,
                 struct sandbox_argv *a, struct err *err) {
    size_t n = 0, i;
    struct stat st;
    int w;

    a->prog[0] = '\0';
    a->dir[0] = '\0';
    a->path = path;
    a->argv = argv;
    if (sb == NULL || !(sb->layers & (SANDBOX_BWRAP | SANDBOX_LANDLOCK)))
        return 0;
    /* bwrap would start and then fail: say it as exec would, now */
    if (stat(path, &st) == -1)
        return err_set(err, 500, "cannot run '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
        return err_set(err, 500, "cannot run '%s': %s", path, strerror(EACCES));
    if (path[0] == '/') {
        w = snprintf(a->prog, sizeof(a->prog), "%s", path);
    } else { /* bwrap runs it from "/" */
        char cwd[MAX_PATH_BYTES];
        w = getcwd(cwd, sizeof(cwd)) == NULL
                ? -1
                : snprintf(a->prog, sizeof(a->prog), "%s/%s", cwd, path);
    }
    if (w < 0 || (size_t)w >= sizeof(a->prog))
        return err_set(err, 500, "cannot run '%s': no absolute path", path);
    if (strncmp(a->prog, "/usr/", 5) != 0)
        program_dir(sb, a);
    if (!(sb->layers & SANDBOX_BWRAP))
        return 0;

    a->v[n++] = sb->bwrap;
    for (i = 0; i < N_BWRAP_ARGS; i++)
        a->v[n++] = bwrap_args[i];
    if (sb->layers & SANDBOX_SECCOMP) {
        a->v[n++] = "--seccomp";
        a->v[n++] = sb->bpf_fd_str;
    }
    /* a program outside /usr (a test's fake tshark): its directory, or its file */
    if (a->dir[0] != '\0') {
        a->v[n++] = "--ro-bind";
        a->v[n++] = a->dir;
        a->v[n++] = a->dir;
    } else if (strncmp(a->prog, "/usr/", 5) != 0) {
        /* at its own path: a symlink's name is kept as argv[0] */
        a->v[n++] = "--ro-bind";
        a->v[n++] = a->prog;
        a->v[n++] = a->prog;
    }
    /* after every mount point is made (the binds above make them) */
    a->v[n++] = "--remount-ro";
    a->v[n++] = "/";
    a->v[n++] = "--chdir";
    a->v[n++] = "/";
    a->v[n++] = "--";
    a->v[n++] = a->prog;
    for (i = 1; argv[0] != NULL && argv[i] != NULL; i++) {
        if (n >= SANDBOX_ARGV_EXTRA + SANDBOX_ARGV_MAX)
            return err_set(err, 500, "cannot run '%s': too many arguments", path);
        a->v[n++] = argv[i];
    }
    a->v[n] = NULL;
    a->path = sb->bwrap;
    a->argv = a->v;
    return 0;
}

/* Landlock for this process: see ll_roots; the profile keep_fd; prog runs. */
static int enter_landlock(const struct sandbox *sb, int keep_fd,
                          const struct sandbox_argv *a) {
    struct ll_ruleset_attr attr;
    struct ll_path_beneath pb;
    size_t attr_size = sizeof(attr.handled_access_fs);
    uint64_t fs = LL_FS_ABI1;
    int rs, i, fd;

    memset(&attr, 0, sizeof(attr));
    if (sb->ll_abi >= 2)
        fs |= LL_FS_REFER;
    if (sb->ll_abi >= 3)
        fs |= LL_FS_TRUNCATE;
    if (sb->ll_abi >= 5)
        fs |= LL_FS_IOCTL_DEV;
    attr.handled_access_fs = fs;
    if (sb->ll_abi >= 4) {
        attr.handled_access_net =
            LL_NET_BIND_TCP | LL_NET_CONNECT_TCP; /* no rule: none */
        attr_size = offsetof(struct ll_ruleset_attr, scoped);
    }
    if (sb->ll_abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        attr_size = sizeof(attr);
    }
    if ((rs = (int)syscall(LL_SYS_CREATE, &attr, attr_size, 0U)) < 0)
        return -1;
    for (i = 0; i < SANDBOX_LL_MAX_ROOTS; i++) {
        if (sb->ll_fd[i] == -1)
            continue;
        pb.allowed_access = sb->ll_access[i];
        pb.parent_fd = sb->ll_fd[i];
        if (syscall(LL_SYS_ADD_RULE, rs, LL_RULE_PATH_BENEATH, &pb, 0U) == -1)
            goto fail;
    }
    if (keep_fd > STDERR_FILENO) {
        pb.allowed_access = LL_READ;
        pb.parent_fd = keep_fd;
        if (syscall(LL_SYS_ADD_RULE, rs, LL_RULE_PATH_BENEATH, &pb, 0U) == -1)
            goto fail;
    }
    /* its directory (see program_dir), readable */
    if (a->dir[0] != '\0' && (fd = open(a->dir, O_PATH | O_CLOEXEC)) != -1) {
        pb.allowed_access = LL_READ | LL_FS_EXECUTE;
        pb.parent_fd = fd;
        if (syscall(LL_SYS_ADD_RULE, rs, LL_RULE_PATH_BENEATH, &pb, 0U) == -1) {
            close(fd);
            goto fail;
        }
        close(fd);
    }
    /* the program itself (a script is read by its interpreter) */
    if (a->prog[0] != '\0' && (fd = open(a->prog, O_PATH | O_CLOEXEC)) != -1) {
        struct stat st;
        pb.allowed_access = LL_FS_EXECUTE | LL_FS_READ_FILE;
        pb.parent_fd = fd;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            syscall(LL_SYS_ADD_RULE, rs, LL_RULE_PATH_BENEATH, &pb, 0U) == -1) {
            close(fd);
            goto fail;
        }
        close(fd);
    }
    if (syscall(LL_SYS_RESTRICT, rs, 0U) == -1)
        goto fail;
    close(rs);
    return 0;
fail:
    i = errno;
    close(rs);
    errno = i;
    return -1;
}

int sandbox_enter(const struct sandbox *sb, int keep_fd, const struct sandbox_argv *a) {
    if (sb == NULL)
        return 0;
    if (sb->layers & SANDBOX_NPROC) {
        struct rlimit rl = {(rlim_t)sb->nproc, (rlim_t)sb->nproc};
        if (setrlimit(RLIMIT_NPROC, &rl) == -1)
            return -1;
    }
    if (sb->layers & SANDBOX_BWRAP) {
        /*
         * bwrap read()s the program from the descriptor's offset, which every
         * child shares: give this one a fresh open of the memfd, same number.
         */
        if (sb->layers & SANDBOX_SECCOMP) {
            int fd = open(sb->bpf_reopen, O_RDONLY);
            if (fd == -1)
                return -1;
            if (dup2(fd, sb->bpf_fd) == -1) { /* dup2 leaves CLOEXEC off */
                close(fd);
                return -1;
            }
            close(fd);
        }
        return 0;
    }
    if ((sb->layers & SANDBOX_LANDLOCK) && enter_landlock(sb, keep_fd, a) == -1)
        return -1;
    if (sb->layers & SANDBOX_SECCOMP) {
        struct sock_fprog fp;
        fp.len = (unsigned short)(sb->bpf_len / sizeof(struct sock_filter));
        fp.filter = (struct sock_filter *)(void *)sb->bpf;
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == -1)
            return -1;
    }
    return 0;
}

int sandbox_parse_skip(const char *list) {
    static const struct {
        const char *name;
        int layer;
    } names[] = {
        {"bwrap", SANDBOX_BWRAP},
        {"seccomp", SANDBOX_SECCOMP},
        {"landlock", SANDBOX_LANDLOCK},
        {"nproc", SANDBOX_NPROC},
        {"all", SANDBOX_BWRAP | SANDBOX_SECCOMP | SANDBOX_LANDLOCK | SANDBOX_NPROC}};
    int skip = 0;
    size_t i;

    while (list != NULL && *list != '\0') {
        size_t len = strcspn(list, ",");
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == len && strncmp(list, names[i].name, len) == 0)
                skip |= names[i].layer;
        list += len;
        if (*list == ',')
            list++;
    }
    return skip;
}
