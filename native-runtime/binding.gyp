{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/lock.cc",
        "native/addon/mount.cc",
        "native/addon/fs.cc",
        "native/addon/net.cc",
        "native/addon/layer_tar.cc",
        "native/addon/thread_ids.cc",
        "native/addon/in_root.cc",
        "native/addon/spawn.cc",
        "native/shim/netlink.cc",
        "native/shim/error.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-Wall", "-Wextra"]
    },
    {
      "target_name": "berth-shim",
      "type": "executable",
      "sources": [
        "native/shim/main.cc",
        "native/shim/config.cc",
        "native/shim/json.cc",
        "native/shim/error.cc",
        "native/shim/fsutil.cc",
        "native/shim/event_loop.cc",
        "native/shim/namespaces.cc",
        "native/shim/rootfs.cc",
        "native/shim/overlay.cc",
        "native/shim/seccomp.cc",
        "native/shim/capabilities.cc",
        "native/shim/cgroups_join.cc",
        "native/shim/logger.cc",
        "native/shim/process.cc",
        "native/shim/init.cc",
        "native/shim/terminal.cc",
        "native/shim/supervisor.cc",
        "native/shim/dns.cc",
        "native/shim/dns_names.cc",
        "native/shim/launch.cc",
        "native/shim/attach.cc",
        "native/shim/ports.cc",
        "native/shim/netlink.cc",
        "native/shim/network.cc",
        "native/shim/exec.cc",
        "native/shim/userns.cc"
      ],
      "cflags!": ["-fPIC", "-pthread"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17", "-pthread", "-fPIC"],
      "cflags_cc": ["-std=c++17", "-Os", "-ffunction-sections", "-fdata-sections", "-fno-exceptions", "-fno-rtti", "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra", "-Wno-format-truncation"],
      "ldflags!": ["-rdynamic", "-pthread"],
      "ldflags": ["-static", "-s", "-Wl,--gc-sections", "-Wl,-O1"]
    }
  ]
}
