/*
 * catalog.h - the fields tshark knows, from `tshark -G fields`, loaded once
 * at start: to tell a field= of a request from a typo before tshark runs, to
 * say how its values are parsed, and to complete names on the page.
 *
 * `tshark -G fields` (4.0.17: ~236k lines, ~19 MB, ~0.5 s) prints a line per
 * protocol and per field, tab-separated:
 *   P  <protocol name>  <abbrev>
 *   F  <description>  <abbrev>  <FT_TYPE>  <parent>  <base>  <bitmask>  <blurb>
 *
 * How `tshark -T json -e NAME` prints a value of each class (4.0.17, seen on
 * tests/captures/dev; every occurrence is one JSON string):
 *
 *   class    FT_ types                  printed as
 *   integer  FT_UINT8..64, FT_INT8..64  decimal: "128", "-1" (FT_INT*),
 *            FT_FRAMENUM                also for BASE_DEC_HEX, BASE_OCT
 *                                       ("493", not "0755"), BASE_CUSTOM,
 *                                       BASE_NONE, BASE_OUI, BASE_PT_*;
 *                                       hex, zero-padded to the type's width,
 *                                       for BASE_HEX and BASE_HEX_DEC:
 *                                       ip.flags "0x02", tcp.flags "0x0012",
 *                                       eth.type "0x0800", 64 bits
 *                                       "0x000000000001e240"; never a
 *                                       value string's text
 *   float    FT_FLOAT, FT_DOUBLE        C "%g"-like: "15", "30.260796" (so
 *                                       "1e-05", "inf", "nan" can occur)
 *   time     FT_RELATIVE_TIME           seconds, 9 decimals, signed:
 *                                       "0.911310000", "-0.012060000"
 *                                       (frame.time_delta, tcp.analysis.
 *                                       ack_rtt, also frame.time_epoch)
 *   boolean  FT_BOOLEAN                 "0" or "1", whatever its bitmask
 *                                       (tcp.flags.syn "1", not "True")
 *   text     all other types            FT_CHAR quoted: "'1'"; FT_ABSOLUTE_
 *                                       TIME "May 13, 2004 10:17:07.311224000
 *                                       UTC"; addresses, strings, bytes
 *
 * Names in the catalogue are unique. tshark registers a few abbrevs twice
 * (4.0.17: 6, none with two classes, e.g. tpkt and c15.tone are both a P
 * and an F line): the first line seen is kept, the later ones are dropped.
 *
 * A catalogue is immutable once made: any number of threads may read it.
 */
#ifndef TSHARK_CATALOG_H
#define TSHARK_CATALOG_H

#include <stddef.h>

#include "base/err.h"

struct tshark;

/* Cap on the output of `tshark -G fields` (4.0.17: ~19 MB). */
#define CATALOG_MAX_BYTES (64 * 1024 * 1024)
/* catalog_suggest finds nothing close to a longer name. */
#define CATALOG_SUGGEST_NAME_MAX 256
/* Most suggestions catalog_suggest gives; a larger max is cut to it. */
#define CATALOG_SUGGEST_MAX 64

enum field_class {
    FIELD_CLASS_INT,   /* FT_UINT8..FT_UINT64, FT_INT8..FT_INT64, FT_FRAMENUM */
    FIELD_CLASS_FLOAT, /* FT_FLOAT, FT_DOUBLE */
    FIELD_CLASS_TIME,  /* FT_RELATIVE_TIME: seconds with 9 decimals */
    FIELD_CLASS_BOOL,  /* FT_BOOLEAN: 0/1 */
    FIELD_CLASS_TEXT   /* the rest (FT_CHAR, FT_ABSOLUTE_TIME, FT_PROTOCOL, FT_NONE,
                          strings, addresses, bytes...): only to split by value */
};

struct catalog_entry {
    const char *name; /* "tcp.len" */
    const char *type; /* "FT_UINT32"; "FT_PROTOCOL" for a P line */
    const char *desc; /* "TCP Segment Len"; a protocol's name for a P line */
    enum field_class cls;
};

