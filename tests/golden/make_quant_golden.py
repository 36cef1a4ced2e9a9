#!/usr/bin/env python3
"""Writes tests/golden/quant_golden.json: an independent reference for dequantize_row and for
the quantisers in tests/tiny_gguf.c, produced by the `gguf` Python package (gguf-py, the
llama.cpp project's own implementation; 0.19 was used).

Input: 256 float32 values (8 blocks of 32) from a fixed seed, with blocks chosen to hit the
interesting paths: zero block (scale 0), constant block (Q4_1 range 0), exact integers and
half-way values (rounding ties), tiny values (fp16 subnormals), large values, positive-only.
For each type F16, BF16, Q8_0, Q4_0, Q4_1 the file holds the quantised bytes (hex) and
gguf's dequantisation of them as float32 bit patterns (hex, little-endian u32 per value) so
the C test can demand bit-exact equality without decimal round-trips.

Usage: python3 tests/golden/make_quant_golden.py [OUT.json]
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

SEED = 20240611
TYPES = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]


def make_input() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    blocks = [
        rng.normal(0.0, 1.0, 32),                              # generic
        rng.normal(0.0, 0.02, 32),                             # weight-like
        np.zeros(32),                                          # d = 0 paths
        np.full(32, 0.3),                                      # Q4_1: max == min
        np.tile(np.arange(-8, 8), 2).astype(np.float64),       # exact grid values
        np.tile(np.arange(-8, 8) + 0.5, 2),                    # half-way values (ties)
        rng.normal(0.0, 1e-6, 32),                             # fp16 subnormals, tiny scales
        np.concatenate([rng.uniform(-1000, 1000, 16),          # large magnitudes, and a
                        rng.uniform(0.5, 2.0, 16)]),           # positive-only half
    ]
    x = np.concatenate(blocks).astype(np.float32)
    assert x.shape == (256,)
    return x


def f32_hex(a: np.ndarray) -> str:
    return np.ascontiguousarray(a, dtype=np.float32).astype("<f4").tobytes().hex()


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "quant_golden.json")
    x = make_input()
    doc = {
        "about": "gguf-py reference quantisation; regenerate with tests/golden/make_quant_golden.py",
        "gguf_version": getattr(gguf, "__version__", None) or _pkg_version(),
        "numpy_version": np.__version__,
        "seed": SEED,
        "n": int(x.size),
        "input_f32_hex": f32_hex(x),
        "types": {},
    }
    for name in TYPES:
        qt = T[name]
        q = quantize(x, qt)
        raw = np.ascontiguousarray(q).view(np.uint8).tobytes()
        deq = dequantize(np.frombuffer(raw, dtype=np.uint8), qt).astype(np.float32).reshape(-1)
        assert deq.size == x.size
        doc["types"][name] = {"ggml_type": int(qt), "bytes_hex": raw.hex(), "dequant_f32_hex": f32_hex(deq),
                              "max_abs_err": float(np.max(np.abs(deq - x)))}
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"wrote {out}")


def _pkg_version() -> str:
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:  # noqa: BLE001 - provenance only
        return "unknown"


if __name__ == "__main__":
    main()
