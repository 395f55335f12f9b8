/*
 * kvm-floor: what raw KVM costs on this machine, with no Micro-VM Studio code in the way.
 * `npm run bench` compiles it with gcc and quotes every figure of the engine as a ratio to these.
 *
 *   kvm-floor [--exits N] [--creates N] [--ioctls N]    prints one JSON object on stdout
 *
 * The guest is shaped like ours: 64-bit long mode, 4 KiB identity paging over 2 MiB, a GDT with
 * ring-0 and ring-3 segments, a TSS whose I/O bitmap opens ports 0x00-0xff to ring 3, and guest
 * memory registered with KVM_MEM_LOG_DIRTY_PAGES. Its code is `out 0xE0, al; jmp back`, so each
 * KVM_RUN returns after exactly one port-I/O exit. It runs once in ring 3 (how our guests run) and
 * once in ring 0, because paravirtualised KVM (PVM) runs ring 3 natively but emulates ring 0; and
 * once as a ring-3 MMIO store (a page mapped past the memory slot), the other way out of a VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (2u << 20)
#define GDT 0x1000u
#define TSS 0x2000u
#define PML4 0x10000u
#define CODE 0x100000u
#define MMIO_CODE 0x101000u
#define MMIO 0x200000u /* just past the memory slot: a store there is an MMIO exit */
#define PORT 0xE0
#define TSS_IOMAP 104u
#define TSS_LIMIT (TSS_IOMAP + 32u) /* bitmap for ports 0-255, then the 0xff terminator byte */

static int kvm_fd;
static int run_size;
static struct kvm_cpuid2 *cpuid;

static void die(const char *what) {
  fprintf(stderr, "kvm-floor: %s failed: %s\n", what, strerror(errno));
  exit(1);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

struct vm {
  int vm_fd, vcpu_fd;
  uint8_t *mem;
  struct kvm_run *run;
};

/* Page tables, GDT, TSS and code: written by the host before the VM starts, as our engine does. */
static void write_guest(uint8_t *mem) {
  uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = pml4 + 512, *pd = pdpt + 512, *pt = pd + 512;
  const uint64_t upper = 0x7; /* present, writable, user */
  pml4[0] = (PML4 + 0x1000) | upper;
  pdpt[0] = (PML4 + 0x2000) | upper;
  pd[0] = (PML4 + 0x3000) | upper;
  pd[1] = MMIO | upper | 0x80; /* one 2 MiB page over the MMIO hole */
  for (uint64_t i = 1; i < 512; i++) pt[i] = (i * 0x1000) | 0x67; /* + accessed, dirty */

  uint64_t *gdt = (uint64_t *)(mem + GDT);
  gdt[1] = 0x00AF9B000000FFFFull; /* 0x08 ring-0 code */
  gdt[2] = 0x00CF93000000FFFFull; /* 0x10 ring-0 data */
  gdt[3] = 0x00CFF3000000FFFFull; /* 0x1b ring-3 data */
  gdt[4] = 0x00AFFB000000FFFFull; /* 0x23 ring-3 code */
  gdt[5] = (TSS_LIMIT & 0xFFFFull) | ((uint64_t)TSS << 16) | (0x8Bull << 40); /* 0x28 busy TSS */
  gdt[6] = 0;

  uint8_t *tss = mem + TSS;
  uint16_t iomap = TSS_IOMAP;
  memcpy(tss + 102, &iomap, 2);
  memset(tss + TSS_IOMAP, 0, 32); /* 0 = port allowed */
  tss[TSS_LIMIT] = 0xFF;

  static const uint8_t loop[] = {0xE6, PORT, 0xEB, 0xFC}; /* out 0xE0, al; jmp -4 */
  memcpy(mem + CODE, loop, sizeof loop);
  static const uint8_t store[] = {0x88, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0xEB, 0xF7}; /* mov [MMIO], al; jmp -9 */
  memcpy(mem + MMIO_CODE, store, sizeof store);
}

static struct kvm_segment segment(uint16_t selector, int code, int dpl) {
  struct kvm_segment s = {0};
  s.base = 0;
  s.limit = 0xFFFFFFFF;
  s.selector = selector;
  s.type = code ? 11 : 3;
  s.present = 1;
  s.dpl = dpl;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

static void set_cpu_state(struct vm *vm, int ring, uint64_t rip) {
  struct kvm_sregs sregs;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) != 0) die("KVM_GET_SREGS");
  sregs.cs = ring == 3 ? segment(0x23, 1, 3) : segment(0x08, 1, 0);
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ring == 3 ? segment(0x1b, 0, 3) : segment(0x10, 0, 0);
  struct kvm_segment tr = {0};
  tr.base = TSS;
  tr.limit = TSS_LIMIT;
  tr.selector = 0x28;
  tr.type = 11;
  tr.present = 1;
  sregs.tr = tr;
  sregs.ldt.unusable = 1;
  sregs.ldt.type = 2;
  sregs.gdt.base = GDT;
  sregs.gdt.limit = 7 * 8 - 1;
  sregs.idt.base = 0;
  sregs.idt.limit = 0;
  sregs.cr0 = 0x80050033; /* PG WP NE ET MP PE */
  sregs.cr3 = PML4;
  sregs.cr4 = 0x620; /* OSXMMEXCPT OSFXSR PAE */
  sregs.efer = 0xD00; /* NXE LMA LME */
  if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) != 0) die("KVM_SET_SREGS");
  struct kvm_regs regs = {0};
  regs.rip = rip;
  regs.rflags = 0x2;
  regs.rsp = MEM_SIZE;
  if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) != 0) die("KVM_SET_REGS");
}