struct catalog;

/*
 * Parse the text of `tshark -G fields` (len bytes, borrowed; it need not end
 * in a NUL or a newline; "\r\n" is taken as well). Lines that are neither a P
 * line of at least 3 fields nor an F line of at least 4 with an FT_ type, or whose
 * abbrev is empty or holds a byte outside [A-Za-z0-9_.-], are skipped. P lines
 * become entries of type "FT_PROTOCOL", class TEXT. Returns the catalogue
 * (owned: catalog_free), or NULL with err (500) on memory failure or when the
 * text holds no F line at all.
 */
struct catalog *catalog_parse(const char *text, size_t len, struct err *err);

/*
 * Run `tshark -G fields` through tshark_query (ts borrowed: its user,
 * sandbox and limits, a TSHARK_CHECK_TIMEOUT_MS deadline) and parse it.
 * Returns the catalogue (owned), or NULL with err: 500 when tshark cannot be
 * run, exits non-zero, prints more than CATALOG_MAX_BYTES or nothing usable;
 * tshark_query's own status otherwise. No child is left. Call at start.
 */
struct catalog *catalog_load(const struct tshark *ts, struct err *err);

/* Free c and its entries. NULL does nothing. */
void catalog_free(struct catalog *c);

/* How many entries (distinct names) c holds. */
size_t catalog_size(const struct catalog *c);

/* The entry named exactly name (borrowed from c), or NULL when unknown. */
const struct catalog_entry *catalog_find(const struct catalog *c, const char *name);

/*
 * Up to max (at most CATALOG_SUGGEST_MAX) entries whose names are close to
 * name (borrowed; for "unknown field tcp.lenn: did you mean tcp.len?"), best
 * first, into out; returns how many (borrowed from c). Letter case is ignored. Best
 * first:
 *   1. names of the same protocol (the text before the first '.') at edit
 *      distance 1 or 2 (insertion, deletion, substitution, transposition of
 *      two neighbours; an exact name at 0 comes first of all),
 *   2. names of another protocol at distance 1 or 2,
 *   3. names that contain name (3 bytes or more), shortest first,
 *   4. names whose last component (after the last '.') equals name's,
 *      shortest first;
 * in each, smaller distance, then smaller difference in length, then name
 * order. Deterministic. One pass over c with a bounded distance (~5 ms on
 * 4.0.17's list).
 */
size_t catalog_suggest(const struct catalog *c, const char *name,
                       const struct catalog_entry **out, size_t max);

/*
 * Up to max entries whose names start with prefix (borrowed; "" matches
 * all), in name order (strcmp), into out (borrowed from c); returns how many.
 * O(log n + max).
 */
size_t catalog_complete(const struct catalog *c, const char *prefix,
                        const struct catalog_entry **out, size_t max);

/* "integer", "float", "time", "boolean", "text" ("?" for no class). */
const char *field_class_name(enum field_class k);

/* 1 when values of class k are numbers (all but TEXT), else 0. */
int field_class_numeric(enum field_class k);

/*
 * Parse one value (text, NUL-terminated, borrowed) as tshark -T json -e
 * prints a field of class k (the table above) into *v:
 *   INT    [-]digits, or 0x/0X and hex digits (BASE_HEX; no sign); within
 *          int64 when negative, uint64 otherwise (then rounded to a double)
 *   FLOAT  [-]digits[.digits][e[+-]digits] (also [-].digits)
 *   TIME   [-]digits[.digits]
 *   BOOL   "0" or "1" (also "False" or "True", in case a tshark prints them)
 * No blanks, no '+' sign. 0 with *v set, or -1 (*v untouched) when text is
 * not a value of class k, is out of range or not finite ("inf", "nan",
 * "1e999"), and always for TEXT.
 */
int field_parse_value(enum field_class k, const char *text, double *v);

#endif
