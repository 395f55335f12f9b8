/*
 * A small printf-style formatter for freestanding guests: mv_vprintf prints through HostPrint,
 * mv_vsnprintf formats into memory. The variadic entry points (mv_printf, mv_snprintf,
 * mv_abortf) and %f live in float.c, which may use SSE; this file is built with
 * -mgeneral-regs-only.
 *
 * Conversions: d i u x X o p s c f F %. Flags: - 0 + space #. Width and precision, either of
 * which may be '*'. Length modifiers: hh h l ll z j t (L is accepted and ignored for f).
 */
#include "internal.h"

#define MV__PRINT_CHUNK 512

/* Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for invalid bytes). */
static size_t mv__utf8_seq_len(uint8_t b) {
  if (b < 0xC0u) return 1;
  if (b < 0xE0u) return 2;
  if (b < 0xF0u) return 3;
  if (b < 0xF8u) return 4;
  return 1;
}

/* Sends the buffered text to the host. Unless `all`, an incomplete UTF-8 sequence at the end is
 * kept for the next chunk, because the host rejects a string that is not valid UTF-8. */
static void mv__flush(mv__sink *s, bool all) {
  size_t split = s->len;
  if (!all) {
    size_t lo = s->len > 4 ? s->len - 4 : 0;
    for (size_t i = s->len; i > lo; i--) {
      uint8_t b = (uint8_t)s->buf[i - 1];
      if ((b & 0xC0u) == 0x80u) continue; /* continuation byte: keep looking for the lead */
      if (i - 1 + mv__utf8_seq_len(b) > s->len) split = i - 1;
      break;
    }
    if (split == 0) split = s->len;
  }
  if (split == 0) return;
  char saved = s->buf[split];
  s->buf[split] = '\0';
  HostPrint(s->buf);
  s->buf[split] = saved;
  memmove(s->buf, s->buf + split, s->len - split);
  s->len -= split;
}

static void mv__put(mv__sink *s, char c) {
  if (s->printing) {
    if (c == '\0') return; /* a C string cannot carry NUL */
    if (s->len == s->cap) mv__flush(s, false);
    s->buf[s->len++] = c;
    s->total++;
  } else {
    if (s->len + 1 < s->cap) s->buf[s->len++] = c;
    s->total++;
  }
}

static void mv__puts_n(mv__sink *s, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) mv__put(s, p[i]);
}

static void mv__pad(mv__sink *s, char c, int n) {
  for (int i = 0; i < n; i++) mv__put(s, c);
}

/* Emits prefix (sign, 0x) + body with the padding rules of printf. `zeros` is the number of
 * extra leading zeros the precision asks for (integers only). */
void mv__emit(mv__sink *s, const mv__spec *sp, const char *prefix, size_t prefix_len, int zeros, const char *body, size_t body_len) {
  int content = (int)(prefix_len + body_len) + zeros;
  int padding = sp->width > content ? sp->width - content : 0;
  if (sp->left) {
    mv__puts_n(s, prefix, prefix_len);
    mv__pad(s, '0', zeros);
    mv__puts_n(s, body, body_len);
    mv__pad(s, ' ', padding);
  } else if (sp->zero) {
    mv__puts_n(s, prefix, prefix_len);
    mv__pad(s, '0', zeros + padding);
    mv__puts_n(s, body, body_len);
  } else {
    mv__pad(s, ' ', padding);
    mv__puts_n(s, prefix, prefix_len);
    mv__pad(s, '0', zeros);
    mv__puts_n(s, body, body_len);
  }
}

static void mv__format_uint(mv__sink *s, mv__spec sp, uint64_t v, bool negative, unsigned base, bool upper, bool is_pointer) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  size_t n = 0;
  if (!(v == 0 && sp.precision == 0)) {
    do {
      tmp[sizeof tmp - 1 - n++] = digits[v % base];
      v /= base;
    } while (v != 0);
  }
  char prefix[3];
  size_t plen = 0;
  if (negative) prefix[plen++] = '-';
  else if (sp.plus && base == 10 && !is_pointer) prefix[plen++] = '+';
  else if (sp.space && base == 10 && !is_pointer) prefix[plen++] = ' ';
  if ((sp.alt || is_pointer) && base == 16) {
    prefix[plen++] = '0';
    prefix[plen++] = upper ? 'X' : 'x';
  }
  int zeros = 0;
  if (sp.alt && base == 8 && (n == 0 || tmp[sizeof tmp - n] != '0')) zeros = 1;
  if (sp.precision >= 0) {
    if ((int)n + zeros < sp.precision) zeros = sp.precision - (int)n;
    sp.zero = false; /* a precision turns the 0 flag off for integers */
  }
  mv__emit(s, &sp, prefix, plen, zeros, tmp + sizeof tmp - n, n);
}

