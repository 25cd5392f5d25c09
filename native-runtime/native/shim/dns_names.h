// The names the embedded DNS server answers (docs/runtime.md, "Names and the embedded DNS server").
// The engine keeps one name table per user-defined network and one list per container naming the
// tables of its networks; both are replaced by atomic rename, so a stat per query tells whether to
// re-read them. A replica started later is therefore resolvable at once, from every peer, without the
// engine touching any peer's files.
//
//   table:  "network <name>\n" then one line per running endpoint: "<ipv4> <container id> <name>…\n"
//   list:   one table path per line
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct NameMatch {
  static const int kMax = 1024;  // replicas of one service; 16 KiB of A records over TCP
  uint32_t ips[kMax];  // network byte order, deduplicated
  int nips;
  bool known;          // some table has the name (an AAAA query for it then gets an empty answer)
};

class NameTables {
 public:
  void init(const char *list_path);
  // name: lower case, no trailing dot. Matches container names, aliases and hostnames, "<name>.<network>",
  // and container id prefixes of at least 12 hex digits.
  void lookup(const char *name, NameMatch *out);
  // "<container name>.<network name>" for a PTR query of ip (network byte order); false if unknown.
  bool reverse(uint32_t ip, char *out, size_t cap);

  struct File {
    char path[512];
    dev_t dev;
    ino_t ino;
    timespec mtime;
    off_t size;
    bool seen;  // stat()ed at least once
    char *text; // null: absent or empty
  };

 private:
  void refresh();
  static const int kMaxTables = 32;
  File list_{};
  File tables_[kMaxTables]{};
  int ntables_ = 0;
};