/* Everything a runnable VM needs: VM, memory slot, vCPU, its run area, CPUID and registers. */
static void vm_create(struct vm *vm, int ring, uint64_t rip) {
  vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  if (vm->vm_fd < 0) die("KVM_CREATE_VM");
  vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (vm->mem == MAP_FAILED) die("mmap guest memory");
  write_guest(vm->mem);
  struct kvm_userspace_memory_region region = {
      .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
      .userspace_addr = (uint64_t)(uintptr_t)vm->mem};
  if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0) die("KVM_SET_USER_MEMORY_REGION");
  vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
  if (vm->vcpu_fd < 0) die("KVM_CREATE_VCPU");
  vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
  if (vm->run == MAP_FAILED) die("mmap kvm_run");
  if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) != 0) die("KVM_SET_CPUID2");
  set_cpu_state(vm, ring, rip);
}

static void vm_destroy(struct vm *vm) {
  munmap(vm->run, run_size);
  close(vm->vcpu_fd);
  close(vm->vm_fd);
  munmap(vm->mem, MEM_SIZE);
}

static void run_to_exit(struct vm *vm) {
  if (ioctl(vm->vcpu_fd, KVM_RUN, 0) != 0) die("KVM_RUN");
  const struct kvm_run *r = vm->run;
  if (r->exit_reason == KVM_EXIT_IO && r->io.port == PORT) return;
  if (r->exit_reason == KVM_EXIT_MMIO && r->mmio.phys_addr == MMIO) return;
  fprintf(stderr, "kvm-floor: unexpected exit reason %u\n", r->exit_reason);
  exit(1);
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Prints `"name": {mean_us, p50_us, p99_us, min_us, n}` and sorts the samples in place. */
static void print_stats(const char *name, double *samples, int n, int last) {
  double sum = 0;
  for (int i = 0; i < n; i++) sum += samples[i];
  qsort(samples, n, sizeof *samples, compare);
  printf("  \"%s\": {\"mean_us\": %.3f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"min_us\": %.3f, \"n\": %d}%s\n", name,
         sum / n, samples[n / 2], samples[(int)((n - 1) * 0.99)], samples[0], n, last ? "" : ",");
}

static void measure_exits(const char *name, int ring, uint64_t rip, int n, double *samples) {
  struct vm vm;
  vm_create(&vm, ring, rip);
  for (int i = 0; i < 100; i++) run_to_exit(&vm); /* warm up */
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    run_to_exit(&vm);
    samples[i] = now_us() - t0;
  }
  vm_destroy(&vm);
  print_stats(name, samples, n, 0);
}

