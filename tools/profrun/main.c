/* SPDX-License-Identifier: MIT */
/* profrun: run a command with libprof.so preloaded, pass its exit status through, say where the
 * profile went. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit codes of profrun itself (the command's own status is passed through otherwise):
 * 125 usage error or no libprof.so, 126 command not executable, 127 command not found
 * (the env(1) / timeout(1) convention). */
enum { EXIT_USAGE = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: profrun [-o FILE] [-F HZ] [-m MODE] [--] COMMAND [ARGS...]\n"
            "  -o FILE   profile path (PROF_OUT; %%p = pid, %%e = executable name);\n"
            "            default %%e.%%p.prof in the current directory\n"
            "  -F HZ     samples per second (PROF_HZ)\n"
            "  -m MODE   cpu, wall, alloc or a comma-separated mix (PROF_MODE)\n"
            "Other PROF_* variables in the environment are passed on (see libprof(7)).\n"
            "exit status: the command's; 128+N if it died of signal N (re-raised);\n"
            "             125 profrun error, 126 not executable, 127 not found\n");
}

/* libprof.so next to our own executable: installed layout (bin/ + lib/) or the build tree. */
static int find_library(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    const char *rel[] = {PROFRUN_REL_INSTALLED, PROFRUN_REL_BUILD, "../lib", "../lib64"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        char cand[PATH_MAX];
        int k = snprintf(cand, sizeof(cand), "%s/%s%slibprof.so", self, rel[i],
                         rel[i][0] ? "/" : "");
        if (k < 0 || (size_t)k >= sizeof(cand))
            continue;
        if (access(cand, R_OK) == 0 && realpath(cand, out)) {
            (void)len;
            return 0;
        }
    }
    return -1;
}

/* PROF_OUT as the runtime will expand it for the command's process (src/config.c: %p pid,
 * %e executable name, %% a percent sign). */
static void expand_out(const char *pattern, pid_t pid, const char *exe, char *out, size_t len)
{
    size_t k = 0;
    for (const char *p = pattern; *p && k + 1 < len; p++) {
        const char *ins = NULL;
        char num[32];
        if (*p == '%' && p[1] == 'p') {
            snprintf(num, sizeof(num), "%ld", (long)pid);
            ins = num;
            p++;
        } else if (*p == '%' && p[1] == 'e') {
            ins = exe;
            p++;
        } else if (*p == '%' && p[1] == '%') {
            ins = "%";
            p++;
        }
        if (ins) {
            for (; *ins && k + 1 < len; ins++)
                out[k++] = *ins;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

/* The executable name the runtime uses for %e: the basename of what the child runs. */
static void child_exe_name(pid_t pid, const char *fallback, char *out, size_t len)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    const char *name = fallback;
    if (n > 0) {
        path[n] = '\0';
        const char *s = strrchr(path, '/');
        name = s ? s + 1 : path;
    } else {
        const char *s = strrchr(fallback, '/');
        name = s ? s + 1 : fallback;
    }
    int k = snprintf(out, len, "%s", name);
    if (k < 0 || (size_t)k >= len)
        out[len - 1] = '\0'; /* names are at most NAME_MAX: cannot happen */
}

static int setenv_checked(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) {
        fprintf(stderr, "profrun: setenv %s: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *hz = NULL, *mode = NULL;
    int c;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"frequency", required_argument, NULL, 'F'},
        {"mode", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* '+': stop at the command, so its own options are left alone. */
    while ((c = getopt_long(argc, argv, "+o:F:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'F': hz = optarg; break;
        case 'm': mode = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "profrun: no command given\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    char lib[PATH_MAX];
    if (find_library(lib, sizeof(lib)) != 0) {
        fprintf(stderr, "profrun: libprof.so not found next to profrun (../%s or %s)\n",
                PROFRUN_REL_INSTALLED, PROFRUN_REL_BUILD);
        return EXIT_USAGE;
    }
    /* Prepend ours to any LD_PRELOAD already set. */
    const char *old = getenv("LD_PRELOAD");
    size_t plen = strlen(lib) + (old ? strlen(old) + 1 : 0) + 1;
    char *preload = malloc(plen);
    if (!preload)
        return EXIT_USAGE;
    snprintf(preload, plen, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
    const char *pattern = out ? out : getenv("PROF_OUT") ? getenv("PROF_OUT") : "%e.%p.prof";
    if (setenv_checked("LD_PRELOAD", preload) || setenv_checked("PROF_OUT", pattern) ||
        (hz && setenv_checked("PROF_HZ", hz)) || (mode && setenv_checked("PROF_MODE", mode)))
        return EXIT_USAGE;
    free(preload);

    /* While the command runs, its terminal signals are its own business: profrun waits. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int errpipe[2]; /* the child reports a failed exec through it (close-on-exec) */
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "profrun: pipe: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "profrun: fork: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        close(errpipe[0]);
        execvp(argv[optind], argv + optind);
        int e = errno;
        if (write(errpipe[1], &e, sizeof(e)) < 0)
            _exit(EXIT_CANNOT_EXEC);
        _exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
    }
    close(errpipe[1]);
    int exec_errno = 0;
    ssize_t got;
    do
        got = read(errpipe[0], &exec_errno, sizeof(exec_errno));
    while (got < 0 && errno == EINTR);
    close(errpipe[0]);
    /* Once exec succeeded, /proc/PID/exe is the command: the name the runtime will use. */
    char exe[NAME_MAX + 1];
    child_exe_name(pid, argv[optind], exe, sizeof(exe));

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "profrun: waitpid: %s\n", strerror(errno));
            return EXIT_USAGE;
        }
    }
    if (got == (ssize_t)sizeof(exec_errno)) {
        fprintf(stderr, "profrun: %s: %s\n", argv[optind], strerror(exec_errno));
        return exec_errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
    }
    char path[PATH_MAX];
    expand_out(pattern, pid, exe, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) == 0)
        fprintf(stderr, "profrun: profile written to %s\n", path);
    else
        fprintf(stderr, "profrun: no profile at %s (see the warnings above)\n", path);

    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        /* Die the same way, so a shell or a supervisor sees the signal; no core of profrun. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        return 128 + sig; /* a signal that does not kill (SIGCHLD...) */
    }
    return EXIT_USAGE;
}
