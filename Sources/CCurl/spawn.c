#define _GNU_SOURCE
#include "CCurl.h"
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// Written in C because only async-signal-safe calls may run between fork and exec
// in a multi-threaded process: Swift code there could take a lock another thread held.
int jarvis_spawn(const char *path, char *const *argv, int stdin_fd, int stdout_fd, int stderr_fd, int death_signal) {
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid < 0) { int error = errno; pthread_sigmask(SIG_SETMASK, &old, NULL); return -error; }
    if (pid == 0) {
        if (death_signal > 0) {
            prctl(PR_SET_PDEATHSIG, death_signal);
            if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
        }
        for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        int fds[3] = { stdin_fd, stdout_fd, stderr_fd };
        for (int target = 0; target < 3; target++) {
            // Lift each source above 2 first so dup2 never overwrites a source still needed.
            if (fds[target] >= 0 && fds[target] < 3) fds[target] = fcntl(fds[target], F_DUPFD, 3);
        }
        for (int target = 0; target < 3; target++) {
            if (fds[target] >= 0) dup2(fds[target], target);
        }
        if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
            for (int fd = 3; fd < 4096; fd++) close(fd);
        }
        execv(path, argv);
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid;
}

int jarvis_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
