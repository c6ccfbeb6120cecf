/* fields.c - see fields.h */
#include <stddef.h>
#include <stdint.h>

#include "tshark/fields.h"
#include "banned.h"

#define NS_PER_S 1000000000ULL

#define FIELDS_ENTRY_(id, name, member, kind, presence)                                  \
    {name, FIELD_KIND_##kind, FIELD_##id},
const struct field fields_builtin[FIELDS_NBUILTIN] = {FIELDS_BUILTIN(FIELDS_ENTRY_)};

int fields_parse_seconds(const char *s, int64_t *ns) {
    uint64_t sec = 0, frac = 0, limit, mag;
    int neg = 0, fdigits = 0, digits = 0;

    if (s == NULL)
        return -1;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        sec = sec * 10 + (uint64_t)(*s - '0');
        if (sec > (uint64_t)INT64_MAX / NS_PER_S + 1)
            return -1; /* out of range whatever the fraction; also no wrap */
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
            if (fdigits < 9) { /* digits past nanoseconds are truncated */
                frac = frac * 10 + (uint64_t)(*s - '0');
                fdigits++;
            }
        }
    }
    if (*s != '\0' || digits == 0)
        return -1;
    for (; fdigits < 9; fdigits++)
        frac *= 10;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (sec > (limit - frac) / NS_PER_S)
        return -1;
    mag = sec * NS_PER_S + frac;
    if (neg)
        *ns = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *ns = (int64_t)mag;
    return 0;
}

int fields_parse_u64(const char *s, uint64_t *v) {
    uint64_t x = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/*
 * One case per field: the parser of its KIND writes its member, so the
 * compiler checks that the member has the KIND's type.
 */
#define FIELDS_PARSE_U64 fields_parse_u64
#define FIELDS_PARSE_SECONDS_NS fields_parse_seconds
#define FIELDS_MARK_HAS(flag) p->flag = 1;
#define FIELDS_MARK_NONE
#define FIELDS_CASE_(id, name, member, kind, presence)                                   \
    case FIELD_##id:                                                                     \
        FIELDS_MARK_##presence return FIELDS_PARSE_##kind(text, &p->member);

int fields_set(const struct field *f, const char *text, struct pkt *p) {
    switch (f->id) {
        FIELDS_BUILTIN(FIELDS_CASE_)
    default:
        return -1;
    }
}
