/*
 * mem* and str* for freestanding guests. gcc and clang emit calls to memcpy, memmove, memset and
 * memcmp on their own (struct copies, large initialisers) even with -ffreestanding, so these
 * must exist. memcpy/memmove/memset use `rep movsb` / `rep stosb`, which are fast on modern CPUs
 * and cannot be turned back into calls to themselves by the optimiser.
 */
#include "microvm.h"

void *memcpy(void *dst, const void *src, size_t n) {
  void *d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (n == 0 || d == s) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  /* dst overlaps the tail of src: copy backwards. */
  d += n - 1;
  s += n - 1;
  __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  while (*x != 0 && *x == *y) {
    x++;
    y++;
  }
  return (int)*x - (int)*y;
}

int strncmp(const char *a, const char *b, size_t n) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return (int)x[i] - (int)y[i];
    if (x[i] == 0) return 0;
  }
  return 0;
}

char *strcpy(char *dst, const char *src) {
  size_t i = 0;
  while ((dst[i] = src[i]) != '\0') i++;
  return dst;
}

char *strncpy(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i] != '\0'; i++) dst[i] = src[i];
  if (i < n) memset(dst + i, 0, n - i);
  return dst;
}

char *strchr(const char *s, int c) {
  const char ch = (char)c;
  for (;; s++) {
    if (*s == ch) return (char *)(uintptr_t)s;
    if (*s == '\0') return NULL;
  }
}
