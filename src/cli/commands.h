/*
 * commands.h: the table of `tally` commands, each with its arguments, options and
 * help, and the parser that turns a command line into a command and its arguments.
 * Parsing needs no node and no key: a wrong command line is refused here with a
 * sentence that names what is wrong (exit status 2) before anything is sent.
 *
 * Grammar: tally [GLOBAL...] COMMAND [SUBCOMMAND] [ARGS and OPTIONS in any order]
 * Global options (--node URL, --key NAME, --json, --help) may appear anywhere.
 * Options take their value as the next argument or after '=' (--memo=eggs); "--"
 * ends the options. A word that starts with '-' and a digit is an argument (so
 * "-5" reaches the amount parser, which explains why it is refused).
 */
#ifndef TALLY_CLI_COMMANDS_H
#define TALLY_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

#define CLI_POSITIONAL_MAX 6u
#define CLI_OPTIONS_MAX 64u
#define CLI_REPEATS_MAX 32u            /* values of repeatable options, all together */
#define CLI_REPEATS_PER_OPTION_MAX 16u /* of one of them */

typedef struct {
    const char *name;       /* "--memo" */
    const char *value_name; /* "TEXT"; NULL for a flag */
    const char *help;
} cli_option;

typedef struct cli_args cli_args;
typedef cli_status cli_handler(cli_context *ctx, const cli_args *args);

typedef struct {
    const char *group;     /* "network", or NULL for a top-level command */
    const char *name;      /* "create" */
    const char *arguments; /* "NAME UNIT" as shown in the usage line */
    unsigned positional_min, positional_max;
    const cli_option *options; /* ends with an entry whose name is NULL; may be NULL */
    const char *summary;       /* one line for the command list */
    const char *description;   /* what it does and what each argument means */
    const char *example;       /* one or more example lines */
    cli_handler *run;
} cli_command;

struct cli_args {
    const cli_command *command;
    const char *positional[CLI_POSITIONAL_MAX];
    unsigned positional_count;
    const char *values[CLI_OPTIONS_MAX]; /* by index in command->options; "" for a flag given */
    /* An option whose value name ends in "..." may be given several times: its
     * values in order (values[] holds the first), each with the index of its option
     * in command->options (a command may have several: chain validator-propose's
     * --add and --retire; cli_option_repeats picks one's). At most
     * CLI_REPEATS_PER_OPTION_MAX of each. */
    const char *repeats[CLI_REPEATS_MAX];
    unsigned repeat_option[CLI_REPEATS_MAX];
    unsigned repeat_count;
    bool help;         /* --help, -h or `tally help ...`: print help, run nothing */
    const char *group; /* the group named (help on `tally network`) */
};

/* Every command, in the order of the help. */
extern const cli_command cli_commands[];
extern const size_t cli_command_count;

/*
 * Parses argv (argv[0] is the program) into args and applies the global options to
 * ctx. Returns CLI_OK with args->command set, or with args->help set (command and
 * group say what help to print; both NULL for the overview), or CLI_USAGE after
 * printing why on ctx->err.
 */
cli_status cli_parse(cli_context *ctx, int argc, char **argv, cli_args *args);

/* The value of an option of the parsed command (NULL when not given). */
const char *cli_option_value(const cli_args *args, const char *name);
bool cli_flag(const cli_args *args, const char *name);
/* The values of a repeatable option, in the order given, into out (at most out_max);
 * how many there are. */
unsigned cli_option_repeats(const cli_args *args, const char *name, const char **out, unsigned out_max);

/* Prints help: for a command, a group ("network") or everything (both NULL). */
void cli_print_help(FILE *out, const char *group, const cli_command *command);

/* Prints "tally: <message>" and where to find the usage, returns CLI_USAGE. */
/* Hints the CLI prints ("more: tally ..."), made to paste: cli_hint_start writes
 * "tally" and the global options in force (--key NAME, --node URL given on the
 * command line) into out; cli_hint_word appends " WORD", in single quotes when the
 * shell would split or expand it (a quote inside as '\''). Both keep out
 * NUL-terminated and cut nothing but what does not fit. */
#define CLI_HINT_WORD_MAX 1200
void cli_hint_start(const cli_context *ctx, char *out, size_t out_size);
void cli_hint_word(char *out, size_t out_size, const char *word);

cli_status cli_usage(const cli_context *ctx, const cli_command *command, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse and run: what main does. */
cli_status cli_run(cli_context *ctx, int argc, char **argv);

#endif
