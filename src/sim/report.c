/*
 * report.c: what a simulation says, in three forms. The CSV has one line per
 * simulated day (amounts in units with two decimals, ratios in percent with two);
 * the summary table compares policies side by side; the HTML report is one file
 * that opens from disk: the plot library (uPlot, the web app's) and its style
 * inlined, every run's figures as JSON in the page (the very numbers the CSV
 * holds, column for column), the plots drawn from them, and the summary table.
 * Nothing here reads a clock: the same runs give the same bytes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

/* ---- one figure, as text ---- */

static const char *amount_text(int64_t amount, char *out, size_t size) {
    if (tally_amount_format(amount, 2, out, size) == 0) snprintf(out, size, "0");
    return out;
}

static void date_text(int64_t time, char *out, size_t size) {
    time_t t = (time_t)time;
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(out, size, "%Y-%m-%d", &tm);
    else snprintf(out, size, "?");
}

/* The CSV's columns: name, and how a day's value is written. */
typedef enum { COL_DAY, COL_DATE, COL_AMOUNT, COL_PCT, COL_COUNT, COL_BOOL } column_kind;
typedef struct {
    const char *name;
    column_kind kind;
    size_t offset;
} column;

#define COLUMN(name, kind) {#name, kind, offsetof(sim_day, name)}
static const column columns[] = {
    {"day", COL_DAY, offsetof(sim_day, day)},
    {"date", COL_DATE, offsetof(sim_day, time)},
    COLUMN(supply, COL_AMOUNT),
    COLUMN(debt, COL_AMOUNT),
    COLUMN(member_debt, COL_AMOUNT),
    COLUMN(lost_debt, COL_AMOUNT),
    COLUMN(limits, COL_AMOUNT),
    {"utilisation_pct", COL_PCT, offsetof(sim_day, utilisation_bps)},
    COLUMN(volume_30d, COL_AMOUNT),
    {"velocity_pct", COL_PCT, offsetof(sim_day, velocity_bps)},
    {"defaults", COL_COUNT, offsetof(sim_day, defaults)},
    COLUMN(written_off, COL_AMOUNT),
    COLUMN(covered_by_pool_credits, COL_AMOUNT),
    COLUMN(covered_by_underwriters, COL_AMOUNT),
    COLUMN(redeemed, COL_AMOUNT),
    COLUMN(uncovered, COL_AMOUNT),
    COLUMN(primary, COL_AMOUNT),
    COLUMN(buffer, COL_AMOUNT),
    COLUMN(excess, COL_AMOUNT),
    {"rtd_pct", COL_PCT, offsetof(sim_day, rtd_centi_pct)},
    {"redeem_at_par", COL_BOOL, offsetof(sim_day, at_par)},
    COLUMN(clearing_removed, COL_AMOUNT),
    COLUMN(exposure, COL_AMOUNT),
    COLUMN(owed, COL_AMOUNT),
};
#define COLUMN_COUNT (sizeof columns / sizeof *columns)

/* The value of column c on a day, as the CSV writes it. */
static const char *cell(const column *c, const sim_day *row, char *out, size_t size) {
    const char *at = (const char *)row + c->offset;
    uint32_t u32;
    int64_t i64;
    switch (c->kind) {
    case COL_DAY:
    case COL_COUNT:
        memcpy(&u32, at, sizeof u32);
        snprintf(out, size, "%u", u32);
        return out;
    case COL_DATE:
        memcpy(&i64, at, sizeof i64);
        date_text(i64, out, size);
        return out;
    case COL_AMOUNT:
        memcpy(&i64, at, sizeof i64);
        return amount_text(i64, out, size);
    case COL_PCT: /* basis points (or hundredths of a percent) as a percent with two decimals */
        memcpy(&u32, at, sizeof u32);
        return amount_text(u32, out, size);
    case COL_BOOL: snprintf(out, size, "%s", *(const bool *)at ? "true" : "false"); return out;
    }
    return "";
}

bool sim_write_csv(FILE *out, const sim_result *result) {
    for (size_t c = 0; c < COLUMN_COUNT; c++) fprintf(out, "%s%s", c ? "," : "", columns[c].name);
    fputc('\n', out);
    char text[TALLY_AMOUNT_TEXT_MAX + 8];
    for (uint32_t d = 0; d < result->days; d++) {
        for (size_t c = 0; c < COLUMN_COUNT; c++)
            fprintf(out, "%s%s", c ? "," : "", cell(&columns[c], &result->rows[d], text, sizeof text));
        fputc('\n', out);
    }
    return !ferror(out);
}

