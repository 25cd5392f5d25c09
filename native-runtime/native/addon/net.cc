// Networking for the TypeScript side: bridges, veth pairs and routes over rtnetlink (the shim's
// netlink.cc, compiled in here too), and interface counters of a container's net namespace.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shim/netlink.h"
#include "result.h"

namespace berth {

static Napi::Value NlErr(Napi::Env env, const Error &e) { return Err(env, e.err ? e.err : EINVAL, e.message); }

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

void InitNet(Napi::Env env, Napi::Object exports) {
  exports.Set("createBridge", Napi::Function::New(env, CreateBridge, "createBridge"));
  exports.Set("createVethPair", Napi::Function::New(env, CreateVethPair, "createVethPair"));
  exports.Set("attachToBridge", Napi::Function::New(env, AttachToBridge, "attachToBridge"));
  exports.Set("setLinkUp", Napi::Function::New(env, SetLinkUp, "setLinkUp"));
  exports.Set("deleteLink", Napi::Function::New(env, DeleteLink, "deleteLink"));
  exports.Set("linkStats", Napi::Function::New(env, LinkStats, "linkStats"));
  exports.Set("listRoutes", Napi::Function::New(env, ListRoutes, "listRoutes"));
}

}  // namespace berth
