#include "init.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

static void ignore(int) {}

void init_block_signals(sigset_t *old) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, old);
  // The kernel drops signals to a namespace's PID 1 that has no handler; a no-op handler makes
  // them deliverable (they stay blocked and are taken with sigwaitinfo).
  struct sigaction sa {};
  sa.sa_handler = ignore;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD) sigaction(sig, &sa, nullptr);
}

void init_run(pid_t child) {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue;
      if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
      _exit(128 + WTERMSIG(status));
    }
  }
}
