#include "dns_names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"

namespace {

// Re-reads f when its identity or size or mtime changed; true if it changed.
bool refresh_file(NameTables::File *f) {
  struct stat st;
  if (stat(f->path, &st) < 0) {
    bool had = f->text != nullptr || !f->seen;
    free(f->text);
    f->text = nullptr;
    f->seen = true;
    f->ino = 0;
    return had;
  }
  if (f->seen && st.st_dev == f->dev && st.st_ino == f->ino && st.st_size == f->size && st.st_mtim.tv_sec == f->mtime.tv_sec &&
      st.st_mtim.tv_nsec == f->mtime.tv_nsec)
    return false;
  Error e{};
  size_t len = 0;
  char *text = read_file(f->path, &len, &e);
  free(f->text);
  f->text = text;  // null when it vanished meanwhile: no names, retried at the next query
  f->seen = true;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->size = st.st_size;
  f->mtime = st.st_mtim;
  return true;
}

bool is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i])) return false;
  return true;
}

// Calls fn(ip, id, names, network) per endpoint line of a table; names is the rest of the line.
template <typename Fn>
void each_endpoint(const char *text, Fn fn) {
  char network[256] = "";
  for (const char *line = text; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char buf[2048];
    if (n < sizeof buf) {
      memcpy(buf, line, n);
      buf[n] = 0;
      if (strncmp(buf, "network ", 8) == 0) {
        snprintf(network, sizeof network, "%s", buf + 8);
      } else {
        char *save = nullptr;
        char *ip = strtok_r(buf, " \t", &save);
        char *id = ip ? strtok_r(nullptr, " \t", &save) : nullptr;
        in_addr a;
        if (id && inet_pton(AF_INET, ip, &a) == 1) fn(a.s_addr, id, save, network);
      }
    }
    line = end ? end + 1 : nullptr;
  }
}

bool name_in(const char *names, const char *q, size_t qlen) {
  for (const char *p = names; p && *p;) {
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strcspn(p, " \t");
    if (n == qlen && n && strncasecmp(p, q, n) == 0) return true;
    p += n;
  }
  return false;
}

bool endpoint_matches(const char *q, size_t qlen, const char *id, const char *names) {
  if (name_in(names, q, qlen)) return true;
  // Docker resolves the short id; any longer prefix of the id names the same container.
  return qlen >= 12 && qlen <= 64 && is_hex(q, qlen) && strncasecmp(id, q, qlen) == 0;
}

}  // namespace

void NameTables::init(const char *list_path) {
  snprintf(list_.path, sizeof list_.path, "%s", list_path);
}

void NameTables::refresh() {
  if (refresh_file(&list_)) {
    for (int i = 0; i < ntables_; i++) {
      free(tables_[i].text);
      tables_[i] = File{};
    }
    ntables_ = 0;
    for (const char *line = list_.text; line && *line && ntables_ < kMaxTables;) {
      const char *end = strchr(line, '\n');
      size_t n = end ? (size_t)(end - line) : strlen(line);
      if (n > 0 && n < sizeof tables_[0].path) {
        memcpy(tables_[ntables_].path, line, n);
        tables_[ntables_].path[n] = 0;
        ntables_++;
      }
      line = end ? end + 1 : nullptr;
    }
  }
  for (int i = 0; i < ntables_; i++) refresh_file(&tables_[i]);
}

void NameTables::lookup(const char *name, NameMatch *out) {
  out->nips = 0;
  out->known = false;
  refresh();
  size_t qlen = strlen(name);
  auto add = [out](uint32_t ip) {
    out->known = true;
    for (int k = 0; k < out->nips; k++)
      if (out->ips[k] == ip) return;
    if (out->nips < NameMatch::kMax) out->ips[out->nips++] = ip;
  };
  for (int i = 0; i < ntables_; i++) {
    if (!tables_[i].text) continue;
    each_endpoint(tables_[i].text, [&](uint32_t ip, const char *id, const char *names, const char *network) {
      if (endpoint_matches(name, qlen, id, names)) return add(ip);
      // "<name>.<network>"
      size_t nl = strlen(network);
      if (nl && qlen > nl + 1 && name[qlen - nl - 1] == '.' && strcasecmp(name + qlen - nl, network) == 0 &&
          endpoint_matches(name, qlen - nl - 1, id, names))
        add(ip);
    });
  }
}

bool NameTables::reverse(uint32_t ip, char *out, size_t cap) {
  refresh();
  bool found = false;
  for (int i = 0; i < ntables_ && !found; i++) {
    if (!tables_[i].text) continue;
    each_endpoint(tables_[i].text, [&](uint32_t a, const char *, const char *names, const char *network) {
      if (found || a != ip) return;
      while (*names == ' ' || *names == '\t') names++;
      size_t n = strcspn(names, " \t");
      if (!n) return;
      snprintf(out, cap, "%.*s%s%s", (int)n, names, network[0] ? "." : "", network);
      found = true;
    });
  }
  return found;
}
