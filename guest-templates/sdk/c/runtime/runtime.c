/*
 * The guest half of the Micro-VM Studio ABI (docs/guest-abi.md): initialisation, call dispatch,
 * host calls and aborts.
 *
 * Built with -mgeneral-regs-only (like heap.c, string.c and print.c): the runtime itself never
 * uses x87/SSE, so a call that involves no floating point leaves the vector unit alone. Floats
 * are handled in float.c and, for arguments and results, by mv_invoke in entry.S.
 */
#include "internal.h"

/* Linker-script symbols (microvm.ld). */
extern const mv_function_entry __microvm_functions_start[];
extern const mv_function_entry __microvm_functions_end[];
extern char __microvm_bss_start[];
extern char __microvm_bss_end[];
extern void (*const __microvm_init_array_start[])(void);
extern void (*const __microvm_init_array_end[])(void);

static mv_peb *mv__peb;

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */
/* ---------------------------------------------------------------------------------------- */

static const char *const mv__type_names[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};

static const char *mv__type_name(unsigned tag) {
  return tag < sizeof mv__type_names / sizeof mv__type_names[0] ? mv__type_names[tag] : "(invalid type)";
}

static uint8_t *mv__out(void) { return (uint8_t *)(uintptr_t)mv__peb->output_addr; }
static uint64_t mv__out_size(void) { return mv__peb->output_size; }

/* Does [p, p + len) lie inside [base, base + size)? Overflow-safe. */
static bool mv__inside(uint64_t p, uint64_t len, uint64_t base, uint64_t size) {
  return p >= base && p - base <= size && len <= size - (p - base);
}

/* Does [p, p + len) overlap [base, base + size)? */
static bool mv__overlaps(uint64_t p, uint64_t len, uint64_t base, uint64_t size) {
  if (len == 0 || size == 0) return false;
  return p < base + size && base < p + len;
}

static uint64_t mv__align8(uint64_t x) { return (x + 7u) & ~(uint64_t)7u; }

/* ---------------------------------------------------------------------------------------- */
/* Initialisation                                                                           */
/* ---------------------------------------------------------------------------------------- */

void mv__runtime_init(mv_peb *peb) {
  /* The host zero-fills memsz beyond filesz; clearing .bss again costs little and keeps the
   * runtime correct under a loader that does not. */
  memset(__microvm_bss_start, 0, (size_t)(__microvm_bss_end - __microvm_bss_start));

  if (peb == NULL || peb->magic != MV_MAGIC_PEB || peb->version != MV_ABI_VERSION) {
    /* Without a valid PEB there is no output buffer to report through: fault with #UD so the
     * host reports an exception during initialisation. */
    __builtin_trap();
  }
  mv__peb = peb;
  mv__heap_init(peb->heap_addr, peb->heap_size);

  /* Constructors (__attribute__((constructor))) run once, before the snapshot. */
  for (void (*const *f)(void) = __microvm_init_array_start; f < __microvm_init_array_end; f++) (*f)();

  peb->dispatch_function = (uint64_t)(uintptr_t)&mv_dispatch_entry;
}

const mv_peb *mv_get_peb(void) { return mv__peb; }

const mv_function_entry *mv_function_table(size_t *count) {
  if (count != NULL) *count = (size_t)(__microvm_functions_end - __microvm_functions_start);
  return __microvm_functions_start;
}

/* ---------------------------------------------------------------------------------------- */
/* Aborting                                                                                 */
/* ---------------------------------------------------------------------------------------- */

void mv_abort(int32_t code, const char *message) {
  if (mv__peb == NULL) __builtin_trap(); /* before initialisation: nowhere to write a record */
  uint8_t *out = mv__out();
  uint64_t size = mv__out_size();
  if (message == NULL) message = "(no message)";
  uint64_t len = strlen(message);
  /* The record is 16 bytes, then the message and its NUL. */
  uint64_t max = size > 17 ? size - 17 : 0;
  if (len > max) {
    len = max;
    while (len > 0 && ((uint8_t)message[len] & 0xC0u) == 0x80u) len--; /* keep UTF-8 whole */
  }
  memmove(out + 16, message, (size_t)len); /* the message may itself live in the output buffer */
  out[16 + len] = 0;
  mv_abort_record *rec = (mv_abort_record *)out;
  rec->magic = MV_MAGIC_ABORT;
  rec->code = code;
  rec->message_length = (uint32_t)len;
  rec->reserved = 0;
  MV_OUTB(MV_PORT_ABORT);
  for (;;) __asm__ volatile("hlt"); /* the host never resumes an aborted guest */
}

