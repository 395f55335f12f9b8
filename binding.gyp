{
  "variables": {
    "sanitize%": "0"
  },
  "targets": [
    {
      "target_name": "microvm_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/async_runner.cc",
        "native/src/builtin_host_calls.cc",
        "native/src/guest_image.cc",
        "native/src/guest_memory.cc",
        "native/src/host_error.cc",
        "native/src/host_print_record.cc",
        "native/src/js_convert.cc",
        "native/src/kvm.cc",
        "native/src/layout.cc",
        "native/src/machine.cc",
        "native/src/machine_debug.cc",
        "native/src/machine_exits.cc",
        "native/src/machine_registers.cc",
        "native/src/machine_run.cc",
        "native/src/memory_snapshot.cc",
        "native/src/page_tables.cc",
        "native/src/shared_image.cc",
        "native/src/slice_watchdog.cc",
        "native/src/system_tables.cc",
        "native/src/vcpu_thread.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror"],
      "conditions": [
        ["sanitize=='1'", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-O1", "-g"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