/* ---- the summary ---- */

typedef struct {
    const char *label;
    char values[8][32];
} summary_line;

#define SUMMARY_LINES 20u
#define SUMMARY_RUNS_MAX 8u

static uint32_t summarise(const sim_result *results, uint32_t count, summary_line *lines) {
    if (count > SUMMARY_RUNS_MAX) count = SUMMARY_RUNS_MAX;
    static const char *const labels[SUMMARY_LINES] = {
        "members",
        "days",
        "transactions applied",
        "transactions refused",
        "supply at the end",
        "peak member debt",
        "mean utilisation %",
        "mean velocity % (30 days)",
        "defaults",
        "debt written off",
        "covered by pool credits",
        "covered by underwriters",
        "redeemed for reserve",
        "uncovered at the end",
        "lowest RTD % (with supply)",
        "RTD at the end %",
        "redeemable at par",
        "clearing removed",
        "peak exposure to partners",
        "primary at the end",
    };
    for (uint32_t l = 0; l < SUMMARY_LINES; l++) lines[l].label = labels[l];
    for (uint32_t r = 0; r < count; r++) {
        const sim_result *run = &results[r];
        const sim_day *last = run->days ? &run->rows[run->days - 1] : NULL;
        sim_day empty;
        memset(&empty, 0, sizeof empty);
        if (!last) last = &empty;
        int64_t peak_debt = 0, peak_exposure = 0;
        uint64_t utilisation = 0, velocity = 0;
        uint32_t lowest_rtd = UINT32_MAX;
        for (uint32_t d = 0; d < run->days; d++) {
            const sim_day *row = &run->rows[d];
            if (row->member_debt > peak_debt) peak_debt = row->member_debt;
            if (row->exposure > peak_exposure) peak_exposure = row->exposure;
            utilisation += row->utilisation_bps;
            velocity += row->velocity_bps;
            if (row->supply > 0 && row->rtd_centi_pct < lowest_rtd) lowest_rtd = row->rtd_centi_pct;
        }
        if (lowest_rtd == UINT32_MAX) lowest_rtd = 0;
        uint32_t days = run->days ? run->days : 1;
        char (*v)[32] = NULL;
#define VALUE(line) (v = &lines[line].values[r], *v)
        snprintf(VALUE(0), 32, "%u", run->policy.members);
        snprintf(VALUE(1), 32, "%u", run->days);
        snprintf(VALUE(2), 32, "%llu", (unsigned long long)run->applied);
        snprintf(VALUE(3), 32, "%llu", (unsigned long long)run->refused);
        amount_text(last->supply, VALUE(4), 32);
        amount_text(peak_debt, VALUE(5), 32);
        amount_text((int64_t)(utilisation / days), VALUE(6), 32);
        amount_text((int64_t)(velocity / days), VALUE(7), 32);
        snprintf(VALUE(8), 32, "%u", last->defaults);
        amount_text(last->written_off, VALUE(9), 32);
        amount_text(last->covered_by_pool_credits, VALUE(10), 32);
        amount_text(last->covered_by_underwriters, VALUE(11), 32);
        amount_text(last->redeemed, VALUE(12), 32);
        amount_text(last->uncovered, VALUE(13), 32);
        amount_text(lowest_rtd, VALUE(14), 32);
        amount_text(last->rtd_centi_pct, VALUE(15), 32);
        if (run->first_day_not_at_par == UINT32_MAX) snprintf(VALUE(16), 32, "always");
        else snprintf(VALUE(16), 32, "until day %u", run->first_day_not_at_par);
        amount_text(last->clearing_removed, VALUE(17), 32);
        amount_text(peak_exposure, VALUE(18), 32);
        amount_text(last->primary, VALUE(19), 32);
#undef VALUE
        (void)v;
    }
    return count;
}