void abort(void) { mv_abort(MV_ABORT_CODE_ABORT, "abort() called"); }

void mv__assert_fail(const char *expr, const char *file, int line) {
  const char *base = file;
  for (const char *p = file; *p; p++)
    if (*p == '/' || *p == '\\') base = p + 1;
  mv_abortf(MV_ABORT_CODE_ASSERT, "assertion failed: %s (%s:%d)", expr, base, line);
}

/* ---------------------------------------------------------------------------------------- */
/* Dispatch                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* Writes a failed return record (status 1 or 2) whose result is a string message. */
__attribute__((format(printf, 2, 3))) static void mv__fail(uint32_t status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  mv_vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint8_t *out = mv__out();
  uint64_t size = mv__out_size();
  uint64_t len = strlen(msg);
  if (size < 33) mv_abort(MV_ABORT_CODE_RUNTIME, msg);
  if (len > size - 33) len = size - 33;
  while (len > 0 && ((uint8_t)msg[len] & 0xC0u) == 0x80u) len--;
  memcpy(out + 32, msg, (size_t)len);
  out[32 + len] = 0;
  mv_return_record *rec = (mv_return_record *)out;
  rec->magic = MV_MAGIC_RETURN;
  rec->status = status;
  rec->total_size = (uint32_t)(32 + len + 1);
  rec->reserved = 0;
  rec->result.tag = MV_STRING;
  rec->result.reserved[0] = rec->result.reserved[1] = rec->result.reserved[2] = 0;
  rec->result.len = (uint32_t)len;
  rec->result.as.u64 = (uint64_t)(uintptr_t)(out + 32);
}

static const mv_function_entry *mv__find_function(const char *name, uint32_t len) {
  for (const mv_function_entry *e = __microvm_functions_start; e < __microvm_functions_end; e++) {
    if (e->magic != MV_MAGIC_FUNCTION) continue;
    if (len < sizeof e->name && memcmp(e->name, name, len) == 0 && e->name[len] == '\0') return e;
  }
  return NULL;
}

