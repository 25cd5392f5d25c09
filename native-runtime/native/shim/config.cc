#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "capabilities.h"
#include "fd.h"

char *read_file(const char *path, size_t *len, Error *e) {
  Fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) { fail(e, "config", errno, "open %s", path); return nullptr; }
  const size_t kMax = 16 << 20;
  size_t cap = 8192, n = 0;
  char *buf = (char *)malloc(cap);
  for (;;) {
    if (!buf) { fail(e, "config", ENOMEM, "reading %s", path); return nullptr; }
    ssize_t r = read(fd.get(), buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { free(buf); fail(e, "config", errno, "read %s", path); return nullptr; }
    if (r == 0) break;
    n += (size_t)r;
    if (n + 1 == cap) {
      if (cap >= kMax) { free(buf); fail(e, "config", EFBIG, "%s is larger than 16 MiB", path); return nullptr; }
      cap *= 2;
      buf = (char *)realloc(buf, cap);
    }
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

bool json_string(const JsonNode *obj, const char *key, bool required, const char **out, Error *e) {
  const JsonNode *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) {
    if (required) return fail(e, "config", EINVAL, "\"%s\" is required", key);
    return true;
  }
  if (v->type != JSON_STRING) return fail(e, "config", EINVAL, "\"%s\" must be a string", key);
  *out = v->string;
  return true;
}

bool json_bool(const JsonNode *obj, const char *key, bool *out, Error *e) {
  const JsonNode *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_BOOL) return fail(e, "config", EINVAL, "\"%s\" must be a boolean", key);
  *out = v->boolean;
  return true;
}

// Non-negative integer that fits in 2^53 (exact in a double).
static bool json_uint(const JsonNode *obj, const char *key, uint64_t *out, Error *e) {
  const JsonNode *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_NUMBER || v->number < 0 || v->number > 9007199254740992.0 || v->number != (double)(uint64_t)v->number)
    return fail(e, "config", EINVAL, "\"%s\" must be a non-negative integer", key);
  *out = (uint64_t)v->number;
  return true;
}

// The returned array is NULL-terminated so it can go straight to execve.
bool json_string_array(const JsonNode *obj, const char *key, bool required, const char ***out, int *n, Error *e) {
  const JsonNode *v = json_get(obj, key);
  *n = 0;
  if (!v || v->type == JSON_NULL) {
    if (required) return fail(e, "config", EINVAL, "\"%s\" is required", key);
    *out = (const char **)calloc(1, sizeof(char *));
    return true;
  }
  if (v->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"%s\" must be an array of strings", key);
  const char **arr = (const char **)calloc(json_length(v) + 1, sizeof(char *));
  if (!arr) return fail(e, "config", ENOMEM, "out of memory");
  for (const JsonNode *m = v->child; m; m = m->next) {
    if (m->type != JSON_STRING) return fail(e, "config", EINVAL, "\"%s\" must be an array of strings", key);
    arr[(*n)++] = m->string;
  }
  *out = arr;
  return true;
}

static bool object(const JsonNode *obj, const char *key, const JsonNode **out, Error *e) {
  const JsonNode *v = json_get(obj, key);
  if (!v || v->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"%s\" must be an object", key);
  *out = v;
  return true;
}