void sim_write_summary(FILE *out, const sim_result *results, uint32_t count, bool csv) {
    summary_line lines[SUMMARY_LINES];
    memset(lines, 0, sizeof lines);
    count = summarise(results, count, lines);
    if (csv) {
        fprintf(out, "figure");
        for (uint32_t r = 0; r < count; r++) fprintf(out, ",%s", results[r].policy.name);
        fputc('\n', out);
        for (uint32_t l = 0; l < SUMMARY_LINES; l++) {
            fprintf(out, "%s", lines[l].label);
            for (uint32_t r = 0; r < count; r++) fprintf(out, ",%s", lines[l].values[r]);
            fputc('\n', out);
        }
        return;
    }
    int label_width = 0;
    for (uint32_t l = 0; l < SUMMARY_LINES; l++)
        if ((int)strlen(lines[l].label) > label_width) label_width = (int)strlen(lines[l].label);
    fprintf(out, "%-*s", label_width, "");
    for (uint32_t r = 0; r < count; r++) fprintf(out, "  %16s", results[r].policy.name);
    fputc('\n', out);
    for (uint32_t l = 0; l < SUMMARY_LINES; l++) {
        fprintf(out, "%-*s", label_width, lines[l].label);
        for (uint32_t r = 0; r < count; r++) fprintf(out, "  %16s", lines[l].values[r]);
        fputc('\n', out);
    }
}

/* ---- the HTML report ---- */

static void html_text(FILE *out, const char *text) {
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*c, out);
        }
    }
}

/* A JSON string inside a <script> element: escapes quotes, backslashes, controls
 * and '<' (so that no "</script>" can end the element early). */
static void json_text(FILE *out, const char *text) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == '<') fprintf(out, "\\u%04x", *c);
        else fputc(*c, out);
    }
    fputc('"', out);
}

/* Every run's columns as the CSV writes them (numbers stay numbers; the date and
 * the at-par flag are a string and 0/1). */
static void write_data(FILE *out, const sim_scenario *scenario, const sim_options *options, const sim_result *results,
                       uint32_t count) {
    char text[TALLY_AMOUNT_TEXT_MAX + 8];
    fprintf(out, "{\"scenario\":");
    json_text(out, scenario->name);
    fprintf(out, ",\"seed\":%llu,\"days\":%u,\"columns\":[", (unsigned long long)options->seed, options->days);
    for (size_t c = 0; c < COLUMN_COUNT; c++) {
        fprintf(out, "%s", c ? "," : "");
        json_text(out, columns[c].name);
    }
    fprintf(out, "],\"runs\":[");
    for (uint32_t r = 0; r < count; r++) {
        const sim_result *run = &results[r];
        fprintf(out, "%s{\"policy\":", r ? "," : "");
        json_text(out, run->policy.name);
        fprintf(out, ",\"values\":{");
        for (size_t c = 0; c < COLUMN_COUNT; c++) {
            fprintf(out, "%s", c ? "," : "");
            json_text(out, columns[c].name);
            fputs(":[", out);
            for (uint32_t d = 0; d < run->days; d++) {
                const char *value = cell(&columns[c], &run->rows[d], text, sizeof text);
                if (d) fputc(',', out);
                if (columns[c].kind == COL_DATE) json_text(out, value);
                else if (columns[c].kind == COL_BOOL) fputs(run->rows[d].at_par ? "1" : "0", out);
                else fputs(value, out);
            }
            fputc(']', out);
        }
        fputs("}}", out);
    }
    fputs("]}", out);
}

/* The plots: a title, what the y axis reads, and the columns drawn (one series per
 * policy and column). The page's script reads this list too. */
static const char plots_js[] =
    "const PLOTS = [\n"
    "  {id: 'supply', title: 'Supply and debt', unit: 'units', columns: ['supply', 'member_debt', 'lost_debt']},\n"
    "  {id: 'utilisation', title: 'Utilisation (member debt / limits)', unit: '%', columns: ['utilisation_pct']},\n"
    "  {id: 'velocity', title: 'Velocity (30 days of payments / supply)', unit: '%', columns: ['velocity_pct']},\n"
    "  {id: 'defaults', title: 'Defaults and lost debt', unit: 'units', columns: ['written_off', 'lost_debt', "
    "'redeemed']},\n"
    "  {id: 'rtd', title: 'Reserve-to-debt ratio', unit: '%', columns: ['rtd_pct']},\n"
    "  {id: 'pool', title: 'The pool\\'s parts', unit: 'USD', columns: ['primary', 'buffer', 'excess']},\n"
    "  {id: 'losses', title: 'Losses: covered by pool credits, by underwriters, uncovered', unit: 'units', "
    "columns: ['covered_by_pool_credits', 'covered_by_underwriters', 'uncovered']},\n"
    "  {id: 'par', title: 'Redeemable at par (1: yes)', unit: '', columns: ['redeem_at_par']},\n"
    "  {id: 'clearing', title: 'Obligation removed by clearing', unit: 'units', columns: ['clearing_removed']},\n"
    "  {id: 'exposure', title: 'Through gateways: exposure to partners and owed to them', unit: 'units', "
    "columns: ['exposure', 'owed']},\n"
    "];\n";

