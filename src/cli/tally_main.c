/*
 * tally_main.c: the `tally` program. Everything it does is in the other files of
 * src/cli/ so that tests can run it without a process or a node; main only sets up
 * libsodium and libcurl, reads the environment and exits with the command's status
 * (0 done, 1 refused, 2 wrong command line, 3 node unreachable or I/O).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/commands.h"

int main(int argc, char **argv) {
    if (!tally_crypto_init()) {
        fprintf(stderr, "tally: libsodium failed to initialise\n");
        return CLI_IO;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "tally: libcurl failed to initialise\n");
        return CLI_IO;
    }
    cli_context ctx;
    cli_context_init(&ctx, stdout, stderr);
    ctx.err_is_tty = isatty(fileno(stderr)) == 1;
    ctx.in_is_tty = isatty(fileno(stdin)) == 1;
    ctx.transport = cli_client_curl_transport();
    cli_status status = cli_run(&ctx, argc, argv);
    cli_client_curl_transport_close();
    curl_global_cleanup();
    if (fflush(stdout) != 0 && status == CLI_OK) status = CLI_IO;
    return (int)status;
}