void mv_dispatch(void) {
  const mv_peb *peb = mv__peb;
  const uint8_t *in = (const uint8_t *)(uintptr_t)peb->input_addr;
  const uint64_t in_size = peb->input_size;
  const mv_call_record *rec = (const mv_call_record *)in;

  /* The host builds this record; anything wrong with it is a host bug, so abort loudly. */
  if (in_size < sizeof *rec) mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: input buffer of %llu bytes", (unsigned long long)in_size);
  if (rec->magic != MV_MAGIC_CALL)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: magic 0x%08x, expected 0x%08x (MVC1)", rec->magic, MV_MAGIC_CALL);
  const uint32_t total = rec->total_size;
  const uint32_t argc = rec->arg_count;
  if (total < sizeof *rec || total > in_size)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: total size %u outside 24..%llu", total, (unsigned long long)in_size);
  if (argc > MV_MAX_PARAMS || sizeof *rec + 16u * (uint64_t)argc > total)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: %u arguments do not fit in %u bytes (at most 16)", argc, total);
  if (rec->name_offset > total || (uint64_t)rec->name_length + 1 > total - rec->name_offset)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: name at %u (+%u) outside the record of %u bytes", rec->name_offset,
              rec->name_length, total);
  const char *name = (const char *)in + rec->name_offset;
  if (name[rec->name_length] != '\0') mv_abortf(MV_ABORT_CODE_RUNTIME, "malformed call record: the function name is not NUL-terminated");

  const mv_function_entry *fn = mv__find_function(name, rec->name_length);
  if (fn == NULL) {
    mv__fail(MV_STATUS_UNKNOWN_FUNCTION, "no guest function named '%.*s'", (int)(rec->name_length > 80 ? 80 : rec->name_length), name);
    return;
  }
  if (argc != fn->param_count) {
    mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s takes %u argument%s, got %u", fn->name, fn->param_count, fn->param_count == 1 ? "" : "s",
             argc);
    return;
  }

  const mv_value *args = (const mv_value *)(in + sizeof *rec);
  uint64_t gpr[MV_MAX_GPR_PARAMS];
  uint64_t xmm[MV_MAX_XMM_PARAMS];
  for (unsigned i = 0; i < MV_MAX_GPR_PARAMS; i++) gpr[i] = 0;
  for (unsigned i = 0; i < MV_MAX_XMM_PARAMS; i++) xmm[i] = 0;
  unsigned ng = 0, nx = 0;
  for (uint32_t i = 0; i < argc; i++) {
    const mv_value *a = &args[i];
    const unsigned want = fn->param_types[i];
    if (a->tag != want) {
      mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s: argument %u has type %s, expected %s", fn->name, i + 1, mv__type_name(a->tag),
               mv__type_name(want));
      return;
    }
    const uint64_t v = a->as.u64;
    if (want == MV_STRING || want == MV_BYTES) {
      const uint64_t need = (uint64_t)a->len + (want == MV_STRING ? 1u : 0u);
      if (!mv__inside(v, need, peb->input_addr, in_size)) {
        mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s: argument %u (%s of %u bytes at 0x%llx) lies outside the input buffer", fn->name, i + 1,
                 mv__type_name(want), a->len, (unsigned long long)v);
        return;
      }
      if (want == MV_STRING) {
        const char *s = (const char *)(uintptr_t)v;
        if (s[a->len] != '\0') {
          mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s: argument %u (string) is not NUL-terminated", fn->name, i + 1);
          return;
        }
        if (strlen(s) != a->len) {
          mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s: argument %u (string) contains a NUL character, which C strings cannot carry", fn->name,
                   i + 1);
          return;
        }
      }
    }
    const unsigned gneed = want == MV_BYTES ? 2u : (want == MV_F32 || want == MV_F64) ? 0u : 1u;
    const unsigned xneed = (want == MV_F32 || want == MV_F64) ? 1u : 0u;
    if (ng + gneed > MV_MAX_GPR_PARAMS || nx + xneed > MV_MAX_XMM_PARAMS)
      mv_abortf(MV_ABORT_CODE_RUNTIME, "%s: the function table declares more parameters than fit in registers", fn->name);
    switch (want) {
      case MV_I32: gpr[ng++] = (uint64_t)(int64_t)(int32_t)v; break;
      case MV_U32: gpr[ng++] = (uint32_t)v; break;
      case MV_I64:
      case MV_U64:
      case MV_STRING: gpr[ng++] = v; break;
      case MV_BOOL: gpr[ng++] = v != 0; break;
      case MV_BYTES:
        gpr[ng++] = v;
        gpr[ng++] = a->len;
        break;
      case MV_F32: xmm[nx++] = v & 0xFFFFFFFFu; break;
      case MV_F64: xmm[nx++] = v; break;
      default:
        mv__fail(MV_STATUS_BAD_ARGUMENTS, "%s: parameter %u has an invalid type tag %u", fn->name, i + 1, want);
        return;
    }
  }

  uint64_t ret[4] = {0, 0, 0, 0}; /* RAX, RDX, XMM0 low, XMM0 high */
  uint32_t sse = nx > 0 ? MV__INVOKE_LOAD_XMM : 0u;
  if (fn->return_type == MV_F32 || fn->return_type == MV_F64) sse |= MV__INVOKE_STORE_XMM0;
  mv_invoke(fn->function, gpr, xmm, ret, sse);

  uint8_t *out = mv__out();
  const uint64_t out_size = mv__out_size();
  const uint64_t capacity = out_size > 32 ? out_size - 32 : 0; /* bytes available after the header */
  mv_value result = {MV_VOID, {0, 0, 0}, 0, {0}};
  uint64_t used = 32;
  result.tag = fn->return_type;
  switch (fn->return_type) {
    case MV_VOID: break;
    case MV_I32: result.as.i64 = (int32_t)ret[0]; break;
    case MV_U32: result.as.u64 = (uint32_t)ret[0]; break;
    case MV_I64:
    case MV_U64: result.as.u64 = ret[0]; break;
    case MV_BOOL: result.as.u64 = (ret[0] & 0xFFu) != 0; break; /* only AL is defined */
    case MV_F32: result.as.u64 = ret[2] & 0xFFFFFFFFu; break;
    case MV_F64: result.as.u64 = ret[2]; break;
    case MV_STRING: {
      const char *s = (const char *)(uintptr_t)ret[0];
      if (s == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "guest function %s returned a NULL string", fn->name);
      const uint64_t len = strlen(s);
      if (len + 1 > capacity)
        mv_abortf(MV_ABORT_CODE_RUNTIME,
                  "guest function %s returned a string of %llu bytes, but the output buffer (%llu bytes) holds at most %llu bytes of "
                  "string result (%llu-byte record header, 1 byte for the NUL)",
                  fn->name, (unsigned long long)len, (unsigned long long)out_size, (unsigned long long)(capacity ? capacity - 1 : 0),
                  32ull);
      memmove(out + 32, s, (size_t)len + 1); /* the string may already live in the output buffer */
      result.len = (uint32_t)len;
      result.as.u64 = (uint64_t)(uintptr_t)(out + 32);
      used = 32 + len + 1;
      break;
    }
    case MV_BYTES: {
      const uint8_t *data = (const uint8_t *)(uintptr_t)ret[0];
      const uint64_t len = ret[1];
      if (data == NULL && len != 0) mv_abortf(MV_ABORT_CODE_RUNTIME, "guest function %s returned bytes with a NULL data pointer", fn->name);
      if (len > capacity)
        mv_abortf(MV_ABORT_CODE_RUNTIME,
                  "guest function %s returned %llu bytes, but the output buffer (%llu bytes) holds at most %llu bytes of result "
                  "(%llu-byte record header)",
                  fn->name, (unsigned long long)len, (unsigned long long)out_size, (unsigned long long)capacity, 32ull);
      if (len != 0) memmove(out + 32, data, (size_t)len);
      result.len = (uint32_t)len;
      result.as.u64 = (uint64_t)(uintptr_t)(out + 32);
      used = 32 + len;
      break;
    }
    default: mv_abortf(MV_ABORT_CODE_RUNTIME, "guest function %s has an invalid return type tag %u", fn->name, fn->return_type);
  }

  mv_return_record *r = (mv_return_record *)out;
  r->magic = MV_MAGIC_RETURN;
  r->status = MV_STATUS_OK;
  r->total_size = (uint32_t)used;
  r->reserved = 0;
  r->result = result;
  /* entry.S executes `out 0xE1` when we return. */
}

