/*
 * The guest heap: first fit over the PEB heap region with an address-ordered free list that
 * coalesces neighbours on free. Every block starts with a 16-byte header, so payloads are
 * 16-byte aligned. malloc returns NULL when no free block is large enough.
 *
 * Block header:
 *   size  bytes in the block, header included, a multiple of 16
 *   link  free block: the next free block (higher address) or NULL;
 *         allocated block: MV__HEAP_USED, which free() checks to catch bad and double frees
 */
#include "internal.h"

typedef struct mv__block {
  uint64_t size;
  struct mv__block *next;
} mv__block;

#define MV__HEAP_USED ((mv__block *)(uintptr_t)0x444553552D564D55ull) /* "UMV-USED" */
#define MV__HDR ((uint64_t)sizeof(mv__block))
#define MV__MIN_BLOCK (2 * MV__HDR) /* a header plus at least 16 bytes of payload */

_Static_assert(sizeof(mv__block) == 16, "heap header must be 16 bytes");

static mv__block *mv__free_list;
static uint64_t mv__heap_lo, mv__heap_hi;

void mv__heap_init(uint64_t address, uint64_t size) {
  uint64_t lo = (address + 15u) & ~(uint64_t)15u;
  uint64_t hi = (address + size) & ~(uint64_t)15u;
  mv__free_list = NULL;
  mv__heap_lo = lo;
  mv__heap_hi = lo;
  if (size == 0 || hi <= lo || hi - lo < MV__MIN_BLOCK) return;
  mv__heap_hi = hi;
  mv__free_list = (mv__block *)(uintptr_t)lo;
  mv__free_list->size = hi - lo;
  mv__free_list->next = NULL;
}

/* Header size plus the payload rounded up to 16; 0 when the request cannot be satisfied. */
static uint64_t mv__block_size(size_t n) {
  if ((uint64_t)n > mv__heap_hi - mv__heap_lo) return 0;
  uint64_t need = (((uint64_t)n + 15u) & ~(uint64_t)15u) + MV__HDR;
  return need < MV__MIN_BLOCK ? MV__MIN_BLOCK : need;
}

static mv__block *mv__header_of(void *ptr, const char *who) {
  uint64_t p = (uint64_t)(uintptr_t)ptr;
  if ((p & 15u) != 0 || p < mv__heap_lo + MV__HDR || p >= mv__heap_hi)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s(%p): not a pointer returned by malloc", who, ptr);
  mv__block *b = (mv__block *)(uintptr_t)(p - MV__HDR);
  if (b->next != MV__HEAP_USED)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s(%p): not an allocated block (double free or heap corruption)", who, ptr);
  if (b->size < MV__MIN_BLOCK || (b->size & 15u) != 0 || b->size > mv__heap_hi - (p - MV__HDR))
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s(%p): corrupted block header (size %llu)", who, ptr, (unsigned long long)b->size);
  return b;
}

void *malloc(size_t n) {
  uint64_t need = mv__block_size(n);
  if (need == 0) return NULL;
  for (mv__block **link = &mv__free_list; *link != NULL; link = &(*link)->next) {
    mv__block *b = *link;
    if (b->size < need) continue;
    if (b->size - need >= MV__MIN_BLOCK) {
      /* Split: the tail stays free in the same list position. */
      mv__block *rest = (mv__block *)((uint8_t *)b + need);
      rest->size = b->size - need;
      rest->next = b->next;
      *link = rest;
      b->size = need;
    } else {
      *link = b->next;
    }
    b->next = MV__HEAP_USED;
    return (uint8_t *)b + MV__HDR;
  }
  return NULL;
}

void free(void *ptr) {
  if (ptr == NULL) return;
  mv__block *b = mv__header_of(ptr, "free");
  /* Insert in address order, then merge with the following and the preceding block. */
  mv__block *prev = NULL, *next = mv__free_list;
  while (next != NULL && next < b) {
    prev = next;
    next = next->next;
  }
  b->next = next;
  if (next != NULL && (uint8_t *)b + b->size == (uint8_t *)next) {
    b->size += next->size;
    b->next = next->next;
  }
  if (prev != NULL) {
    prev->next = b;
    if ((uint8_t *)prev + prev->size == (uint8_t *)b) {
      prev->size += b->size;
      prev->next = b->next;
    }
  } else {
    mv__free_list = b;
  }
}

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size) return NULL;
  size_t n = count * size;
  void *p = malloc(n);
  if (p != NULL) memset(p, 0, n);
  return p;
}

void *realloc(void *ptr, size_t n) {
  if (ptr == NULL) return malloc(n);
  if (n == 0) {
    free(ptr);
    return NULL;
  }
  mv__block *b = mv__header_of(ptr, "realloc");
  uint64_t need = mv__block_size(n);
  if (need == 0) return NULL;
  if (b->size >= need) return ptr; /* shrinking (or enough slack): keep the block */

  /* Grow in place when the block right after this one is free and large enough. */
  mv__block *after = (mv__block *)((uint8_t *)b + b->size);
  for (mv__block **link = &mv__free_list; *link != NULL && *link <= after; link = &(*link)->next) {
    if (*link != after) continue;
    if (b->size + after->size < need) break;
    uint64_t combined = b->size + after->size;
    if (combined - need >= MV__MIN_BLOCK) {
      mv__block *rest = (mv__block *)((uint8_t *)b + need);
      mv__block *after_next = after->next; /* read before `rest` may overwrite `after` */
      rest->size = combined - need;
      rest->next = after_next;
      *link = rest;
      b->size = need;
    } else {
      *link = after->next;
      b->size = combined;
    }
    return ptr;
  }

  void *q = malloc(n);
  if (q == NULL) return NULL; /* the old block stays valid, as C requires */
  memcpy(q, ptr, (size_t)(b->size - MV__HDR));
  free(ptr);
  return q;
}

size_t mv_heap_free_bytes(void) {
  uint64_t total = 0;
  for (mv__block *b = mv__free_list; b != NULL; b = b->next) total += b->size - MV__HDR;
  return (size_t)total;
}

size_t mv_heap_largest_free(void) {
  uint64_t best = 0;
  for (mv__block *b = mv__free_list; b != NULL; b = b->next)
    if (b->size - MV__HDR > best) best = b->size - MV__HDR;
  return (size_t)best;
}