static void measure_lifecycle(int n, double *create, double *first_run, double *destroy, double *total) {
  for (int i = 0; i < n; i++) {
    struct vm vm;
    double t0 = now_us();
    vm_create(&vm, 3, CODE);
    double t1 = now_us();
    run_to_exit(&vm);
    double t2 = now_us();
    vm_destroy(&vm);
    double t3 = now_us();
    create[i] = t1 - t0;
    first_run[i] = t2 - t1;
    destroy[i] = t3 - t2;
    total[i] = t3 - t0;
  }
  print_stats("vm_create", create, n, 0);
  print_stats("vm_first_exit", first_run, n, 0);
  print_stats("vm_destroy", destroy, n, 0);
  print_stats("vm_lifecycle", total, n, 0);
}

/* The per-ioctl costs that restore and call setup pay. */
static void measure_ioctls(int n, double *samples) {
  struct vm vm;
  vm_create(&vm, 3, CODE);
  run_to_exit(&vm);
  struct kvm_regs regs;
  struct kvm_sregs sregs;
  struct kvm_xsave *xsave = calloc(1, 4096 * 4);
  uint64_t bitmap[MEM_SIZE / 4096 / 64];
  struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = bitmap};
  if (!xsave) die("calloc");
  if (ioctl(vm.vcpu_fd, KVM_GET_REGS, &regs) != 0) die("KVM_GET_REGS");
  if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs) != 0) die("KVM_GET_SREGS");
  if (ioctl(vm.vcpu_fd, KVM_GET_XSAVE, xsave) != 0) die("KVM_GET_XSAVE");
  const struct {
    const char *name;
    int fd;
    unsigned long request;
    void *arg;
  } calls[] = {
      {"ioctl_get_regs", vm.vcpu_fd, KVM_GET_REGS, &regs},    {"ioctl_set_regs", vm.vcpu_fd, KVM_SET_REGS, &regs},
      {"ioctl_get_sregs", vm.vcpu_fd, KVM_GET_SREGS, &sregs}, {"ioctl_set_sregs", vm.vcpu_fd, KVM_SET_SREGS, &sregs},
      {"ioctl_set_xsave", vm.vcpu_fd, KVM_SET_XSAVE, xsave},  {"ioctl_get_dirty_log", vm.vm_fd, KVM_GET_DIRTY_LOG, &log},
  };
  const int count = sizeof calls / sizeof calls[0];
  for (int c = 0; c < count; c++) {
    for (int i = 0; i < n; i++) {
      double t0 = now_us();
      if (ioctl(calls[c].fd, calls[c].request, calls[c].arg) != 0) die(calls[c].name);
      samples[i] = now_us() - t0;
    }
    print_stats(calls[c].name, samples, n, c == count - 1);
  }
  free(xsave);
  vm_destroy(&vm);
}

static int option(int argc, char **argv, const char *name, int fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) {
      int value = atoi(argv[i + 1]);
      if (value <= 0) {
        fprintf(stderr, "kvm-floor: %s needs a positive integer\n", name);
        exit(2);
      }
      return value;
    }
  return fallback;
}

int main(int argc, char **argv) {
  const int exits = option(argc, argv, "--exits", 20000);
  const int creates = option(argc, argv, "--creates", 200);
  const int ioctls = option(argc, argv, "--ioctls", 2000);

  kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm_fd < 0) die("open /dev/kvm");
  const int api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
  run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) die("KVM_GET_VCPU_MMAP_SIZE");
  for (int entries = 64;; entries *= 2) {
    cpuid = realloc(cpuid, sizeof *cpuid + entries * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid) die("realloc");
    cpuid->nent = entries;
    if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0) break;
    if (errno != E2BIG || entries >= 4096) die("KVM_GET_SUPPORTED_CPUID");
  }

  int most = exits > creates ? exits : creates;
  if (ioctls > most) most = ioctls;
  double *a = malloc(sizeof(double) * most), *b = malloc(sizeof(double) * most);
  double *c = malloc(sizeof(double) * most), *d = malloc(sizeof(double) * most);
  if (!a || !b || !c || !d) die("malloc");

  printf("{\n  \"kvm_api_version\": %d,\n", api);
  measure_exits("exit_ring3", 3, CODE, exits, a);
  measure_exits("exit_ring0", 0, CODE, exits, a);
  measure_exits("exit_ring3_mmio", 3, MMIO_CODE, exits, a);
  measure_lifecycle(creates, a, b, c, d);
  measure_ioctls(ioctls, a);
  printf("}\n");
  return 0;
}
