// attn_classes in SQLite: one row per (attention log, sample, step, layer, head). Re-classifying
// a file replaces its rows; a failed write rolls the whole call back.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/classify/attn_classes.h"
#include "bench/base/error.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS attn_classes ("
    " attn_file TEXT NOT NULL, sample_id TEXT NOT NULL, method TEXT, config_hash TEXT, model TEXT,"
    " step INTEGER NOT NULL, layer INTEGER NOT NULL, head INTEGER NOT NULL,"  // head -1: head-averaged
    " label TEXT NOT NULL, keys INTEGER, edge INTEGER, bins INTEGER,"
    " sink_mass REAL, recent_mass REAL, middle_mass REAL, entropy REAL, max_bin_pos REAL,"
    " max_bin_in_middle INTEGER, peak_pos REAL, peak_width REAL, n_chunk_starts INTEGER,"
    " hot_chunk_starts INTEGER, max_chunk_start_mass REAL, chunk_start_mass TEXT,"  // JSON array
    " thresholds TEXT NOT NULL, classified_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " PRIMARY KEY (attn_file, sample_id, step, layer, head));";

static const char INSERT[] =
    "INSERT OR REPLACE INTO attn_classes (attn_file, sample_id, method, config_hash, model, step, layer, head,"
    " label, keys, edge, bins, sink_mass, recent_mass, middle_mass, entropy, max_bin_pos, max_bin_in_middle,"
    " peak_pos, peak_width, n_chunk_starts, hot_chunk_starts, max_chunk_start_mass, chunk_start_mass, thresholds)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static char *mass_json(const attn_class_row *r) {
    size_t cap = 16 + (size_t)r->f.n_chunk_starts * 24, at = 0;
    char *s = pcb_malloc(cap);
    at += (size_t)snprintf(s + at, cap - at, "[");
    for (int k = 0; k < r->f.n_chunk_starts; k++)
        at += (size_t)snprintf(s + at, cap - at, "%s%.6g", k ? "," : "", r->start_mass[k]);
    snprintf(s + at, cap - at, "]");
    return s;
}

int attn_classes_write_db(const char *db_path, const char *attn_file, const char *model, const attn_sample_info *s,
                          const attn_class_row *rows, int n, const attn_thresholds *t) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char thresholds[512];
    attn_thresholds_format(t, thresholds, sizeof thresholds);
    if (sqlite3_open(db_path, &db) != SQLITE_OK) {
        pcb_fail("%s: cannot open the SQLite database: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) != SQLITE_OK ||
             sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
             sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
             sqlite3_prepare_v2(db, INSERT, -1, &st, NULL) != SQLITE_OK;
    for (int i = 0; i < n && !rc; i++) {
        const attn_class_row *r = &rows[i];
        const attn_features *f = &r->f;
        char *mass = mass_json(r);
        int c = 1;
        sqlite3_bind_text(st, c++, attn_file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c++, s->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c++, s->method, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c++, s->config_hash ? s->config_hash : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c++, model ? model : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, c++, r->step), sqlite3_bind_int(st, c++, r->layer), sqlite3_bind_int(st, c++, r->head);
        sqlite3_bind_text(st, c++, attn_class_name(r->label), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, c++, f->keys), sqlite3_bind_int(st, c++, f->edge), sqlite3_bind_int(st, c++, f->bins);
        sqlite3_bind_double(st, c++, f->sink_mass), sqlite3_bind_double(st, c++, f->recent_mass);
        sqlite3_bind_double(st, c++, f->middle_mass), sqlite3_bind_double(st, c++, f->entropy);
        sqlite3_bind_double(st, c++, f->max_bin_pos), sqlite3_bind_int(st, c++, f->max_bin_in_middle);
        sqlite3_bind_double(st, c++, f->peak_pos), sqlite3_bind_double(st, c++, f->peak_width);
        sqlite3_bind_int(st, c++, f->n_chunk_starts), sqlite3_bind_int(st, c++, f->hot_chunk_starts);
        sqlite3_bind_double(st, c++, f->max_chunk_start_mass);
        sqlite3_bind_text(st, c++, mass, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c++, thresholds, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) != SQLITE_DONE;
        sqlite3_reset(st);
        free(mass);
    }
    if (rc) pcb_fail("%s: cannot store the classes of %s: %s", db_path, s->id, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = pcb_fail("%s: commit failed: %s", db_path, sqlite3_errmsg(db));
    if (rc) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc ? -1 : 0;
}