static const struct { const char *name; int resource; } kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static bool parse_process(const JsonNode *p, ProcessSpec *ps, Error *e) {
  if (!json_string_array(p, "args", true, &ps->args, &ps->nargs, e)) return false;
  if (ps->nargs == 0) return fail(e, "config", EINVAL, "\"process.args\" must not be empty");
  if (!json_string_array(p, "env", false, &ps->env, &ps->nenv, e)) return false;
  ps->cwd = "/";
  if (!json_string(p, "cwd", false, &ps->cwd, e)) return false;
  if (ps->cwd[0] != '/') return fail(e, "config", EINVAL, "\"process.cwd\" must be absolute");
  uint64_t uid = 0, gid = 0;
  if (!json_uint(p, "uid", &uid, e) || !json_uint(p, "gid", &gid, e)) return false;
  if (uid > 0xFFFFFFFEu || gid > 0xFFFFFFFEu) return fail(e, "config", EINVAL, "uid/gid out of range");
  ps->uid = (uid_t)uid;
  ps->gid = (gid_t)gid;

  const JsonNode *gids = json_get(p, "additionalGids");
  if (gids && gids->type != JSON_NULL) {
    if (gids->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"additionalGids\" must be an array");
    ps->additional_gids = (gid_t *)calloc(json_length(gids) + 1, sizeof(gid_t));
    for (const JsonNode *m = gids->child; m; m = m->next) {
      if (m->type != JSON_NUMBER || m->number < 0 || m->number > 0xFFFFFFFEu || m->number != (double)(gid_t)m->number)
        return fail(e, "config", EINVAL, "\"additionalGids\" must hold gids");
      ps->additional_gids[ps->ngids++] = (gid_t)m->number;
    }
  }
  ps->no_new_privileges = true;
  if (!json_bool(p, "terminal", &ps->terminal, e) || !json_bool(p, "openStdin", &ps->open_stdin, e) ||
      !json_bool(p, "stdinOnce", &ps->stdin_once, e) || !json_bool(p, "noNewPrivileges", &ps->no_new_privileges, e) ||
      !json_bool(p, "init", &ps->init, e))
    return false;

  const char **caps;
  int ncaps;
  if (!json_string_array(p, "capabilities", false, &caps, &ncaps, e)) return false;
  for (int i = 0; i < ncaps; i++) {
    int cap = capability_from_name(caps[i]);
    if (cap < 0) return fail(e, "config", EINVAL, "unknown capability %s", caps[i]);
    ps->capabilities |= 1ull << cap;
  }

  const JsonNode *rl = json_get(p, "rlimits");
  if (rl && rl->type != JSON_NULL) {
    if (rl->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"rlimits\" must be an array");
    ps->rlimits = (RlimitSpec *)calloc(json_length(rl) + 1, sizeof(RlimitSpec));
    for (const JsonNode *m = rl->child; m; m = m->next) {
      const char *type = nullptr;
      RlimitSpec *r = &ps->rlimits[ps->nrlimits++];
      if (!json_string(m, "type", true, &type, e) || !json_uint(m, "soft", &r->soft, e) || !json_uint(m, "hard", &r->hard, e))
        return false;
      r->resource = -1;
      for (auto &k : kRlimits)
        if (strcmp(k.name, type) == 0) r->resource = k.resource;
      if (r->resource < 0) return fail(e, "config", EINVAL, "unknown rlimit %s", type);
      if (r->soft > r->hard) return fail(e, "config", EINVAL, "%s: soft limit above hard limit", type);
    }
  }
  return true;
}

static bool parse_console_size(const JsonNode *root, int *rows, int *cols, Error *e) {
  const JsonNode *v = json_get(root, "consoleSize");
  if (!v || v->type == JSON_NULL) return true;
  const JsonNode *h = v->type == JSON_ARRAY ? v->child : nullptr, *w = h ? h->next : nullptr;
  if (!h || !w || w->next || h->type != JSON_NUMBER || w->type != JSON_NUMBER || h->number < 0 || w->number < 0 ||
      h->number > 65535 || w->number > 65535)
    return fail(e, "config", EINVAL, "\"consoleSize\" must be [height, width]");
  *rows = (int)h->number;
  *cols = (int)w->number;
  return true;
}

static bool parse_port_number(const JsonNode *obj, const char *key, bool zero_ok, int *out, Error *e) {
  uint64_t v = 0;
  if (!json_uint(obj, key, &v, e)) return false;
  if (v > 65535 || (!zero_ok && v == 0)) return fail(e, "config", EINVAL, "\"ports[].%s\" must be a port number", key);
  *out = (int)v;
  return true;
}