static const char page_js[] =
    "const DATA = JSON.parse(document.getElementById('sim-data').textContent);\n"
    "const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4', '#57606a'];\n"
    "const DASHES = [[], [6, 4], [2, 3]];\n"
    "window.simPlots = [];\n"
    "function width(el) { return Math.max(280, Math.min(el.clientWidth || 900, 1100)); }\n"
    "for (const plot of PLOTS) {\n"
    "  const box = document.createElement('section');\n"
    "  box.className = 'plot';\n"
    "  box.dataset.plot = plot.id;\n"
    "  const h = document.createElement('h2');\n"
    "  h.textContent = plot.title + (plot.unit ? ' (' + plot.unit + ')' : '');\n"
    "  box.appendChild(h);\n"
    "  document.getElementById('plots').appendChild(box);\n"
    "  const series = [{label: 'day'}];\n"
    "  const data = [DATA.runs.length ? DATA.runs[0].values.day : []];\n"
    "  const drawn = [];\n"
    "  DATA.runs.forEach((run, r) => {\n"
    "    plot.columns.forEach((name, c) => {\n"
    "      series.push({label: run.policy + ': ' + name, stroke: COLOURS[r % COLOURS.length], dash: DASHES[c % "
    "DASHES.length], width: 2});\n"
    "      data.push(run.values[name]);\n"
    "      drawn.push({policy: run.policy, column: name});\n"
    "    });\n"
    "  });\n"
    "  const chart = new uPlot({width: width(box), height: 260, series, scales: {x: {time: false}},\n"
    "    axes: [{label: 'day'}, {size: 70}], legend: {live: true}}, data, box);\n"
    "  window.simPlots.push({id: plot.id, drawn, chart});\n"
    "}\n"
    "window.addEventListener('resize', () => { for (const p of window.simPlots) p.chart.setSize({width: "
    "width(p.chart.root.parentElement), height: 260}); });\n"
    "document.body.dataset.ready = 'true';\n";

static const char page_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:12px;max-width:1140px;color:#1f2328}\n"
    "h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.05em;margin:.8em 0 .3em}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;display:block;overflow-x:auto}\n"
    "td,th{padding:3px 10px;border-bottom:1px solid #d0d7de;text-align:right;white-space:nowrap}\n"
    "td:first-child,th:first-child{text-align:left}\n"
    ".plot{margin:10px 0;overflow-x:auto}.meta{color:#57606a}\n";

bool sim_write_html(FILE *out, const sim_scenario *scenario, const sim_options *options, const sim_result *results,
                    uint32_t count, const char *uplot_js, const char *uplot_css) {
    fputs("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Tally policy simulation: ",
          out);
    html_text(out, scenario->name);
    fputs("</title>\n<style>\n", out);
    fputs(uplot_css, out);
    fputs("\n", out);
    fputs(page_css, out);
    fputs("</style>\n</head>\n<body>\n<h1>Policy simulation: ", out);
    html_text(out, scenario->name);
    fputs("</h1>\n<p class=\"meta\">", out);
    html_text(out, scenario->description);
    fprintf(out, "<br>Seed %llu, %u simulated days, one block a day; the real core applied every transaction.</p>\n",
            (unsigned long long)options->seed, options->days);
    fputs("<h2>Summary</h2>\n<table id=\"summary\">\n<tr><th></th>", out);
    summary_line lines[SUMMARY_LINES];
    memset(lines, 0, sizeof lines);
    uint32_t shown = summarise(results, count, lines);
    for (uint32_t r = 0; r < shown; r++) {
        fputs("<th>", out);
        html_text(out, results[r].policy.name);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (uint32_t l = 0; l < SUMMARY_LINES; l++) {
        fputs("<tr><td>", out);
        html_text(out, lines[l].label);
        fputs("</td>", out);
        for (uint32_t r = 0; r < shown; r++) {
            fputs("<td>", out);
            html_text(out, lines[l].values[r]);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n<div id=\"plots\"></div>\n<script id=\"sim-data\" type=\"application/json\">", out);
    write_data(out, scenario, options, results, count);
    fputs("</script>\n<script>\n", out);
    fputs(uplot_js, out);
    fputs("\n</script>\n<script>\n", out);
    fputs(plots_js, out);
    fputs(page_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    return !ferror(out);
}
