// Networking for the TypeScript side: bridges, veth pairs and routes over rtnetlink (the shim's
// common/netlink.cc, which the shim compiles too), interface counters of a container's net namespace, and a veth
// end moved into a running container and configured there (a second network, or a live connect).
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vector>

#include "netlink.h"
#include "result.h"

namespace berth {

static Napi::Value NlErr(Napi::Env env, const Error &e) { return Err(env, e); }

static bool ArgIfname(const Napi::CallbackInfo &info, size_t i, const char *name, std::string *out, Napi::Value *error) {
  if (!ArgString(info, i, name, out, error)) return false;
  if (out->empty() || out->size() >= IF_NAMESIZE || out->find('/') != std::string::npos) {
    *error = Err(info.Env(), EINVAL, std::string(name) + " must be an interface name of 1-15 bytes");
    return false;
  }
  return true;
}

static Napi::Value CreateBridge(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string name, cidr;
  if (!ArgIfname(info, 0, "name", &name, &error) || !ArgString(info, 1, "cidrAddress", &cidr, &error)) return error;
  Error e{};
  if (!nl_create_bridge(name.c_str(), &e) || !nl_add_address(name.c_str(), cidr.c_str(), &e) || !nl_set_up(name.c_str(), true, &e))
    return NlErr(env, e);
  return OkNull(env);
}

static Napi::Value CreateVethPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string host, peer;
  int64_t mtu = 0;
  if (!ArgIfname(info, 0, "hostName", &host, &error) || !ArgIfname(info, 1, "peerName", &peer, &error)) return error;
  if (info.Length() > 2 && !info[2].IsUndefined() && !ArgInt(info, 2, "mtu", &mtu, &error)) return error;
  if (mtu < 0 || mtu > 65535) return Err(env, EINVAL, "mtu out of range");
  Error e{};
  if (!nl_create_veth(host.c_str(), peer.c_str(), (unsigned)mtu, &e)) return NlErr(env, e);
  return OkNull(env);
}

static Napi::Value AttachToBridge(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string ifname, bridge;
  if (!ArgIfname(info, 0, "ifname", &ifname, &error) || !ArgIfname(info, 1, "bridge", &bridge, &error)) return error;
  Error e{};
  if (!nl_set_master(ifname.c_str(), bridge.c_str(), &e)) return NlErr(env, e);
  return OkNull(env);
}

static Napi::Value SetLinkUp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string name;
  if (!ArgIfname(info, 0, "name", &name, &error)) return error;
  Error e{};
  if (!nl_set_up(name.c_str(), true, &e)) return NlErr(env, e);
  return OkNull(env);
}

static Napi::Value DeleteLink(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string name;
  if (!ArgIfname(info, 0, "name", &name, &error)) return error;
  Error e{};
  if (!nl_delete_link(name.c_str(), &e)) return NlErr(env, e);
  return OkNull(env);
}

// /proc/<pid>/net/dev is the view of pid's own net namespace, so no setns is needed.
static Napi::Value LinkStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  int64_t pid;
  if (!ArgInt(info, 0, "pid", &pid, &error)) return error;
  if (pid <= 0 || pid > INT32_MAX) return Err(env, EINVAL, "pid out of range");
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  Fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return SysErr(env, errno, std::string("open ") + path);
  std::string text;
  char buf[8192];
  ssize_t r;
  while ((r = read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, (size_t)r);
  if (r < 0) return SysErr(env, errno, std::string("read ") + path);
  static const char *const kFields[] = {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped", nullptr, nullptr, nullptr, nullptr,
                                        "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"};
  Napi::Object out = Napi::Object::New(env);
  size_t pos = 0;
  for (int line = 0; pos < text.size(); line++) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string l = text.substr(pos, nl - pos);
    pos = nl + 1;
    size_t colon = l.find(':');
    if (line < 2 || colon == std::string::npos) continue;  // two header lines
    size_t start = l.find_first_not_of(' ');
    std::string name = l.substr(start, colon - start);
    Napi::Object s = Napi::Object::New(env);
    const char *p = l.c_str() + colon + 1;
    for (int i = 0; i < 12; i++) {
      char *end;
      unsigned long long v = strtoull(p, &end, 10);
      if (end == p) break;
      p = end;
      if (kFields[i]) s.Set(kFields[i], Napi::Number::New(env, (double)v));
    }
    out.Set(name, s);
  }
  return Ok(env, out);
}

static void CollectRoute(void *ctx, const NlRoute &r) {
  Napi::Array *arr = (Napi::Array *)ctx;
  Napi::Env env = arr->Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("destination", r.destination);
  if (r.gateway[0]) o.Set("gateway", r.gateway);
  if (r.dev[0]) o.Set("dev", r.dev);
  if (r.prefsrc[0]) o.Set("prefsrc", r.prefsrc);
  o.Set("table", r.table);
  o.Set("protocol", r.protocol);
  o.Set("scope", r.scope);
  o.Set("type", r.type);
  o.Set("metric", r.metric);
  arr->Set(arr->Length(), o);
}

static Napi::Value ListRoutes(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array arr = Napi::Array::New(env);
  Error e{};
  if (!nl_list_routes(CollectRoute, &arr, &e)) return NlErr(env, e);
  return Ok(env, arr);
}

// ─── configureLinkInNetns: a veth end into a running container, configured there ───

struct NetnsRoute {
  std::string destination, gateway;
};

