/* ctx_json_double: JSON numbers that are doubles, as Python's json.dumps
 * writes them (repr: the shortest text that reads back to the same
 * double), and the check that a received number's text is already that
 * text (see ctx_json.h). Writing and reading JSON are ctx_json.c and
 * ctx_json_parse.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>

#include "ctx_json.h"

static apr_uint32_t double_tries;

apr_uint32_t ctx_json_double_tries(void)
{
    return apr_atomic_read32(&double_tries);
}

/* "%.*e" text `t` (no sign) made the next decimal of as many digits up:
 * its last digit bumped, with the carry (9.99e+05 -> 1.00e+06). */
static void next_decimal_up(char *t)
{
    char *e = strchr(t, 'e');

    for (char *c = e - 1; c >= t; --c) {
        if (*c == '.') {
            continue;
        }
        if (*c != '9') {
            ++*c;
            return;
        }
        *c = '0';
    }
    t[0] = '1';
    sprintf(e, "e%+03d", atoi(e + 1) + 1);
}

/* A normal power of two above the smallest: the doubles around it are
 * twice as far apart above as below, so what reads back as it reaches
 * twice as far up as down. */
static int wide_above(double a)
{
    int exp2;

    return frexp(a, &exp2) == 0.5 && exp2 > -1021;
}

/* Does a decimal of prec + 1 significant digits read back as `a`? If so,
 * `digits` holds it: the nearest one, or for a power of two (`pow2`) the
 * next one up when the nearest lies below, out of its narrow lower half
 * (Python's repr picks it too). */
static int reads_back(char *digits, apr_size_t size, double a, int prec,
                      int pow2)
{
    double back;

    apr_atomic_inc32(&double_tries);
    snprintf(digits, size, "%.*e", prec, a);
    if ((back = strtod(digits, NULL)) == a) {
        return 1;
    }
    if (pow2 && back < a) {
        next_decimal_up(digits);
        return strtod(digits, NULL) == a;
    }
    return 0;
}

/* Python's repr layout of a double: sign, `ndig` significant digits
 * `mant` (no trailing zeros but for a single digit), decimal exponent
 * `exp10` of the first digit. Returns the length written into buf. */
static apr_size_t layout(char *buf, int neg, const char *mant, int ndig,
                         int exp10)
{
    char *o = buf;
    int decpt = exp10 + 1;      /* position of the decimal point */

    if (neg) {
        *o++ = '-';
    }
    if (decpt <= -4 || decpt > 16) {
        /* Python: 1e+20, 1.5e-07 */
        *o++ = mant[0];
        if (ndig > 1) {
            *o++ = '.';
            memcpy(o, mant + 1, (size_t)ndig - 1);
            o += ndig - 1;
        }
        o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    else if (decpt <= 0) {
        /* 0.00123 */
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -decpt; ++i) *o++ = '0';
        memcpy(o, mant, (size_t)ndig);
        o += ndig;
    }
    else {
        /* 123.45, 100.0 */
        for (int i = 0; i < decpt; ++i) *o++ = i < ndig ? mant[i] : '0';
        *o++ = '.';
        if (ndig > decpt) {
            memcpy(o, mant + decpt, (size_t)(ndig - decpt));
            o += ndig - decpt;
        }
        else {
            *o++ = '0';
        }
    }
    *o = '\0';
    return (apr_size_t)(o - buf);
}

apr_size_t ctx_json_format_double(char *buf, double d)
{
    char digits[40], found[40], *e;
    int lo = 0, hi = 16, found_prec = -1, exp10, ndig;
    char mant[24];
    double a = fabs(d);

    if (isnan(d) || isinf(d)) {
        return 0;
    }
    /* The fewest digits that read back, found by halving (each try is a
     * printf and a strtod, costly for large exponents): some decimal of
     * prec digits reads back, then some of prec + 1 does (every decimal of
     * prec digits is one of prec + 1), and reads_back finds one whenever
     * one exists (the nearest, else for a power of two the next up). 17
     * digits always do. */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (reads_back(digits, sizeof(digits), a, mid, wide_above(a))) {
            hi = mid;
            found_prec = mid;
            memcpy(found, digits, sizeof(found));
        }
        else {
            lo = mid + 1;
        }
    }
    if (found_prec == lo) {
        memcpy(digits, found, sizeof(digits));
    }
    else {
        snprintf(digits, sizeof(digits), "%.16e", a);
    }
    /* digits: [-]D[.DDD]e[+-]XX -> sign, significant digits, exponent */
    e = strchr(digits, 'e');
    exp10 = atoi(e + 1);
    ndig = 0;
    for (char *c = digits; c < e; ++c) {
        if (*c >= '0' && *c <= '9') {
            mant[ndig++] = *c;
        }
    }
    mant[ndig] = '\0';
    return layout(buf, d < 0 || (d == 0 && signbit(d)), mant, ndig, exp10);
}