static bool parse_ports(const JsonNode *root, ShimConfig *c, Error *e) {
  const JsonNode *ps = json_get(root, "ports");
  if (!ps || ps->type == JSON_NULL) return true;
  if (ps->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"ports\" must be an array");
  c->ports = (PortSpec *)calloc(json_length(ps) + 1, sizeof(PortSpec));
  for (const JsonNode *m = ps->child; m; m = m->next) {
    PortSpec *p = &c->ports[c->nports++];
    p->host_ip = "127.0.0.1";
    p->connect_ip = "127.0.0.1";
    const char *proto = "tcp";
    if (m->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"ports\" must hold objects");
    if (!json_string(m, "hostIp", false, &p->host_ip, e) || !json_string(m, "connectIp", false, &p->connect_ip, e) ||
        !json_string(m, "proto", false, &proto, e) || !parse_port_number(m, "hostPort", true, &p->host_port, e) ||
        !parse_port_number(m, "containerPort", false, &p->container_port, e))
      return false;
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) return fail(e, "config", EINVAL, "\"ports[].proto\" must be tcp or udp");
    p->udp = proto[0] == 'u';
  }
  return true;
}

static bool parse_network(const JsonNode *root, ShimConfig *c, Error *e) {
  const JsonNode *n = json_get(root, "network");
  if (!n || n->type == JSON_NULL) return true;
  if (n->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"network\" must be an object");
  NetworkSpec *ns = &c->network;
  const JsonNode *veth = json_get(n, "veth");
  if (veth && veth->type != JSON_NULL) {
    ns->veth_name = "eth0";
    if (veth->type != JSON_OBJECT || !json_string(veth, "peer", true, &ns->veth_peer, e) ||
        !json_string(veth, "name", false, &ns->veth_name, e) || !json_string(veth, "address", false, &ns->address, e) ||
        !json_string(veth, "mac", false, &ns->mac, e) || !json_string(veth, "host", false, &ns->veth_host, e) ||
        !json_string(veth, "bridge", false, &ns->bridge, e))
      return e->stage[0] ? false : fail(e, "config", EINVAL, "\"network.veth\" must be an object");
    if (strlen(ns->veth_peer) >= 16 || strlen(ns->veth_name) >= 16 || (ns->veth_host && strlen(ns->veth_host) >= 16))
      return fail(e, "config", EINVAL, "interface names must be shorter than 16 bytes");
    if (!ns->veth_host != !ns->bridge) return fail(e, "config", EINVAL, "\"network.veth.host\" and \"bridge\" go together");
  }
  const JsonNode *rs = json_get(n, "routes");
  if (rs && rs->type != JSON_NULL) {
    if (rs->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"network.routes\" must be an array");
    ns->routes = (RouteSpec *)calloc(json_length(rs) + 1, sizeof(RouteSpec));
    for (const JsonNode *m = rs->child; m; m = m->next) {
      RouteSpec *r = &ns->routes[ns->nroutes++];
      if (!json_string(m, "destination", true, &r->destination, e) || !json_string(m, "gateway", false, &r->gateway, e))
        return false;
    }
  }
  if ((ns->veth_peer || ns->nroutes) && strcmp(c->net, "new") != 0)
    return fail(e, "config", EINVAL, "\"network\" needs namespaces.net \"new\"");
  return true;
}

static bool parse_mounts(const JsonNode *root, ShimConfig *c, Error *e) {
  const JsonNode *ms = json_get(root, "mounts");
  if (!ms || ms->type == JSON_NULL) return true;
  if (ms->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"mounts\" must be an array");
  c->mounts = (MountSpec *)calloc(json_length(ms) + 1, sizeof(MountSpec));
  for (const JsonNode *m = ms->child; m; m = m->next) {
    MountSpec *s = &c->mounts[c->nmounts++];
    s->source = "none";
    s->type = "bind";
    if (!json_string(m, "source", false, &s->source, e) || !json_string(m, "destination", true, &s->destination, e) ||
        !json_string(m, "type", false, &s->type, e) || !json_string_array(m, "options", false, &s->options, &s->noptions, e))
      return false;
    if (s->destination[0] != '/') return fail(e, "config", EINVAL, "mount destination %s must be absolute", s->destination);
  }
  return true;
}