/* ---------------------------------------------------------------------------------------- */
/* Host calls                                                                               */
/* ---------------------------------------------------------------------------------------- */

mv_value mv_val_string(const char *s) {
  return mv__val(MV_STRING, s != NULL ? (uint32_t)strlen(s) : 0u, (uint64_t)(uintptr_t)s);
}

/* Lays the record out at `dst`; slot addresses refer to `final` (the output buffer). */
static void mv__build_host_call(uint8_t *dst, uint8_t *final, uint64_t total, const char *name, uint64_t name_len, mv_type ret,
                                const mv_value *args, uint32_t nargs, const uint64_t *lens, const uint64_t *offsets,
                                uint64_t name_off) {
  memset(dst, 0, (size_t)total);
  mv_host_call_record *h = (mv_host_call_record *)dst;
  h->magic = MV_MAGIC_HOST_CALL;
  h->total_size = (uint32_t)total;
  h->name_offset = (uint32_t)name_off;
  h->name_length = (uint32_t)name_len;
  h->arg_count = nargs;
  h->return_type = (uint32_t)ret;
  memcpy(dst + name_off, name, (size_t)name_len); /* NUL already there from the memset */
  mv_value *slots = (mv_value *)(dst + sizeof *h);
  for (uint32_t i = 0; i < nargs; i++) {
    mv_value s = args[i];
    s.reserved[0] = s.reserved[1] = s.reserved[2] = 0;
    if (s.tag == MV_STRING || s.tag == MV_BYTES) {
      if (lens[i] != 0) memcpy(dst + offsets[i], args[i].as.data, (size_t)lens[i]);
      s.len = (uint32_t)lens[i];
      s.as.u64 = (uint64_t)(uintptr_t)(final + offsets[i]);
    } else {
      s.len = 0;
      if (s.tag == MV_F32) s.as.u64 &= 0xFFFFFFFFu;
      if (s.tag == MV_BOOL) s.as.u64 = s.as.u64 != 0;
    }
    slots[i] = s;
  }
}

