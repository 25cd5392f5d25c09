#pragma once

#include <signal.h>
#include <sys/types.h>

// PID 1 for `process.init`: forwards signals to child, reaps every zombie, and exits with the
// child's status (128 + signal when it was killed). Expects all signals blocked in the caller.
[[noreturn]] void init_run(pid_t child);

// Blocks all signals (returning the old mask) so none is lost between fork and init_run.
void init_block_signals(sigset_t *old);