/* `lead` (digits) as a decimal "D.DDDe+X" of exponent `exp10`, bumped by
 * one unit in its last digit when `up`, read back. */
static double read_decimal(const char *lead, int n, int exp10, int up)
{
    char txt[48], dig[24];
    int i;

    memcpy(dig, lead, (size_t)n);
    if (up) {
        for (i = n - 1; i >= 0 && dig[i] == '9'; --i) {
            dig[i] = '0';
        }
        if (i < 0) {
            dig[0] = '1';       /* 99 + 1 = 1.0e+1 more */
            ++exp10;
        }
        else {
            ++dig[i];
        }
    }
    snprintf(txt, sizeof(txt), "%c.%.*se%d", dig[0], n - 1, dig + 1, exp10);
    return strtod(txt, NULL);
}

int ctx_json_double_canonical(const char *t, apr_size_t n, double d)
{
    char mant[24], buf[40], digits[40];
    int neg, ndig = 0, exp10 = 0, ip = 0, seen_point = 0, first = -1;
    int idx = 0, exp2;
    apr_size_t i = 0;
    double a = fabs(d);

    if (n == 0 || n >= sizeof(buf) || isnan(d) || isinf(d)) {
        return 0;
    }
    neg = t[0] == '-';
    i = (apr_size_t)neg;
    /* The significant digits and the exponent of the first one. */
    for (; i < n && t[i] != 'e' && t[i] != 'E'; ++i) {
        if (t[i] == '.') {
            seen_point = 1;
            continue;
        }
        if (t[i] < '0' || t[i] > '9') {
            return 0;
        }
        if (!seen_point) {
            ++ip;
        }
        if (first < 0 && t[i] != '0') {
            first = idx;
        }
        if (first >= 0) {
            if (ndig >= 17) {
                return 0;       /* more digits than any shortest text */
            }
            mant[ndig++] = t[i];
        }
        ++idx;
    }
    if (first < 0 || a == 0) {
        /* zero: the writer's own text decides */
        return ctx_json_format_double(buf, d) == n && !memcmp(buf, t, n);
    }
    while (ndig > 1 && mant[ndig - 1] == '0') {
        --ndig;
    }
    mant[ndig] = '\0';
    exp10 = ip - 1 - first + (i < n ? atoi(t + i + 1) : 0);
    /* The writer's layout of those digits must be the text itself... */
    if (layout(buf, neg, mant, ndig, exp10) != n || memcmp(buf, t, n)) {
        return 0;
    }
    /* ...a power of two has its own rule (see reads_back): the writer
     * decides, as for zero... */
    if (frexp(a, &exp2) == 0.5) {
        return ctx_json_format_double(buf, d) == n && !memcmp(buf, t, n);
    }
    /* ...the digits the nearest decimal of as many digits (one printf)... */
    apr_atomic_inc32(&double_tries);
    snprintf(digits, sizeof(digits), "%.*e", ndig - 1, a);
    {
        char *e = strchr(digits, 'e'), got[24];
        int k = 0;

        for (char *c = digits; c < e; ++c) {
            if (*c >= '0' && *c <= '9') got[k++] = *c;
        }
        if (k != ndig || memcmp(got, mant, (size_t)k) || atoi(e + 1) != exp10) {
            return 0;
        }
    }
    /* ...and no decimal of one digit fewer reads back: if one did, the
     * one just below the text or the one just above would (the doubles
     * that read back as `a` form an interval around the text). */
    if (ndig < 2) {
        return 1;
    }
    /* (the two reads count as one try: a try is a printf and a strtod) */
    apr_atomic_inc32(&double_tries);
    if ((read_decimal(mant, ndig - 1, exp10, 0) == a
                     || read_decimal(mant, ndig - 1, exp10, 1) == a)) {
        return 0;
    }
    return 1;
}
