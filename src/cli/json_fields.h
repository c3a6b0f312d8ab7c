/*
 * json_fields.h: reading fields of the node's JSON answers (jansson) without
 * trusting their shape: each getter says whether the field is there with the
 * expected type, so a missing or mistyped field is noticed, never read as 0.
 * Where the API document leaves a name open (docs/openapi.yaml marks some bodies
 * only as "object"), callers try the likely names in order.
 */
#ifndef TALLY_CLI_JSON_FIELDS_H
#define TALLY_CLI_JSON_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* An integer field (JSON integer, or a true/false for booleans read as 0/1). */
bool cli_json_i64(const json_t *object, const char *name, int64_t *out);
/* The first of up to three names that holds an integer. */
bool cli_json_i64_any(const json_t *object, const char *name1, const char *name2, const char *name3,
                      int64_t *out);
/* A string field, or NULL. */
const char *cli_json_string(const json_t *object, const char *name);
/* A boolean field (JSON true/false, or an integer 0/1). */
bool cli_json_bool(const json_t *object, const char *name, bool *out);
/* An object or array field, or NULL. */
json_t *cli_json_object(const json_t *object, const char *name);
json_t *cli_json_array(const json_t *object, const char *name);

#endif
