/*
 * The runtime's floating-point corner, built WITHOUT -mgeneral-regs-only:
 *   - %f formatting;
 *   - the variadic entry points mv_printf, mv_snprintf and mv_abortf. They must be compiled with
 *     SSE enabled so that their prologue saves XMM0-7 into the register save area when a caller
 *     passes floating-point arguments (AL != 0); without such arguments no SSE instruction runs.
 */
#include "internal.h"

void mv__format_double_arg(mv__sink *s, const mv__spec *spec, va_list *ap) {
  mv__spec sp = *spec;
  const double v = va_arg(*ap, double);
  union {
    double d;
    uint64_t u;
  } bits = {v};
  const bool negative = (bits.u >> 63) != 0;
  const uint64_t exponent = (bits.u >> 52) & 0x7FFu;
  const uint64_t mantissa = bits.u & 0xFFFFFFFFFFFFFull;
  char prefix[1];
  size_t plen = 0;
  if (negative) prefix[plen++] = '-';
  else if (sp.plus) prefix[plen++] = '+';
  else if (sp.space) prefix[plen++] = ' ';

  if (exponent == 0x7FFu) { /* inf / nan: never zero-padded; nan has no sign */
    sp.zero = false;
    mv__emit(s, &sp, prefix, mantissa ? 0 : plen, 0, mantissa ? "nan" : "inf", 3);
    return;
  }

  int precision = sp.precision < 0 ? 6 : sp.precision;
  if (precision > 40) precision = 40;
  double x = negative ? -v : v;
  double rounding = 0.5;
  for (int i = 0; i < precision; i++) rounding /= 10.0;
  x += rounding;

  char body[360];
  size_t n = 0;
  double frac;
  if (x < 18446744073709551616.0) {
    uint64_t ip = (uint64_t)x;
    frac = x - (double)ip;
    char tmp[24];
    size_t k = 0;
    do {
      tmp[k++] = (char)('0' + ip % 10);
      ip /= 10;
    } while (ip != 0);
    while (k > 0) body[n++] = tmp[--k];
  } else {
    /* 2^64 and beyond: peel decimal digits off with floating-point division (approximate). */
    double p = 1.0;
    int digits = 1;
    while (p * 10.0 <= x && digits < 309) {
      p *= 10.0;
      digits++;
    }
    for (int i = 0; i < digits; i++) {
      int d = (int)(x / p);
      if (d < 0) d = 0;
      if (d > 9) d = 9;
      body[n++] = (char)('0' + d);
      x -= d * p;
      if (x < 0) x = 0;
      p /= 10.0;
    }
    frac = 0.0;
  }
  if (precision > 0 || sp.alt) body[n++] = '.';
  for (int i = 0; i < precision; i++) {
    frac *= 10.0;
    int d = (int)frac;
    if (d > 9) d = 9;
    body[n++] = (char)('0' + d);
    frac -= d;
  }
  mv__emit(s, &sp, prefix, plen, 0, body, n);
}

int mv_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = mv_vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int mv_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = mv_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

void mv_abortf(int32_t code, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  mv_vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  mv_abort(code, buf);
}
