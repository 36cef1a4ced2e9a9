#include "bench/cli/pcomp_knobs.h"

#include <stdio.h>

#include "bench/base/error.h"

const char PCOMP_KNOBS_HELP[] =
    "method and knobs (defaults in brackets):\n"
    "  --method M          full | full-untruncated | pcw | parallelcomp | streamingllm | snapkv | h2o |\n"
    "                      pyramidkv [parallelcomp]\n"
    "  --budget N          model budget: positions one window may span [trained context]\n"
    "  --chunk-tokens N    context part per chunk [budget - question - max new tokens]\n"
    "  --batch-chunks N    chunks prefilled per forward call [1]\n"
    "  --topk N            parallelcomp: chunks kept, lowest query NLL (0 = all) [3; 1 for passkey,\n"
    "                      number_string, kv_retrieval, passage_retrieval_en as the reference]\n"
    "  --query-recent N    score chunks with the last N query tokens (0 = all) [0]\n"
    "  --no-repeat-head    instruction head in the first chunk only\n"
    "  --kv-eviction       parallelcomp: evict KV slots inside every chunk\n"
    "  --capacity N        KV slots kept per KV head (per chunk for parallelcomp) [512]\n"
    "  --window N          observation window rows [8]\n"
    "  --pool N            max-pool width over window scores (odd) [7]\n"
    "  --sinks N           streamingllm: sink slots [4]\n"
    "  --h2o-heavy F       h2o: fraction of the capacity for heavy hitters [0.5]\n"
    "  --pyramid-beta F    pyramidkv: min layer budget = (capacity - window) / beta [20]\n"
    "  --calib-layers A-B  calibrate at the question in layers A..B (0-based, inclusive)\n"
    "  --calib-region R    sink | recent | middle | all | chunk_sinks [all]\n"
    "  --calib-threshold F evict slots attended above F [0.1]\n"
    "  --calib-rows N      mean over the last N question rows [1]\n"
    "  --calib-width N     region width in slots [100]\n"
    "  --no-equalize       do not make every KV head drop the same count\n"
    "  --calib-cache-only  keep this step's attention; evict from the cache afterwards\n";

void pcomp_knobs_init(pcomp_knobs *k, cli_opt *opts) {
    pcomp_options d;
    pcomp_options_default(&d);
    *k = (pcomp_knobs){.method = pcomp_method_name(d.method), .region = calib_region_name(d.region),
                       .batch = d.batch_chunks, .topk = d.topk_chunks, .capacity = d.capacity, .window = d.window,
                       .pool = d.pool_kernel, .sinks = d.sink_tokens, .calib_rows = d.calib_rows,
                       .calib_width = d.calib_width, .h2o_heavy = d.h2o_heavy, .beta = d.pyramid_beta,
                       .threshold = d.calib_threshold};
    const cli_opt rows[PCOMP_KNOB_COUNT] = {
        {"--method", NULL, OPT_STRING, &k->method, 0, 0},
        {"--budget", NULL, OPT_INT, &k->budget, 0, 1 << 24},
        {"--chunk-tokens", NULL, OPT_INT, &k->chunk_tokens, 0, 1 << 24},
        {"--batch-chunks", NULL, OPT_INT, &k->batch, 1, 1 << 16},
        {"--topk", NULL, OPT_INT, &k->topk, 0, 1 << 16},
        {"--query-recent", NULL, OPT_INT, &k->query_recent, 0, 1 << 24},
        {"--no-repeat-head", NULL, OPT_FLAG, &k->no_repeat_head, 0, 0},
        {"--kv-eviction", NULL, OPT_FLAG, &k->kv_eviction, 0, 0},
        {"--capacity", NULL, OPT_INT, &k->capacity, 1, 1 << 24},
        {"--window", NULL, OPT_INT, &k->window, 1, 1 << 16},
        {"--pool", NULL, OPT_INT, &k->pool, 1, 1 << 10},
        {"--sinks", NULL, OPT_INT, &k->sinks, 0, 1 << 16},
        {"--h2o-heavy", NULL, OPT_DOUBLE, &k->h2o_heavy, 0, 1},
        {"--pyramid-beta", NULL, OPT_DOUBLE, &k->beta, 1, 1e6},
        {"--calib-layers", NULL, OPT_STRING, &k->calib_layers, 0, 0},
        {"--calib-region", NULL, OPT_STRING, &k->region, 0, 0},
        {"--calib-threshold", NULL, OPT_DOUBLE, &k->threshold, 1e-9, 1 - 1e-9},
        {"--calib-rows", NULL, OPT_INT, &k->calib_rows, 1, 1 << 16},
        {"--calib-width", NULL, OPT_INT, &k->calib_width, 1, 1 << 24},
        {"--no-equalize", NULL, OPT_FLAG, &k->no_equalize, 0, 0},
        {"--calib-cache-only", NULL, OPT_FLAG, &k->cache_only, 0, 0},
    };
    for (int i = 0; i < PCOMP_KNOB_COUNT; i++) opts[i] = rows[i];
}

int pcomp_knobs_apply(const pcomp_knobs *k, pcomp_options *o) {
    pcomp_options_default(o);
    if (pcomp_method_parse(k->method, &o->method)) return pcb_fail_context("--method");
    if (calib_region_parse(k->region, &o->region)) return pcb_fail_context("--calib-region");
    o->model_budget = (int)k->budget, o->chunk_tokens = (int)k->chunk_tokens, o->batch_chunks = (int)k->batch;
    if (k->topk >= 0) o->topk_chunks = (int)k->topk;
    o->query_recent = (int)k->query_recent, o->repeat_head = !k->no_repeat_head;
    o->kv_eviction = k->kv_eviction, o->capacity = (int)k->capacity, o->window = (int)k->window;
    o->pool_kernel = (int)k->pool, o->sink_tokens = (int)k->sinks, o->h2o_heavy = k->h2o_heavy;
    o->pyramid_beta = k->beta, o->calib_threshold = k->threshold, o->calib_rows = (int)k->calib_rows;
    o->calib_width = (int)k->calib_width, o->calib_equalize = !k->no_equalize, o->calib_current_step = !k->cache_only;
    if (k->calib_layers) {
        int lo, hi;
        char extra;
        if (sscanf(k->calib_layers, "%d-%d%c", &lo, &hi, &extra) != 2)
            return pcb_fail("--calib-layers '%s': expected A-B, e.g. 8-15", k->calib_layers);
        o->calibrate = 1, o->calib_lo = lo, o->calib_hi = hi;
    }
    return 0;
}