static bool parse_cgroup_mount(const JsonNode *root, ShimConfig *c, Error *e) {
  const JsonNode *m = json_get(root, "cgroupMount");
  if (!m || m->type == JSON_NULL) return true;
  if (m->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"cgroupMount\" must be an object");
  CgroupMountSpec *cm = &c->cgroup_mount;
  uint64_t version = 0;
  if (!json_uint(m, "version", &version, e) || !json_bool(m, "readonly", &cm->readonly, e)) return false;
  if (version != 1 && version != 2) return fail(e, "config", EINVAL, "\"cgroupMount.version\" must be 1 or 2");
  cm->version = (int)version;
  const JsonNode *hs = json_get(m, "hierarchies");
  if (!hs || hs->type == JSON_NULL) return true;
  if (hs->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"cgroupMount.hierarchies\" must be an array");
  cm->hierarchies = (CgroupHierarchy *)calloc(json_length(hs) + 1, sizeof(CgroupHierarchy));
  for (const JsonNode *h = hs->child; h; h = h->next) {
    CgroupHierarchy *ch = &cm->hierarchies[cm->nhierarchies++];
    if (h->type != JSON_OBJECT || !json_string(h, "name", true, &ch->name, e) || !json_string(h, "source", true, &ch->source, e))
      return e->stage[0] ? false : fail(e, "config", EINVAL, "\"cgroupMount.hierarchies\" must hold objects");
    // One path component: it is created under the container's /sys/fs/cgroup.
    if (!ch->name[0] || strchr(ch->name, '/') || strcmp(ch->name, ".") == 0 || strcmp(ch->name, "..") == 0)
      return fail(e, "config", EINVAL, "bad cgroup hierarchy name \"%s\"", ch->name);
    if (ch->source[0] != '/') return fail(e, "config", EINVAL, "cgroup source %s must be absolute", ch->source);
  }
  return true;
}

static bool parse_devices(const JsonNode *root, ShimConfig *c, Error *e) {
  const JsonNode *ds = json_get(root, "devices");
  if (!ds || ds->type == JSON_NULL) return true;
  if (ds->type != JSON_ARRAY) return fail(e, "config", EINVAL, "\"devices\" must be an array");
  c->devices = (DeviceSpec *)calloc(json_length(ds) + 1, sizeof(DeviceSpec));
  if (!c->devices) return fail(e, "config", ENOMEM, "out of memory");
  for (const JsonNode *d = ds->child; d; d = d->next) {
    DeviceSpec *s = &c->devices[c->ndevices++];
    const char *type = nullptr;
    if (d->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"devices\" must hold objects");
    if (!json_string(d, "path", true, &s->path, e) || !json_string(d, "hostPath", true, &s->host_path, e) ||
        !json_string(d, "type", true, &type, e) || !json_uint(d, "major", &s->major, e) || !json_uint(d, "minor", &s->minor, e) ||
        !json_uint(d, "fileMode", &s->file_mode, e) || !json_uint(d, "uid", &s->uid, e) || !json_uint(d, "gid", &s->gid, e))
      return false;
    if (s->path[0] != '/' || s->host_path[0] != '/') return fail(e, "config", EINVAL, "device paths must be absolute (%s)", s->path);
    // The node is made under the rootfs before any realpath check: no ".." component may climb out.
    for (const char *p = s->path; (p = strstr(p, "..")); p += 2)
      if (p[-1] == '/' && (p[2] == '/' || p[2] == 0)) return fail(e, "config", EINVAL, "device path %s contains \"..\"", s->path);
    if (strcmp(type, "c") != 0 && strcmp(type, "b") != 0) return fail(e, "config", EINVAL, "device type %s: only c or b", type);
    s->block = type[0] == 'b';
    if (s->file_mode > 07777 || s->major > 0xfffff || s->minor > 0xfffff || s->uid > 0xffffffffu || s->gid > 0xffffffffu)
      return fail(e, "config", EINVAL, "device %s: mode, numbers or owner out of range", s->path);
  }
  return true;
}

