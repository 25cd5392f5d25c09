#include "overlay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

// Overlay splits its options on ',' and lowerdir on ':'; such paths cannot be expressed safely.
static bool safe_component(const char *s) { return strpbrk(s, ",:") == nullptr; }

bool overlay_mount(const OverlaySpec &spec, const char *target, bool readonly, Error *e) {
  // The kernel copies mount data into a single page, NUL included.
  char opts[4096];
  size_t n = 0;
  auto append = [&](const char *s) {
    size_t l = strlen(s);
    if (n + l >= sizeof opts) return false;
    memcpy(opts + n, s, l);
    n += l;
    opts[n] = 0;
    return true;
  };
  bool fits = append("lowerdir=");
  for (int i = 0; i < spec.nlower && fits; i++) {
    if (!safe_component(spec.lower[i])) return fail(e, "overlay", EINVAL, "lower dir %s contains ',' or ':'", spec.lower[i]);
    fits = (i == 0 || append(":")) && append(spec.lower[i]);
  }
  if (spec.upper) {
    if (!safe_component(spec.upper) || !safe_component(spec.work))
      return fail(e, "overlay", EINVAL, "upper/work dir contains ',' or ':'");
    fits = fits && append(",upperdir=") && append(spec.upper) && append(",workdir=") && append(spec.work);
    if (spec.volatile_upper) fits = fits && append(",volatile");
  }
  if (!fits) return fail(e, "overlay", E2BIG, "overlay options for %d lowers exceed one page even relative to %s", spec.nlower, spec.cwd);

  if (chdir(spec.cwd) < 0) return fail(e, "overlay", errno, "chdir %s", spec.cwd);
  // A volatile mount leaves work/work/incompat/volatile behind and overlay refuses the next volatile mount
  // while it exists. Only containers whose upper is discarded at exit are mounted volatile, so a marker
  // from an earlier run of the same upper (a restart) is cleared rather than obeyed.
  if (spec.upper && spec.volatile_upper) {
    // What the kernel leaves: incompat/volatile/dirty (an empty file) in two directories.
    const char *const marker[] = {"work/incompat/volatile/dirty", "work/incompat/volatile", "work/incompat"};
    for (int i = 0; i < 3; i++) {
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", spec.work, marker[i]);
      if ((i == 0 ? unlink(p) : rmdir(p)) < 0 && errno != ENOENT) break;
    }
  }
  unsigned long flags = readonly ? MS_RDONLY : 0;
  if (mount("overlay", target, "overlay", flags, opts) < 0) return fail(e, "overlay", errno, "mount overlay on %s (%s)", target, opts);
  return true;
}
