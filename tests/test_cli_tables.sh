#!/usr/bin/env bash
# End-to-end tests of `pcbench tables`: a results file made with the sqlite3 CLI in the store's
# schema (analysis/store/results_store.c, user_version 1) and one in the older schema of the first demo
# files; Markdown / LaTeX / JSON cells, and bad input (no --db, missing file, not a results file,
# unknown --format), each a clear message and a non-zero exit.
set -u
PCB=${1:-./pcbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

# The sqlite3 CLI is a project dependency (scripts/install_deps.sh): its absence is a failure.
if ! command -v sqlite3 >/dev/null; then notok cli_tables "the sqlite3 CLI is not installed (make deps)"; exit 1; fi

schema_v1="
CREATE TABLE runs ( run_id INTEGER PRIMARY KEY, config_name TEXT, config_path TEXT, config_sha256 TEXT, code_version TEXT,
 backend TEXT, device TEXT, threads INTEGER, model TEXT, model_sha256 TEXT, host TEXT, shard TEXT,
 started_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')), finished_utc TEXT);
CREATE TABLE variants ( variant_hash TEXT PRIMARY KEY, canonical TEXT NOT NULL, method TEXT, label TEXT);
CREATE TABLE samples ( row_key TEXT PRIMARY KEY, variant_hash TEXT NOT NULL, task TEXT NOT NULL, sample_id TEXT NOT NULL,
 context_length INTEGER, depth REAL, model_sha256 TEXT, dataset_sha256 TEXT,
 status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
 prediction TEXT, score REAL, prefill_ms REAL, decode_ms REAL, peak_bytes INTEGER, kv_peak_bytes INTEGER,
 device_peak_bytes INTEGER, kept_chunks TEXT, n_chunks INTEGER, kv_slots INTEGER, prompt_tokens INTEGER, error TEXT, run_id INTEGER,
 finished_utc TEXT);
PRAGMA user_version = 1;"

# Two variants; full: qasper 0.5 / 0.25 (37.50), passkey 4K 1 / 1, ppl 4K 4 and 9 (pooled 6.00);
# parallelcomp (label with _ and %): qasper 1 + a failed row, passkey 4K 1 / 0, ppl 2 and 8 (4.00).
# Prefill at 4K: full 400 / 600 / 800 / 1000 (median 700), parallelcomp 100 / 200 / 300 / 400 (250).
db="$tmp/r.sqlite"
sqlite3 "$db" "$schema_v1
INSERT INTO runs (config_name, code_version, backend, device, threads, model, model_sha256)
  VALUES ('t', '0.1.0', 'cpu', 'cpu', 2, 'models/m.gguf', 'b179c9523d0e6a0f');
INSERT INTO variants VALUES ('f1', 'method.name=full', 'full', 'full'),
  ('p1', 'method.name=parallelcomp', 'parallelcomp', 'parallelcomp topk_chunks=1 50%');
INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length, depth, status, score, prefill_ms,
  decode_ms, peak_bytes, kv_peak_bytes, device_peak_bytes, kept_chunks, n_chunks, kv_slots, prompt_tokens) VALUES
  ('1', 'f1', 'qasper', 'q0', 0, NULL, 'done', 0.5, 2000, 10, 104857600, 10485760, 0, '[]', 0, 1, 5000),
  ('2', 'f1', 'qasper', 'q1', 0, NULL, 'done', 0.25, 3000, 10, 104857600, 10485760, 0, '[]', 0, 1, 5000),
  ('3', 'f1', 'passkey', 'p0', 4096, 0.5, 'done', 1, 400, 10, 209715200, 20971520, 0, '[]', 0, 1, 4096),
  ('4', 'f1', 'passkey', 'p1', 4096, 0.5, 'done', 1, 600, 10, 209715200, 20971520, 0, '[]', 0, 1, 4096),
  ('5', 'f1', 'ppl', 'b0', 4096, NULL, 'done', 4, 800, 10, 209715200, 20971520, 0, '[]', 0, 1, 4096),
  ('6', 'f1', 'ppl', 'b1', 4096, NULL, 'done', 9, 1000, 10, 209715200, 20971520, 0, '[]', 0, 1, 4096),
  ('7', 'p1', 'qasper', 'q0', 0, NULL, 'done', 1, 1000, 10, 104857600, 10485760, 0, '[1]', 3, 1, 5000),
  ('9', 'p1', 'passkey', 'p0', 4096, 0.5, 'done', 1, 100, 10, 104857600, 5242880, 0, '[1]', 2, 1, 4096),
  ('10', 'p1', 'passkey', 'p1', 4096, 0.5, 'done', 0, 200, 10, 104857600, 5242880, 0, '[0]', 2, 1, 4096),
  ('11', 'p1', 'ppl', 'b0', 4096, NULL, 'done', 2, 300, 10, 104857600, 5242880, 0, '[1]', 2, 1, 4096),
  ('12', 'p1', 'ppl', 'b1', 4096, NULL, 'done', 8, 400, 10, 104857600, 5242880, 0, '[1]', 2, 1, 4096);
INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length, status, error)
  VALUES ('8', 'p1', 'qasper', 'q1', 0, 'failed', 'sample longer than any budget');"
