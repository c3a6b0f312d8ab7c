/*
 * batch_csv.c: the CSV of `tally pay-batch` (see batch_csv.h). One pass over the
 * bytes, line by line; each line is split into at most three fields, quoted or
 * not, and nothing is allocated.
 */
#include "cli/batch_csv.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIELDS_MAX 3u
/* A field as read: at most this many bytes are kept (longer ones are refused). */
#define FIELD_BYTES_MAX 256u

typedef struct {
    char bytes[FIELD_BYTES_MAX + 1];
    size_t length; /* may exceed FIELD_BYTES_MAX: then only the first bytes are kept */
} csv_field;

__attribute__((format(printf, 4, 5))) static bool refuse(char *why, size_t why_size, uint32_t line, const char *format,
                                                         ...) {
    int used = line ? snprintf(why, why_size, "line %u: ", line) : 0;
    if (used < 0 || (size_t)used >= why_size) used = 0;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(why + used, why_size - (size_t)used, format, arguments);
    va_end(arguments);
    return false;
}

static void field_put(csv_field *field, char c) {
    if (field->length < FIELD_BYTES_MAX) field->bytes[field->length] = c;
    field->length++;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits one line (without its line end) into fields; *count of them. */
static bool split_line(const char *line, size_t length, uint32_t number, csv_field *fields, unsigned *count,
                       char *why, size_t why_size) {
    *count = 0;
    size_t at = 0;
    for (;;) {
        if (*count == FIELDS_MAX)
            return refuse(why, why_size, number, "more than 3 fields: write payee,amount,memo (quote a memo that "
                                                 "holds a comma: \"a, b\")");
        csv_field *field = &fields[(*count)++];
        field->length = 0;
        while (at < length && is_blank(line[at])) at++;
        if (at < length && line[at] == '"') {
            /* Quoted: up to the closing quote; "" is one quote. */
            at++;
            bool closed = false;
            while (at < length) {
                if (line[at] == '"') {
                    if (at + 1 < length && line[at + 1] == '"') {
                        field_put(field, '"');
                        at += 2;
                        continue;
                    }
                    at++;
                    closed = true;
                    break;
                }
                field_put(field, line[at++]);
            }
            if (!closed)
                return refuse(why, why_size, number,
                              "a quoted field is not closed on its line (a field may not hold a line break)");
            while (at < length && is_blank(line[at])) at++;
            if (at < length && line[at] != ',')
                return refuse(why, why_size, number, "a quoted field is followed by '%c', not by a comma", line[at]);
        } else {
            size_t start = at;
            while (at < length && line[at] != ',') {
                if (line[at] == '"')
                    return refuse(why, why_size, number,
                                  "a quote inside an unquoted field: quote the whole field and double the quote");
                at++;
            }
            size_t end = at;
            while (end > start && is_blank(line[end - 1])) end--;
            for (size_t i = start; i < end; i++) field_put(field, line[i]);
        }
        if (field->length <= FIELD_BYTES_MAX) field->bytes[field->length] = '\0';
        else field->bytes[FIELD_BYTES_MAX] = '\0';
        if (at >= length) return true;
        at++; /* the comma */
    }
}

/* Fills one row from a line's fields. */
static bool fill_row(const csv_field *fields, unsigned count, uint32_t number, cli_batch_row *row, char *why,
                     size_t why_size) {
    if (count < 2) return refuse(why, why_size, number, "expected payee,amount[,memo], found one field");
    if (fields[0].length == 0) return refuse(why, why_size, number, "the payee is empty");
    if (fields[1].length == 0) return refuse(why, why_size, number, "the amount is empty");
    if (fields[0].length > CLI_BATCH_PAYEE_MAX)
        return refuse(why, why_size, number, "the payee is %zu characters: no address@network is that long",
                      fields[0].length);
    if (fields[1].length > CLI_BATCH_AMOUNT_MAX)
        return refuse(why, why_size, number, "'%.31s...' is not an amount", fields[1].bytes);
    memset(row, 0, sizeof *row);
    row->source_line = number;
    memcpy(row->payee, fields[0].bytes, fields[0].length);
    memcpy(row->amount, fields[1].bytes, fields[1].length);
    if (count == 3) {
        const csv_field *memo = &fields[2];
        if (memo->length > TALLY_BATCH_MEMO_MAX)
            return refuse(why, why_size, number, "the memo is %zu bytes; a batch line's memo is at most %u",
                          memo->length, TALLY_BATCH_MEMO_MAX);
        if (!tally_text_is_valid(memo->bytes, memo->length))
            return refuse(why, why_size, number,
                          "the memo holds a control or invisible formatting character (such as U+202E or "
                          "U+200B), or is not UTF-8");
        row->memo_length = (uint16_t)memo->length;
        memcpy(row->memo, memo->bytes, memo->length);
    }
    return true;
}

bool cli_batch_csv_parse(const char *text, size_t length, cli_batch_row *rows, size_t *count, char *why,
                         size_t why_size) {
    assert((text != NULL || length == 0) && rows != NULL && count != NULL && why != NULL);
    *count = 0;
    if (length > CLI_BATCH_FILE_MAX)
        return refuse(why, why_size, 0, "the file is %zu bytes; a batch's file is at most %u", length,
                      CLI_BATCH_FILE_MAX);
    if (length > 0 && memchr(text, '\0', length) != NULL)
        return refuse(why, why_size, 0, "the file holds a NUL byte: it is not a text file");
    uint32_t number = 0;
    bool seen_data = false;
    for (size_t at = 0; at < length;) {
        const char *end = memchr(text + at, '\n', length - at);
        size_t line_length = end ? (size_t)(end - (text + at)) : length - at;
        const char *line = text + at;
        at += line_length + (end ? 1 : 0);
        number++;
        if (line_length > 0 && line[line_length - 1] == '\r') line_length--;
        size_t first = 0;
        while (first < line_length && is_blank(line[first])) first++;
        if (first == line_length || line[first] == '#') continue;
        csv_field fields[FIELDS_MAX];
        unsigned field_count;
        if (!split_line(line, line_length, number, fields, &field_count, why, why_size)) return false;
        /* A header names the columns: the first line whose first field is "payee". */
        if (!seen_data && strcasecmp(fields[0].bytes, "payee") == 0) {
            seen_data = true;
            continue;
        }
        seen_data = true;
        if (*count == TALLY_BATCH_LINES_MAX)
            return refuse(why, why_size, number, "more than %u payments: a batch holds at most %u; split the file",
                          TALLY_BATCH_LINES_MAX, TALLY_BATCH_LINES_MAX);
        if (!fill_row(fields, field_count, number, &rows[*count], why, why_size)) return false;
        (*count)++;
    }
    if (*count == 0) return refuse(why, why_size, 0, "the file holds no payment (one a line: payee,amount,memo)");
    return true;
}
