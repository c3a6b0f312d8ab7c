/*
 * batch_csv.h: the CSV file of `tally pay-batch`, parsed without a node. One
 * payment a line: payee,amount[,memo]. The payee is alias@network, address@network
 * or (with --network) a bare alias or address; the amount is in the network's unit
 * as typed elsewhere ("12.50"); the memo is optional text of at most
 * TALLY_BATCH_MEMO_MAX bytes. Fields may be quoted ("a, b" and "say ""hi"""), as
 * spreadsheets write them; blank lines, lines starting with '#' and a first line
 * whose first field is "payee" (a header) are skipped; CRLF line ends are read as
 * LF. Every refusal names the file's line.
 */
#ifndef TALLY_CLI_BATCH_CSV_H
#define TALLY_CLI_BATCH_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

/* The longest file read: 256 lines of the longest fields with room to spare. */
#define CLI_BATCH_FILE_MAX (1u << 20)
#define CLI_BATCH_PAYEE_MAX (TALLY_ADDRESS_LENGTH + 1u + TALLY_NAME_MAX)
#define CLI_BATCH_AMOUNT_MAX 31u

typedef struct {
    uint32_t source_line; /* in the file, from 1 */
    char payee[CLI_BATCH_PAYEE_MAX + 1];
    char amount[CLI_BATCH_AMOUNT_MAX + 1];
    uint16_t memo_length;
    char memo[TALLY_BATCH_MEMO_MAX]; /* not NUL-terminated */
} cli_batch_row;

/*
 * Parses `length` bytes of CSV into rows (room for TALLY_BATCH_LINES_MAX) and sets
 * *count (1..TALLY_BATCH_LINES_MAX). false with a sentence in why ("line 7: ...")
 * for: a NUL byte, a line that is not 2 or 3 fields, a quoted field not closed on its
 * line or followed by anything but a comma, a quote inside an unquoted field, an
 * empty payee or amount, a payee or amount longer than any can be, a memo longer
 * than TALLY_BATCH_MEMO_MAX bytes or holding a character a memo may not hold (as
 * tally_text_is_valid says), no payment at all, or more than TALLY_BATCH_LINES_MAX.
 * Amounts and payees are checked by the caller, who knows the network.
 */
bool cli_batch_csv_parse(const char *text, size_t length, cli_batch_row *rows, size_t *count, char *why,
                         size_t why_size);

#endif