static void mv__format(mv__sink *s, const char *fmt, va_list *ap) {
  for (const char *p = fmt; *p != '\0'; p++) {
    if (*p != '%') {
      mv__put(s, *p);
      continue;
    }
    const char *start = p++;
    mv__spec sp = {false, false, false, false, false, 0, -1};
    for (;; p++) {
      if (*p == '-') sp.left = true;
      else if (*p == '0') sp.zero = true;
      else if (*p == '+') sp.plus = true;
      else if (*p == ' ') sp.space = true;
      else if (*p == '#') sp.alt = true;
      else break;
    }
    if (*p == '*') {
      int w = va_arg(*ap, int);
      if (w < 0) {
        sp.left = true;
        w = -w;
      }
      sp.width = w;
      p++;
    } else {
      while (*p >= '0' && *p <= '9') sp.width = sp.width * 10 + (*p++ - '0');
    }
    if (*p == '.') {
      p++;
      if (*p == '*') {
        int pr = va_arg(*ap, int);
        sp.precision = pr < 0 ? -1 : pr;
        p++;
      } else {
        sp.precision = 0;
        while (*p >= '0' && *p <= '9') sp.precision = sp.precision * 10 + (*p++ - '0');
      }
    }
    if (sp.left) sp.zero = false;

    /* Length modifier: 0 int, -1 char, -2 short, 1 long, 2 long long, 3 size_t, 4 intmax, 5 ptrdiff. */
    int length = 0;
    if (*p == 'h') {
      length = -2;
      if (*++p == 'h') {
        length = -1;
        p++;
      }
    } else if (*p == 'l') {
      length = 1;
      if (*++p == 'l') {
        length = 2;
        p++;
      }
    } else if (*p == 'z') {
      length = 3;
      p++;
    } else if (*p == 'j') {
      length = 4;
      p++;
    } else if (*p == 't') {
      length = 5;
      p++;
    } else if (*p == 'L') {
      p++;
    }

    switch (*p) {
      case 'd':
      case 'i': {
        int64_t v;
        switch (length) {
          case -1: v = (signed char)va_arg(*ap, int); break;
          case -2: v = (short)va_arg(*ap, int); break;
          case 1: v = va_arg(*ap, long); break;
          case 2: v = va_arg(*ap, long long); break;
          case 3: v = (int64_t)va_arg(*ap, size_t); break;
          case 4: v = va_arg(*ap, int64_t); break;
          case 5: v = va_arg(*ap, ptrdiff_t); break;
          default: v = va_arg(*ap, int); break;
        }
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        mv__format_uint(s, sp, mag, v < 0, 10, false, false);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        uint64_t v;
        switch (length) {
          case -1: v = (unsigned char)va_arg(*ap, unsigned); break;
          case -2: v = (unsigned short)va_arg(*ap, unsigned); break;
          case 1: v = va_arg(*ap, unsigned long); break;
          case 2: v = va_arg(*ap, unsigned long long); break;
          case 3: v = va_arg(*ap, size_t); break;
          case 4: v = va_arg(*ap, uint64_t); break;
          case 5: v = (uint64_t)va_arg(*ap, ptrdiff_t); break;
          default: v = va_arg(*ap, unsigned); break;
        }
        unsigned base = *p == 'u' ? 10u : *p == 'o' ? 8u : 16u;
        mv__format_uint(s, sp, v, false, base, *p == 'X', false);
        break;
      }
      case 'p': {
        uint64_t v = (uint64_t)(uintptr_t)va_arg(*ap, void *);
        mv__format_uint(s, sp, v, false, 16, false, true);
        break;
      }
      case 'c': {
        char c = (char)va_arg(*ap, int);
        sp.zero = false;
        mv__emit(s, &sp, "", 0, 0, &c, 1);
        break;
      }
      case 's': {
        const char *str = va_arg(*ap, const char *);
        if (str == NULL) str = "(null)";
        size_t n = 0;
        while ((sp.precision < 0 || n < (size_t)sp.precision) && str[n] != '\0') n++;
        sp.zero = false;
        mv__emit(s, &sp, "", 0, 0, str, n);
        break;
      }
      case 'f':
      case 'F': mv__format_double_arg(s, &sp, ap); break;
      case '%': mv__put(s, '%'); break;
      case '\0': /* a lone '%' at the end: print it and stop */
        mv__puts_n(s, start, (size_t)(p - start));
        return;
      default: /* unknown conversion: print it as written */ mv__puts_n(s, start, (size_t)(p - start + 1)); break;
    }
  }
}

int mv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  mv__sink s = {buf, size, 0, 0, false};
  va_list args;
  va_copy(args, ap);
  mv__format(&s, fmt, &args);
  va_end(args);
  if (size > 0) buf[s.len] = '\0';
  return (int)s.total;
}

int mv_vprintf(const char *fmt, va_list ap) {
  char chunk[MV__PRINT_CHUNK + 1];
  mv__sink s = {chunk, MV__PRINT_CHUNK, 0, 0, true};
  va_list args;
  va_copy(args, ap);
  mv__format(&s, fmt, &args);
  va_end(args);
  mv__flush(&s, true);
  return (int)s.total;
}
