/*
 * fields.h - the fields asked of tshark, in one table.
 *
 * FIELDS_BUILTIN below is the only list of them: struct pkt is generated
 * from it, the `-e NAME` arguments of tshark's command are built from it
 * (tshark_build_argv), and tsjson.c walks it to parse each packet. Adding a
 * built-in field is one line there (plus its use):
 *
 *   X(ID, "tshark.name", member, KIND, PRESENCE)
 *     ID        FIELD_<ID>, its place in fields_builtin[]
 *     name      tshark's field name: the -e argument, and the key of its
 *               value in the "layers" object of -T json
 *     member    the struct pkt member that holds the value
 *     KIND      how tshark's text becomes the value, and the member's type:
 *                 U64         decimal unsigned integer   -> uint64_t
 *                 SECONDS_NS  decimal seconds, truncated
 *                             past the ninth digit, as ns -> int64_t
 *     PRESENCE  HAS(flag): an int member flag, 1 when tshark gave a value;
 *               NONE: an absent value just leaves member 0
 *
 * tshark prints each -e field as an array of strings (several when a
 * protocol occurs more than once); the first string is the value, an
 * absent key or an empty string means no value.
 *
 * A run may ask for one field more (a series' field=, any field tshark
 * knows): its values come as text in struct pkt's vals, every occurrence,
 * and the chart parses them by the field's class (tshark/catalog.h).
 */
#ifndef TSHARK_FIELDS_H
#define TSHARK_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* clang-format off */
#define FIELDS_BUILTIN(X)                                                    \
    /* the frame's number in the capture (1-based) */                        \
    X(NUMBER,        "frame.number",        number, U64,        NONE)        \
    /* time since the first frame (may be negative); absent: no timestamp */ \
    X(TIME_RELATIVE, "frame.time_relative", t_ns,   SECONDS_NS, HAS(has_time)) \
    /* the frame's length on the wire, in bytes */                           \
    X(LEN,           "frame.len",           len,    U64,        HAS(has_len))
/* clang-format on */

/* The C type of each KIND (a member of that kind has that type). */
#define FIELDS_CTYPE_U64 uint64_t
#define FIELDS_CTYPE_SECONDS_NS int64_t

/*
 * One packet, as tshark reported it: the value members of the table in its
 * order, then the presence flags in its order (today number, t_ns, len,
 * has_time, has_len).
 */
#define FIELDS_MEMBER_(id, name, member, kind, presence) FIELDS_CTYPE_##kind member;
#define FIELDS_FLAG_(id, name, member, kind, presence) FIELDS_FLAG_##presence
#define FIELDS_FLAG_HAS(flag) int flag;
#define FIELDS_FLAG_NONE
struct pkt {
    FIELDS_BUILTIN(FIELDS_MEMBER_)
    FIELDS_BUILTIN(FIELDS_FLAG_)
    /*
     * The run's extra field (tsjson.extra, a user's field=): every value
     * tshark printed for it in this packet, in its order (several when the
     * field occurs more than once), as text; borrowed for the callback.
     * nvals 0: the packet has none. vals_cut: values past MAX_FIELD_VALUES
     * left out.
     */
    const char *const *vals;
    size_t nvals;
    size_t vals_cut;
    /* the run's split field (tsjson.split): its first value, NULL when none */
    const char *split;
};

/* FIELD_NUMBER, FIELD_TIME_RELATIVE, ...: indexes of fields_builtin[] */
#define FIELDS_ID_(id, name, member, kind, presence) FIELD_##id,
enum field_id { FIELDS_BUILTIN(FIELDS_ID_) FIELDS_NBUILTIN };

enum field_kind { FIELD_KIND_U64, FIELD_KIND_SECONDS_NS };

struct field {
    const char *name;     /* static: tshark's field name */
    enum field_kind kind; /* how its text is parsed */
    enum field_id id;     /* its member in struct pkt (fields_set) */
};

/* The built-in fields, in table order. */
extern const struct field fields_builtin[FIELDS_NBUILTIN];

/*
 * Parse text (borrowed, NUL-terminated, not empty) as field f's value into
 * its member of p, and set its presence flag. 0, or -1 when text is not a
 * value of f's kind (the flag is set either way, the member is undefined).
 */
int fields_set(const struct field *f, const char *text, struct pkt *p);

/*
 * Parse a decimal seconds string ("-0.011267000", "1418145370.1000000000")
 * into nanoseconds, truncating digits past the ninth. 0 or -1 (not a number,
 * out of range).
 */
int fields_parse_seconds(const char *s, int64_t *ns);

/* Parse a decimal uint64 without sign or spaces. 0 or -1 (not one, too big). */
int fields_parse_u64(const char *s, uint64_t *v);

#endif
