// spawnShim(path, args): starts berth-shim with posix_spawn and reads its one-line status.
//
// Why not child_process.spawn: libuv forks the whole Node process (page tables of a large heap), which
// costs ~1 ms more per container start than posix_spawn's vfork-style clone. The child gets what libuv
// would give it: a new session, default signal dispositions, an empty signal mask, /dev/null on 0 and 1,
// stderr and the status pipe on 2 and 3. The status line and stderr are read on a pool thread.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "result.h"

extern char **environ;

namespace berth {
namespace {

constexpr size_t kStderrLimit = 8192;

struct SpawnOutcome {
  bool failed = false;
  Error error{};         // why the spawn failed
  pid_t pid = 0;
  bool gotLine = false;  // a full status line was read
  std::string line;
  std::string stderrText;
};

// Reads the status pipe up to the first newline (or EOF), and stderr meanwhile so a chatty shim never
// blocks on a full pipe. Returns once the line is complete or both pipes are at EOF.
void ReadStatus(int statusFd, int errFd, SpawnOutcome *out) {
  std::string buf;
  bool statusOpen = true, errOpen = true;
  char chunk[4096];
  while (statusOpen || errOpen) {
    pollfd fds[2];
    int n = 0;
    if (statusOpen) fds[n++] = {statusFd, POLLIN, 0};
    if (errOpen) fds[n++] = {errFd, POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[i].fd, chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      bool eof = r <= 0;
      if (fds[i].fd == statusFd) {
        if (eof) {
          statusOpen = false;
          continue;
        }
        buf.append(chunk, (size_t)r);
        size_t nl = buf.find('\n');
        if (nl != std::string::npos) {
          out->gotLine = true;
          out->line = buf.substr(0, nl);
          return;
        }
      } else {
        if (eof) {
          errOpen = false;
          continue;
        }
        if (out->stderrText.size() < kStderrLimit) out->stderrText.append(chunk, std::min((size_t)r, kStderrLimit - out->stderrText.size()));
      }
    }
  }
}

class SpawnWorker : public Napi::AsyncWorker {
 public:
  SpawnWorker(Napi::Env env, std::string path, std::vector<std::string> args)
      : Napi::AsyncWorker(env, "berth:spawnShim"), path_(std::move(path)), args_(std::move(args)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    int statusPipe[2], errPipe[2];
    if (pipe2(statusPipe, O_CLOEXEC) < 0) return Fail(errno, "pipe");
    Fd statusRead(statusPipe[0]), statusWriteFd(statusPipe[1]);
    if (pipe2(errPipe, O_CLOEXEC) < 0) return Fail(errno, "pipe");
    Fd errRead(errPipe[0]), errWriteFd(errPipe[1]);
    const int statusWrite = statusWriteFd.get(), errWrite = errWriteFd.get();

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errWrite, 2);
    posix_spawn_file_actions_adddup2(&fa, statusWrite, 3);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(path_.c_str()));
    for (auto &a : args_) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path_.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    // Only the shim may hold the write ends, so EOF means it is gone.
    statusWriteFd.reset();
    errWriteFd.reset();
    if (rc != 0) return Fail(rc, "cannot run " + path_);
    out_.pid = pid;
    ReadStatus(statusRead.get(), errRead.get(), &out_);
    // The spawned process forks the supervisor and exits at once; reap it here (libuv reaps only its own).
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (out_.failed) {
      deferred_.Resolve(Err(env, out_.error));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("pid", out_.pid);
    v.Set("status", out_.gotLine ? Napi::Value(Napi::String::New(env, out_.line)) : env.Null());
    v.Set("stderr", Napi::String::New(env, out_.stderrText));
    deferred_.Resolve(Ok(env, v));
  }

 private:
  void Fail(int err, const std::string &what) { out_.failed = !fail(&out_.error, "spawn", err, "%s", what.c_str()); }

  std::string path_;
  std::vector<std::string> args_;
  Napi::Promise::Deferred deferred_;
  SpawnOutcome out_;
};

Napi::Value SpawnShimCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  auto resolved = [&](Napi::Value v) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(v);
    return d.Promise();
  };
  if (!ArgString(info, 0, "path", &path, &error)) return resolved(error);
  if (info.Length() < 2 || !info[1].IsArray()) return resolved(Err(env, EINVAL, "args must be an array of strings"));
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value a = arr.Get(i);
    if (!a.IsString()) return resolved(Err(env, EINVAL, "args must be an array of strings"));
    args.push_back(a.As<Napi::String>().Utf8Value());
  }
  auto *w = new SpawnWorker(env, path, std::move(args));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnShim", Napi::Function::New(env, SpawnShimCall, "spawnShim"));
}

}  // namespace berth
