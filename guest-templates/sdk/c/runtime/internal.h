/* Private declarations shared by the runtime's source files. Not part of the SDK's API. */
#ifndef MICROVM_INTERNAL_H
#define MICROVM_INTERNAL_H

#include "microvm.h"

/* entry.S */
#define MV__INVOKE_LOAD_XMM 1u    /* load XMM0-7 from the xmm array before the call */
#define MV__INVOKE_STORE_XMM0 2u  /* store XMM0 into out[2..3] after the call */
void mv_dispatch_entry(void);
void mv_invoke(void (*fn)(void), const uint64_t *gpr, const uint64_t *xmm, uint64_t *out, uint32_t flags);

/* runtime.c, called from entry.S */
void mv__runtime_init(mv_peb *peb);
void mv_dispatch(void);

/* heap.c */
void mv__heap_init(uint64_t address, uint64_t size);

/* print.c: the formatter's output sink and conversion spec, shared with float.c */
typedef struct mv__sink {
  char *buf;
  size_t cap;    /* snprintf: the caller's size; printing: MV__PRINT_CHUNK */
  size_t len;    /* bytes held in buf */
  size_t total;  /* bytes produced so far */
  bool printing; /* flush through HostPrint instead of truncating */
} mv__sink;

typedef struct mv__spec {
  bool left, zero, plus, space, alt;
  int width;     /* 0 when absent */
  int precision; /* -1 when absent */
} mv__spec;

/* Emits prefix + `zeros` zeros + body, padded to the spec's width. */
void mv__emit(mv__sink *s, const mv__spec *sp, const char *prefix, size_t prefix_len, int zeros, const char *body, size_t body_len);

/* float.c: formats the next `double` argument (%f). The only place the formatter touches SSE. */
void mv__format_double_arg(mv__sink *s, const mv__spec *sp, va_list *ap);

#endif