sum_before=$(sha256sum "$db" | cut -d' ' -f1)

if run_ok "$tmp/help" $PCB tables --help && grep -q "usage: pcbench tables --db" "$tmp/help"; then ok help_tables; else
    notok help_tables; fi

if run_ok "$tmp/md" $PCB tables --db "$db" &&
    grep -qF '**Table: LongBench' "$tmp/md" &&
    grep -qF '| full | 37.50 | 37.50 |' "$tmp/md" &&
    grep -qF '| parallelcomp topk_chunks=1 50% | 100.00<sup>a</sup> | 100.00<sup>b</sup> |' "$tmp/md" &&
    grep -qF -- '- <sup>a</sup> parallelcomp topk_chunks=1 50%, qasper: 1 of 2 rows done (1 failed)' "$tmp/md" &&
    grep -qF '| full | 100.00 | 100.00 |' "$tmp/md" &&
    grep -qF '| full | 6.00 |' "$tmp/md" && grep -qF '| parallelcomp topk_chunks=1 50% | 4.00 |' "$tmp/md" &&
    grep -qF '| method | 4K ms | 4K speedup | as in data ms | as in data speedup |' "$tmp/md" &&
    grep -qF '| parallelcomp topk_chunks=1 50% | 250 | 2.80× |' "$tmp/md" &&
    grep -qF 'speedup = median prefill time of full /' "$tmp/md" &&
    grep -qF '| full | 200.0 | 20.0 | 100.0 | 10.0 |' "$tmp/md" && ! grep -q GPU "$tmp/md"; then
    ok tables_markdown
else
    notok tables_markdown "$(cat "$tmp/md" "$tmp/err")"
fi

if run_ok "$tmp/tex" $PCB tables --db "$db" --format latex &&
    [ "$(grep -c '\\begin{table}' "$tmp/tex")" = 5 ] && [ "$(grep -c '\\bottomrule' "$tmp/tex")" = 5 ] &&
    grep -qF '\toprule' "$tmp/tex" && grep -qF '\midrule' "$tmp/tex" &&
    grep -qF 'parallelcomp topk\_chunks=1 50\% & 100.00\textsuperscript{a} & 100.00\textsuperscript{b} \\' "$tmp/tex" &&
    grep -qF 'parallelcomp topk\_chunks=1 50\% & 250 & 2.80$\times$' "$tmp/tex" &&
    grep -qF '\caption{Perplexity by context length' "$tmp/tex"; then
    ok tables_latex
else
    notok tables_latex "$(cat "$tmp/tex" "$tmp/err")"
fi

if run_ok "$tmp/json" $PCB tables --db "$db" --json &&
    python3 - "$tmp/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["id"]: x for x in d["tables"]}