bool config_from_json(const JsonNode *root, ShimConfig *c, Error *e) {
  memset(c, 0, sizeof *c);
  if (!root || root->type != JSON_OBJECT) return fail(e, "config", EINVAL, "shim config must be a JSON object");
  const JsonNode *ov, *proc, *log;
  if (!json_string(root, "id", true, &c->id, e)) return false;
  const JsonNode *rb = json_get(root, "rootfs");
  if (rb && rb->type != JSON_NULL) {
    const char *type = nullptr;
    if (rb->type != JSON_OBJECT || !json_string(rb, "type", true, &type, e) || !json_string(rb, "source", true, &c->rootfs_bind, e))
      return e->stage[0] ? false : fail(e, "config", EINVAL, "\"rootfs\" must be an object");
    if (strcmp(type, "bind") != 0) return fail(e, "config", EINVAL, "\"rootfs.type\" %s: only bind (overlay goes in \"overlay\")", type);
    if (c->rootfs_bind[0] != '/') return fail(e, "config", EINVAL, "\"rootfs.source\" must be absolute");
  }
  if (!c->rootfs_bind &&
      (!object(root, "overlay", &ov, e) || !json_string(ov, "cwd", true, &c->overlay.cwd, e) ||
       !json_string_array(ov, "lower", true, &c->overlay.lower, &c->overlay.nlower, e) ||
       !json_string(ov, "upper", false, &c->overlay.upper, e) || !json_string(ov, "work", false, &c->overlay.work, e) ||
       !json_bool(ov, "volatile", &c->overlay.volatile_upper, e)))
    return false;
  if (!c->rootfs_bind && c->overlay.nlower == 0) return fail(e, "config", EINVAL, "\"overlay.lower\" must not be empty");
  if (!c->overlay.upper != !c->overlay.work) return fail(e, "config", EINVAL, "\"overlay.upper\" and \"overlay.work\" go together");

  c->rootfs_propagation = "private";
  if (!json_string(root, "rootfsPropagation", false, &c->rootfs_propagation, e)) return false;
  if (!json_bool(root, "readonlyRootfs", &c->readonly_rootfs, e)) return false;
  if (!object(root, "process", &proc, e) || !parse_process(proc, &c->process, e)) return false;
  c->hostname = "";
  if (!json_string(root, "hostname", false, &c->hostname, e)) return false;

  c->net = "new";
  const JsonNode *ns = json_get(root, "namespaces");
  if (ns && ns->type != JSON_NULL && !json_string(ns, "net", false, &c->net, e)) return false;
  if (strcmp(c->net, "new") != 0 && strcmp(c->net, "host") != 0 && c->net[0] != '/')
    return fail(e, "config", EINVAL, "\"namespaces.net\" must be \"new\", \"host\" or a path");
  const char *uts = "new", *ipc = "new";
  if (ns && ns->type != JSON_NULL && (!json_string(ns, "uts", false, &uts, e) || !json_string(ns, "ipc", false, &ipc, e))) return false;
  if ((strcmp(uts, "new") != 0 && strcmp(uts, "host") != 0) || (strcmp(ipc, "new") != 0 && strcmp(ipc, "host") != 0))
    return fail(e, "config", EINVAL, "\"namespaces.uts\" and \"namespaces.ipc\" must be \"new\" or \"host\"");
  c->uts_host = strcmp(uts, "host") == 0;
  c->ipc_host = strcmp(ipc, "host") == 0;

  if (!json_string_array(root, "cgroups", false, &c->cgroups, &c->ncgroups, e)) return false;
  if (!parse_mounts(root, c, e)) return false;
  c->shm_size = 64 << 20;
  if (!json_uint(root, "shmSize", &c->shm_size, e)) return false;
  if (!json_string_array(root, "maskedPaths", false, &c->masked_paths, &c->nmasked, e) ||
      !json_string_array(root, "readonlyPaths", false, &c->readonly_paths, &c->nreadonly, e) ||
      !json_string_array(root, "sysctls", false, &c->sysctls, &c->nsysctls, e))
    return false;
  c->seccomp = true;
  if (!json_bool(root, "seccomp", &c->seccomp, e) || !seccomp_parse_filter(root, &c->seccomp_filter, e) ||
      !json_bool(root, "privileged", &c->privileged, e) || !parse_cgroup_mount(root, c, e) || !parse_devices(root, c, e))
    return false;

  if (!object(root, "log", &log, e) || !json_string(log, "path", true, &c->log_path, e)) return false;
  uint64_t max_files = 1;
  if (!json_uint(log, "maxSize", &c->log_max_size, e) || !json_uint(log, "maxFiles", &max_files, e)) return false;
  if (max_files < 1 || max_files > 1000) return fail(e, "config", EINVAL, "\"log.maxFiles\" must be 1..1000");
  c->log_max_files = (int)max_files;
  if (!json_string(root, "exitFile", true, &c->exit_file, e) || !json_string(root, "pidFile", true, &c->pid_file, e))
    return false;
  if (!json_string(root, "attachSocket", false, &c->attach_socket, e) || !json_bool(root, "waitForAttach", &c->wait_for_attach, e) ||
      !parse_console_size(root, &c->console_rows, &c->console_cols, e) || !parse_ports(root, c, e) || !parse_network(root, c, e))
    return false;
  if (c->wait_for_attach && !c->attach_socket) return fail(e, "config", EINVAL, "\"waitForAttach\" needs \"attachSocket\"");
  if (!userns_parse(root, &c->userns, e)) return false;
  if (c->userns.nuid && c->privileged) return fail(e, "config", EINVAL, "privileged mode is incompatible with user namespaces");
  return true;
}