struct NetnsLinkJob {
  int nsfd;
  std::string peer, name, mac, cidr;
  std::vector<NetnsRoute> routes;
  Error e;
  bool ok;
};

// Runs on its own thread: setns changes only the calling thread's namespace, and the thread ends
// with the job, so neither Node's main thread nor a libuv worker ever leaves the host's namespace.
static void *ConfigureInNetns(void *arg) {
  NetnsLinkJob *j = (NetnsLinkJob *)arg;
  j->ok = false;
  if (setns(j->nsfd, CLONE_NEWNET) != 0) {
    fail(&j->e, "network", errno, "setns into the container's net namespace");
    return nullptr;
  }
  const char *name = j->name.c_str();
  bool renamed = j->peer == j->name || nl_rename(j->peer.c_str(), name, &j->e);
  bool ok = renamed && (j->mac.empty() || nl_set_mac(name, j->mac.c_str(), &j->e)) && nl_set_up(name, true, &j->e) &&
            (j->cidr.empty() || nl_add_address(name, j->cidr.c_str(), &j->e));
  for (size_t i = 0; ok && i < j->routes.size(); i++) {
    const NetnsRoute &r = j->routes[i];
    ok = nl_add_route(r.destination.c_str(), r.gateway.empty() ? nullptr : r.gateway.c_str(), name, &j->e);
  }
  if (!ok) {
    // A half-configured interface must not stay behind in the container; deleting it deletes the
    // host end too.
    Error ignored{};
    nl_delete_link(renamed ? name : j->peer.c_str(), &ignored);
  }
  j->ok = ok;
  return nullptr;
}

static bool ArgRoutes(const Napi::CallbackInfo &info, size_t i, std::vector<NetnsRoute> *out, Napi::Value *error) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsArray()) return *error = Err(env, EINVAL, "routes must be an array"), false;
  Napi::Array arr = info[i].As<Napi::Array>();
  if (arr.Length() > 64) return *error = Err(env, EINVAL, "at most 64 routes"), false;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsObject()) return *error = Err(env, EINVAL, "each route must be an object"), false;
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value dst = o.Get("destination"), gw = o.Get("gateway");
    if (!dst.IsString()) return *error = Err(env, EINVAL, "route.destination must be a string"), false;
    if (!gw.IsUndefined() && !gw.IsString()) return *error = Err(env, EINVAL, "route.gateway must be a string"), false;
    NetnsRoute r{dst.As<Napi::String>().Utf8Value(), gw.IsString() ? gw.As<Napi::String>().Utf8Value() : ""};
    if (r.destination.find('\0') != std::string::npos || r.gateway.find('\0') != std::string::npos)
      return *error = Err(env, EINVAL, "route contains a NUL byte"), false;
    out->push_back(r);
  }
  return true;
}

// configureLinkInNetns(pid, peer, name, mac, cidr, routes): moves the host's link `peer` into the net
// namespace of pid, then there renames it to `name`, sets `mac` (unless ""), sets it up, adds `cidr`
// (unless "") and each route (on `name`). On failure after the move the link is deleted.
static Napi::Value ConfigureLinkInNetns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  int64_t pid;
  NetnsLinkJob job{};
  if (!ArgInt(info, 0, "pid", &pid, &error) || !ArgIfname(info, 1, "peer", &job.peer, &error) ||
      !ArgIfname(info, 2, "name", &job.name, &error) || !ArgString(info, 3, "mac", &job.mac, &error) ||
      !ArgString(info, 4, "cidr", &job.cidr, &error) || !ArgRoutes(info, 5, &job.routes, &error))
    return error;
  if (pid <= 0 || pid > INT32_MAX) return Err(env, EINVAL, "pid out of range");
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  // Opened first: a process that is gone fails here, before the link leaves the host.
  Fd ns(open(path, O_RDONLY | O_CLOEXEC));
  if (!ns.ok()) return SysErr(env, errno, std::string("open ") + path);
  Error e{};
  if (!nl_set_netns_pid(job.peer.c_str(), (pid_t)pid, &e)) return NlErr(env, e);
  job.nsfd = ns.get();
  pthread_t t;
  int rc = pthread_create(&t, nullptr, ConfigureInNetns, &job);
  // The link would sit unconfigured in the container; the caller deletes the host end, and with it the pair.
  if (rc != 0) return SysErr(env, rc, "pthread_create");
  pthread_join(t, nullptr);
  if (!job.ok) return NlErr(env, job.e);
  return OkNull(env);
}

void InitNet(Napi::Env env, Napi::Object exports) {
  exports.Set("createBridge", Napi::Function::New(env, CreateBridge, "createBridge"));
  exports.Set("createVethPair", Napi::Function::New(env, CreateVethPair, "createVethPair"));
  exports.Set("attachToBridge", Napi::Function::New(env, AttachToBridge, "attachToBridge"));
  exports.Set("setLinkUp", Napi::Function::New(env, SetLinkUp, "setLinkUp"));
  exports.Set("deleteLink", Napi::Function::New(env, DeleteLink, "deleteLink"));
  exports.Set("linkStats", Napi::Function::New(env, LinkStats, "linkStats"));
  exports.Set("listRoutes", Napi::Function::New(env, ListRoutes, "listRoutes"));
  exports.Set("configureLinkInNetns", Napi::Function::New(env, ConfigureLinkInNetns, "configureLinkInNetns"));
}

}  // namespace berth