assert list(t) == ["longbench", "synthetic", "ppl", "speed", "memory"], list(t)
assert d["rows"] == {"done": 11, "failed": 1, "pending": 0}, d["rows"]
ppl = t["ppl"]["rows"]
assert [r["label"] for r in ppl] == ["full", "parallelcomp topk_chunks=1 50%"]
assert abs(ppl[0]["cells"][0]["value"] - 6.0) < 1e-9 and abs(ppl[1]["cells"][0]["value"] - 4.0) < 1e-9
lb = t["longbench"]
assert [c["header"] for c in lb["columns"]] == ["qasper", "avg"]
cell = lb["rows"][1]["cells"][0]
assert cell["done"] == 1 and cell["failed"] == 1 and cell["note"] == "a", cell
sp = t["speed"]["rows"][1]["cells"][1]
assert abs(sp["value"] - 700 / 250) < 1e-9, sp
PY
then ok tables_json; else notok tables_json "$(head -c 600 "$tmp/json") $(cat "$tmp/err")"; fi

if [ "$(sha256sum "$db" | cut -d' ' -f1)" = "$sum_before" ]; then ok tables_file_unchanged; else notok tables_file_unchanged; fi

# Older schema: no variants.label (the method shows), no samples.device_peak_bytes.
old="$tmp/old.sqlite"
sqlite3 "$old" "$(echo "$schema_v1" | sed -e 's/, label TEXT//' -e 's/ device_peak_bytes INTEGER,//')
INSERT INTO variants VALUES ('h1', 'method.name=pcw', 'pcw');
INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length, depth, status, score, prefill_ms,
  decode_ms, peak_bytes, kv_peak_bytes, kept_chunks, n_chunks, kv_slots, prompt_tokens) VALUES
  ('1', 'h1', 'needle', 'n0', 8192, 0.5, 'done', 0.75, 900, 10, 1048576, 1048576, '[0,1]', 4, 1, 8192);"
if run_ok "$tmp/old.md" $PCB tables --db "$old" && grep -qF '| pcw | 75.00 | 75.00 |' "$tmp/old.md" &&
    grep -qF '| method | needle 8K | avg |' "$tmp/old.md" && grep -qF 'no full-untruncated or full variant' "$tmp/old.md"; then
    ok tables_old_schema
else
    notok tables_old_schema "$(cat "$tmp/old.md" "$tmp/err")"
fi

# A valid file with nothing done: a note on stderr, no tables, exit 0.
empty="$tmp/empty.sqlite"
sqlite3 "$empty" "$schema_v1
INSERT INTO variants VALUES ('h1', 'c', 'full', 'full');
INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length) VALUES ('1', 'h1', 'trec', 't0', 0);"
if run_ok "$tmp/empty.out" $PCB tables --db "$empty" && [ ! -s "$tmp/empty.out" ] &&
    grep -qF "empty.sqlite: no done rows (1 pending, 0 failed)" "$tmp/err"; then
    ok tables_no_done_rows
else
    notok tables_no_done_rows "$(cat "$tmp/empty.out" "$tmp/err")"
fi

expect_fail tables_needs_db "give the results file with --db" $PCB tables
expect_fail tables_missing_file "missing.sqlite: no such results file" $PCB tables --db "$tmp/missing.sqlite"
if [ ! -e "$tmp/missing.sqlite" ]; then ok tables_missing_creates_nothing; else notok tables_missing_creates_nothing; fi
echo "plain text, not a database at all ......................................................" > "$tmp/text.sqlite"
expect_fail tables_not_a_database "text.sqlite: not a pcbench results file" $PCB tables --db "$tmp/text.sqlite"
sqlite3 "$tmp/other.sqlite" "CREATE TABLE t (x); PRAGMA user_version = 1;"
expect_fail tables_not_a_results_file "other.sqlite: not a pcbench results file \(no table 'samples'\)" \
    $PCB tables --db "$tmp/other.sqlite"
sqlite3 "$tmp/newer.sqlite" "CREATE TABLE t (x); PRAGMA user_version = 9;"
expect_fail tables_newer_schema "newer.sqlite: results schema version 9 is newer" $PCB tables --db "$tmp/newer.sqlite"
expect_fail tables_unknown_format "format: expected md or latex, got 'html'" $PCB tables --db "$db" --format html
expect_fail tables_db_needs_value "option --db needs a value" $PCB tables --db
