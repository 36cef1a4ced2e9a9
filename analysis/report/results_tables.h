// Paper-shape tables from a results file (ParallelComp Tables 2-5), as Markdown, LaTeX (booktabs)
// or JSON. Each table is built only when the file has rows for it:
//
//   longbench   rows = variants, columns = LongBench tasks (canonical order, grouped by category)
//               + avg; cell = 100 x mean score. One table per context length (0 = as in the data).
//   synthetic   columns = task x length for passkey, number_string, kv_retrieval, needle + avg;
//               cell = 100 x mean over depths and samples.
//   ppl         columns = lengths; cell = pooled perplexity exp(mean log ppl), lower is better.
//   speed       columns = length x (median prefill ms, speedup against full-untruncated, else full).
//   memory      columns = length x (peak host MiB, KV-cache peak MiB, GPU peak MiB when any).
//
// Only done rows count. A cell whose rows are not all done carries a footnote marker and a note
// "LABEL, COLUMN: n of m rows done (f failed, p pending)"; a cell with no rows at all is blank.
#ifndef PCB_RESULTS_TABLES_H
#define PCB_RESULTS_TABLES_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "analysis/read/results_read.h"

typedef enum {
    RT_SCORE,
    RT_AVG,
    RT_PPL,
    RT_PREFILL_MS,
    RT_SPEEDUP,
    RT_HOST_MIB,
    RT_KV_MIB,
    RT_GPU_MIB
} results_measure;

typedef struct {
    char *header;        // one-line header (Markdown, JSON): "hotpotqa", "passkey 4K", "4K ms"
    char *group, *name;  // two-line header (LaTeX): group over name; group NULL: none
    char *what;          // how a footnote names the column: "trec", "passkey 4K", "4K"
    const char *task;    // NULL for avg and the all-task tables
    int context_length;  // -1 for avg
    results_measure measure;
} results_column;

typedef struct {
    double value;  // NAN: nothing to show
    int n_rows, n_done, n_failed, n_pending;
    int note;  // footnote number (1-based), 0: none
} results_cell;

typedef struct {
    char *id;       // "longbench", "longbench_8K", "synthetic", "ppl", "speed", "memory"
    char *caption;  // plain text (UTF-8); renderers escape it
    results_column *cols;
    int n_cols;
    int *row_variant;  // row i shows db->variants[row_variant[i]]
    char **row_label;
    int n_rows;
    results_cell *cells;  // [n_rows][n_cols]
    char **notes;         // note i is marked with results_note_mark(i + 1)
    int n_notes;
} results_table;

typedef struct {
    results_table *t;
    int n;
} results_tables;

typedef enum { RESULTS_MARKDOWN, RESULTS_LATEX } results_format;

// The cell of row r, column c.
results_cell *results_table_cell(const results_table *t, int r, int c);
// Builds every table the file has rows for (none when no row is done). 0 or -1 + error.
int results_tables_build(const results_db *db, results_tables *out);
void results_tables_free(results_tables *t);
// A provenance line, then the tables. Markdown: GitHub tables with a bold caption line and notes;
// LaTeX: one table environment each (booktabs, \caption, escaped labels).
void results_tables_print(FILE *f, const results_db *db, const results_tables *t, results_format fmt);
// One cell as printed ("17.99", "2.08×", "–" for none), with its footnote marker
// (Markdown: <sup>a</sup>, which HTML shows as is; LaTeX: \textsuperscript{a}).
void results_cell_text(const results_column *col, const results_cell *x, results_format fmt, char *buf, size_t size);
// {"file", "rows": {done, failed, pending}, "runs": [...], "tables": [...]}: the same numbers.
cJSON *results_tables_json(const results_db *db, const results_tables *t);
// Footnote marker of note n >= 1: "a".."z", "aa", "ab", ...; buf of >= 8 chars.
void results_note_mark(int n, char *buf);
// "4K" for 4096, "128K", "1M"; other lengths as digits; 0 as "as in data".
void results_format_length(int len, char *buf, size_t size);

#endif
