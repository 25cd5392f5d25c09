#pragma once

// berth-shim exec <exec.json>: starts a process inside a running container (docs/runtime.md,
// "Exec mode") and owns it as run mode owns a container. Returns the shim's exit code.
int shim_exec(const char *config_path);
