// `pcbench kernels`: achieved throughput of the GPU attention kernel and the bf16 GEMM against
// the device's dense bf16 peak (H100 SXM: 989 TFLOP/s), timed in this process after a warm-up.
// Causal attention FLOPs count only the visible (lower-triangle) products: 4 * hd * heads * N(N+1)/2.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/cli/cli.h"
#include "bench/engine/backend.h"

static void help(void) {
    printf(
        "usage: pcbench kernels --backend cuda [--lengths N[,N...]] [--peak TFLOPS] [--json]\n\n"
        "Times the fused causal attention kernel (query heads/KV heads/head dim 32/8/128 as Llama-3-8B\n"
        "and 9/3/64 as SmolLM2) and the bf16 GEMM at the given sequence lengths (default\n"
        "4096,16384,65536), median of 5 runs after a warm-up, and prints TFLOP/s and the fraction\n"
        "of --peak (default 989, the H100 SXM dense bf16 peak). JSON lines: {kernel, shape, tokens,\n"
        "ms, tflops, peak_fraction, device}.\n");
}

typedef struct {
    const char *name;
    int n_heads, n_kv, hd;
} attn_shape;

static void report(int json, const char *kernel, const char *shape, int n, double ms, double flops, double peak,
                   const char *dev) {
    double tf = flops / (ms * 1e-3) / 1e12;
    if (json) {
        printf(
            "{\"kernel\":\"%s\",\"shape\":\"%s\",\"tokens\":%d,\"ms\":%.3f,\"tflops\":%.2f,\"peak_fraction\":%.4f,"
            "\"device\":\"%s\"}\n",
            kernel, shape, n, ms, tf, tf / peak, dev);
    } else {
        printf("%-10s %-28s %7d %10.3f ms %8.1f TFLOP/s %6.1f%% of peak\n", kernel, shape, n, ms, tf, 100 * tf / peak);
    }
    fflush(stdout);
}

int cmd_kernels(int argc, char **argv) {
    cli_common c;
    const char *lengths_s = "4096,16384,65536";
    double peak = 989.0;
    const cli_opt opts[] = {{"--lengths", NULL, OPT_STRING, &lengths_s, 0, 0},
                            {"--peak", NULL, OPT_DOUBLE, &peak, 1, 1e5}};
    int r = cli_parse("kernels", argc, argv, &c, opts, 2, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!c.cuda) {
        fprintf(stderr, "pcbench kernels: only the CUDA kernels are timed here: pass --backend cuda\n");
        return 2;
    }
    char why[512], dev[128];
    if (!backend_available(BACKEND_CUDA, why, sizeof why)) {
        pcb_fail("%s", why);
        return cli_error("kernels");
    }
    if (backend_device_name(dev, sizeof dev)) return cli_error("kernels");
    static const attn_shape shapes[] = {{"llama3-8b 32/8x128", 32, 8, 128}, {"smollm2 9/3x64", 9, 3, 64}};
    char *ls = pcb_strdup(lengths_s);
    for (char *t = strtok(ls, ","); t; t = strtok(NULL, ",")) {
        int n = atoi(t);
        if (n <= 0) {
            fprintf(stderr, "pcbench kernels: bad length '%s'\n", t);
            free(ls);
            return 2;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            double ms;
            if (backend_time_attention(shapes[i].n_heads, shapes[i].n_kv, shapes[i].hd, n, &ms)) {
                free(ls);
                return cli_error("kernels");
            }
            double flops = 4.0 * shapes[i].hd * shapes[i].n_heads * ((double)n * (n + 1) / 2);
            report(c.json, "attention", shapes[i].name, n, ms, flops, peak, dev);
        }
        double ms;  // the largest GEMM of a Llama-3-8B layer (MLP up/gate), up to 16K rows
        int rows = n < 16384 ? n : 16384;
        if (backend_time_gemm(rows, 4096, 14336, &ms)) {
            free(ls);
            return cli_error("kernels");
        }
        report(c.json, "gemm", "x[N,4096] W[14336,4096]^T", rows, ms, 2.0 * rows * 4096.0 * 14336.0, peak, dev);
    }
    free(ls);
    return 0;
}
