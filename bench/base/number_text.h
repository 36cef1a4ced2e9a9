// Strict number spelling, the one the YAML config and the command-line knobs both accept:
// ints are [-]digits without leading zeros (no 0x, 1e3, 1_000, 4.0); floats are decimals with
// an optional sign and exponent (1, 0.5, .5, 2e-3; no inf / nan).
#ifndef PCB_NUMBER_TEXT_H
#define PCB_NUMBER_TEXT_H

// 0, -1 when the text is not a number of that spelling, -2 when it overflows (ints: long long;
// floats: not finite).
int number_text_int(const char *s, long long *v);
int number_text_float(const char *s, double *v);

#endif
