/*
 * The runtime's floating-point corner, built WITHOUT -mgeneral-regs-only:
 *   - %f formatting;
 *   - the variadic entry points mv_printf, mv_snprintf and mv_abortf. They must be compiled with
 *     SSE enabled so that their prologue saves XMM0-7 into the register save area when a caller
 *     passes floating-point arguments (AL != 0); without such arguments no SSE instruction runs.
 */
#include "internal.h"

/* The rounding error of a * b, exactly (Dekker's product with Veltkamp splitting; no FMA). */
static double mv__product_error(double a, double b, double product) {
  const double split = 134217729.0; /* 2^27 + 1 */
  double c = split * a;
  const double a_hi = c - (c - a), a_lo = a - a_hi;
  c = split * b;
  const double b_hi = c - (c - b), b_lo = b - b_hi;
  return ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
}

/* The integer nearest to the exact product x * scale (ties to even); needs x * scale < 2^52. */
static uint64_t mv__round_scaled(double x, double scale) {
  const double p = x * scale;
  const double err = mv__product_error(x, scale, p); /* exact value = p + err */
  uint64_t r = (uint64_t)p;
  const double above_half = (p - (double)r - 0.5) + err; /* its sign is exact */
  if (above_half > 0 || (above_half == 0 && (r & 1u) != 0)) r++;
  return r;
}

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

  if (exponent == 0x7FFu) { /* inf / nan, signed like glibc; never zero-padded */
    sp.zero = false;
    mv__emit(s, &sp, prefix, plen, 0, mantissa ? "nan" : "inf", 3);
    return;
  }

  int precision = sp.precision < 0 ? 6 : sp.precision;
  if (precision > 40) precision = 40;
  double x = negative ? -v : v;
  char body[360];
  size_t n = 0;

  /* Usual case, |v| < 2^64 and at most 15 decimals: correctly rounded, ties to even, like glibc. */
  if (x < 18446744073709551616.0 && precision <= 15) {
    uint64_t ip, fp = 0;
    if (precision == 0) {
      ip = x < 4503599627370496.0 ? mv__round_scaled(x, 1.0) : (uint64_t)x; /* >= 2^52: integral */
    } else {
      ip = (uint64_t)x;
      const double frac = x - (double)ip; /* exact */
      uint64_t limit = 1;
      for (int i = 0; i < precision; i++) limit *= 10u;
      fp = mv__round_scaled(frac, (double)limit);
      if (fp >= limit) { /* rounding carried into the integer part (frac > 0 implies x < 2^53) */
        fp -= limit;
        ip++;
      }
    }
    char digits[24];
    size_t k = 0;
    do {
      digits[k++] = (char)('0' + ip % 10);
      ip /= 10;
    } while (ip != 0);
    while (k > 0) body[n++] = digits[--k];
    if (precision > 0 || sp.alt) body[n++] = '.';
    for (int i = precision - 1; i >= 0; i--) {
      body[n + (size_t)i] = (char)('0' + fp % 10);
      fp /= 10;
    }
    n += (size_t)precision;
    mv__emit(s, &sp, prefix, plen, 0, body, n);
    return;
  }

  /* Large values or long precisions: digit by digit, approximate in the last places. */
  double rounding = 0.5;
  for (int i = 0; i < precision; i++) rounding /= 10.0;
  x += rounding;
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
