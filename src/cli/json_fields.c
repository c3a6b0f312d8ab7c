/*
 * json_fields.c: typed reads of JSON fields (see json_fields.h).
 */
#include "cli/json_fields.h"

#include <stddef.h>

bool cli_json_i64(const json_t *object, const char *name, int64_t *out) {
    json_t *value = json_is_object(object) ? json_object_get(object, name) : NULL;
    if (json_is_integer(value)) {
        *out = (int64_t)json_integer_value(value);
        return true;
    }
    if (json_is_boolean(value)) {
        *out = json_is_true(value) ? 1 : 0;
        return true;
    }
    return false;
}

bool cli_json_i64_any(const json_t *object, const char *name1, const char *name2, const char *name3,
                      int64_t *out) {
    return cli_json_i64(object, name1, out) || (name2 && cli_json_i64(object, name2, out)) ||
           (name3 && cli_json_i64(object, name3, out));
}

const char *cli_json_string(const json_t *object, const char *name) {
    json_t *value = json_is_object(object) ? json_object_get(object, name) : NULL;
    return json_is_string(value) ? json_string_value(value) : NULL;
}

bool cli_json_bool(const json_t *object, const char *name, bool *out) {
    json_t *value = json_is_object(object) ? json_object_get(object, name) : NULL;
    if (json_is_boolean(value)) {
        *out = json_is_true(value);
        return true;
    }
    if (json_is_integer(value) && (json_integer_value(value) == 0 || json_integer_value(value) == 1)) {
        *out = json_integer_value(value) == 1;
        return true;
    }
    return false;
}

json_t *cli_json_object(const json_t *object, const char *name) {
    json_t *value = json_is_object(object) ? json_object_get(object, name) : NULL;
    return json_is_object(value) ? value : NULL;
}

json_t *cli_json_array(const json_t *object, const char *name) {
    json_t *value = json_is_object(object) ? json_object_get(object, name) : NULL;
    return json_is_array(value) ? value : NULL;
}