bool exec_config_load(const char *path, ExecConfig *c, Error *e) {
  memset(c, 0, sizeof *c);
  size_t len;
  char *text = read_file(path, &len, e);
  if (!text) return false;
  JsonNode *root = json_parse(text, len, e);
  free(text);
  if (!root) return false;
  if (root->type != JSON_OBJECT) return fail(e, "config", EINVAL, "exec config must be a JSON object");
  uint64_t pid = 0;
  const JsonNode *proc;
  if (!json_uint(root, "pid", &pid, e)) return false;
  if (pid == 0 || pid > 0x7fffffff) return fail(e, "config", EINVAL, "\"pid\" must be a process id");
  c->pid = (int)pid;
  if (!json_string_array(root, "namespaces", false, &c->namespaces, &c->nnamespaces, e) ||
      !json_string_array(root, "cgroups", false, &c->cgroups, &c->ncgroups, e))
    return false;
  if (!object(root, "process", &proc, e) || !parse_process(proc, &c->process, e)) return false;
  c->seccomp = true;
  if (!json_string(root, "attachSocket", false, &c->attach_socket, e) || !json_string(root, "exitFile", true, &c->exit_file, e) ||
      !json_string(root, "pidFile", false, &c->pid_file, e) || !json_bool(root, "waitForAttach", &c->wait_for_attach, e) ||
      !json_bool(root, "seccomp", &c->seccomp, e) || !seccomp_parse_filter(root, &c->seccomp_filter, e) ||
      !parse_console_size(root, &c->console_rows, &c->console_cols, e))
    return false;
  if (c->wait_for_attach && !c->attach_socket) return fail(e, "config", EINVAL, "\"waitForAttach\" needs \"attachSocket\"");
  return true;
}

bool config_load(const char *path, ShimConfig *c, Error *e) {
  size_t len;
  char *text = read_file(path, &len, e);
  if (!text) return false;
  JsonNode *root = json_parse(text, len, e);
  free(text);
  return root && config_from_json(root, c, e);
}