void mv_host_call(const char *name, mv_type ret, const mv_value *args, uint32_t nargs, mv_value *result) {
  if (mv__peb == NULL) __builtin_trap();
  if (name == NULL) mv_abort(MV_ABORT_CODE_RUNTIME, "mv_host_call: NULL function name");
  char shown[72]; /* the name for error messages: the record overwrites the original */
  mv_snprintf(shown, sizeof shown, "%.64s", name);
  if ((unsigned)ret > MV_BYTES) mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: invalid return type tag %u", shown, (unsigned)ret);
  if (nargs > MV_MAX_HOST_CALL_ARGS)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: %u arguments, at most %d are allowed", shown, nargs, MV_MAX_HOST_CALL_ARGS);
  if (nargs > 0 && args == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: NULL argument array", shown);

  uint8_t *out = mv__out();
  const uint64_t out_size = mv__out_size();
  const uint64_t name_len = strlen(name);
  bool overlap = mv__overlaps((uint64_t)(uintptr_t)name, name_len + 1, (uint64_t)(uintptr_t)out, out_size);

  /* Layout: header, slots, name, then each string/bytes payload, each 8-byte aligned. */
  uint64_t lens[MV_MAX_HOST_CALL_ARGS] = {0};
  uint64_t offsets[MV_MAX_HOST_CALL_ARGS] = {0};
  const uint64_t name_off = sizeof(mv_host_call_record) + 16u * (uint64_t)nargs;
  uint64_t end = name_off + name_len + 1;
  for (uint32_t i = 0; i < nargs; i++) {
    const mv_value *a = &args[i];
    if (a->tag == MV_VOID || a->tag > MV_BYTES)
      mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: argument %u has an invalid type tag %u", shown, i + 1, a->tag);
    if (a->tag != MV_STRING && a->tag != MV_BYTES) continue;
    if (a->tag == MV_STRING) {
      if (a->as.str == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: argument %u is a NULL string", shown, i + 1);
      lens[i] = strlen(a->as.str); /* the SDK always sends the whole C string */
    } else {
      lens[i] = a->len;
      if (a->as.data == NULL && lens[i] != 0)
        mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: argument %u is bytes with a NULL data pointer", shown, i + 1);
    }
    const uint64_t span = lens[i] + (a->tag == MV_STRING ? 1u : 0u);
    offsets[i] = mv__align8(end);
    end = offsets[i] + span;
    if (mv__overlaps(a->as.u64, span, (uint64_t)(uintptr_t)out, out_size)) overlap = true;
    if (end > out_size) break; /* reported below */
  }
  if (end > out_size || end > UINT32_MAX)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: the arguments need at least %llu bytes but the output buffer holds %llu", shown,
              (unsigned long long)end, (unsigned long long)out_size);

  if (overlap) {
    /* An argument lives in the output buffer (typically an earlier host-call result): build the
     * record in a heap copy first so that writing it does not clobber the argument. */
    uint8_t *staging = malloc((size_t)end);
    if (staging == NULL)
      mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: an argument lies in the output buffer and no heap is left to copy it (%llu bytes)",
                shown, (unsigned long long)end);
    mv__build_host_call(staging, out, end, name, name_len, ret, args, nargs, lens, offsets, name_off);
    memcpy(out, staging, (size_t)end);
    free(staging);
  } else {
    mv__build_host_call(out, out, end, name, name_len, ret, args, nargs, lens, offsets, name_off);
  }

  MV_OUTB(MV_PORT_HOST_CALL);

  /* Validate the reply the host wrote over the record. */
  const mv_host_reply_record *rep = (const mv_host_reply_record *)out;
  if (rep->magic != MV_MAGIC_HOST_REPLY)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: malformed reply: magic 0x%08x, expected 0x%08x (MVHR)", shown, rep->magic,
              MV_MAGIC_HOST_REPLY);
  if (rep->status != 0) mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: the host answered with status %u", shown, rep->status);
  if (rep->total_size < sizeof *rep || rep->total_size > out_size)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: malformed reply: total size %u outside 32..%llu", shown, rep->total_size,
              (unsigned long long)out_size);
  if (rep->result.tag != (uint8_t)ret)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: the host returned %s, expected %s", shown, mv__type_name(rep->result.tag),
              mv__type_name(ret));
  if (ret == MV_STRING || ret == MV_BYTES) {
    const uint64_t p = rep->result.as.u64;
    const uint64_t need = (uint64_t)rep->result.len + (ret == MV_STRING ? 1u : 0u);
    if (!mv__inside(p, need, (uint64_t)(uintptr_t)out, out_size))
      mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: malformed reply: %s result of %u bytes at 0x%llx lies outside the output buffer",
                shown, mv__type_name(ret), rep->result.len, (unsigned long long)p);
    if (ret == MV_STRING && ((const char *)(uintptr_t)p)[rep->result.len] != '\0')
      mv_abortf(MV_ABORT_CODE_RUNTIME, "host call %s: malformed reply: the string result is not NUL-terminated", shown);
  }
  if (result != NULL) *result = rep->result;
}

int32_t HostPrint(const char *s) {
  mv_value arg = mv_val_string(s != NULL ? s : "(null)");
  mv_value r;
  mv_host_call("HostPrint", MV_I32, &arg, 1, &r);
  return r.as.i32;
}

int32_t mv_print(const char *s) { return HostPrint(s); }
