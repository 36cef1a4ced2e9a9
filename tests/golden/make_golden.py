#!/usr/bin/env python3
"""Reference ("golden") fixtures for pcbench, made with HF transformers / tokenizers / gguf / torch.

Usage
  python3 tests/golden/make_golden.py [MODEL.gguf]
      writes tests/golden/tokens.json and tests/golden/logits.json
  python3 tests/golden/make_golden.py [MODEL.gguf] --long
      writes tests/golden/logits_long.json: a ~6000-token prompt (rows past the 2047 positions of
      logits.json, and the row a KV-cached decode step reaches)
  python3 tests/golden/make_golden.py [MODEL.gguf] --ppl CTX FILE [FILE...] [--max-tokens N]
                                      [--out OUT.json] [--key NAME]
      reference perplexity (protocol below); prints a summary on stderr and the JSON on
      stdout, or merges it under OUT.json[NAME] (NAME defaults to "all").

MODEL defaults to models/SmolLM2-135M-Instruct.Q4_1.gguf relative to the repository root
(the parent of tests/).  Everything runs on the CPU in float32, eval mode, no grad,
torch.set_num_threads(2) (override with --threads), so results are deterministic.

Reference tokenizer: built explicitly with the `tokenizers` library from the GGUF vocab and
merges with SmolLM2's real pre-tokenizer (Digits(individual_digits=True) then
ByteLevel(add_prefix_space=False, use_regex=True)); see build_reference_tokenizer() and
README.md for why transformers' own GGUF tokenizer is not used as the reference.

Perplexity protocol (the C engine implements the same):
  * each file is read as bytes and decoded as UTF-8 (no newline translation: CRLF stays CRLF),
    tokenized whole with the reference tokenizer, special tokens NOT parsed, no BOS;
  * optionally truncated to its first --max-tokens tokens;
  * split into consecutive non-overlapping windows of CTX tokens (stride CTX); the last
    partial window is kept if it has >= 2 tokens;
  * every window is evaluated independently from an empty cache; within a window every token
    but the first is predicted: NLL(t) = -log softmax(logits[t-1])[id_t];
  * PPL = exp(sum NLL / number of predicted tokens), per file and pooled over all files.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MODEL = os.path.join(REPO, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
DATA = os.path.join(REPO, "data", "text")

PROBE_SEED = 1234
N_PROBE = 32
TOP_K = 20

# ----------------------------------------------------------------------------------------
# small helpers


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_text(path):
    """Whole file as bytes -> UTF-8 str, without Python's newline translation."""
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


def f32(x):
    """A float32 value as a Python float with 9 significant digits (round-trips float32)."""
    return float(f"{float(x):.9g}")


def f64(x):
    return float(f"{float(x):.12g}")


def dumps(obj, indent=0, step=1):
    """JSON with lists of scalars (and lists of short scalar lists) kept on one line."""
    pad = " " * (indent + step)

    def scalar(v):
        return not isinstance(v, (list, dict))

    def flat(v):
        return isinstance(v, list) and all(
            scalar(e) or (isinstance(e, list) and len(e) <= 4 and all(scalar(x) for x in e)) for e in v)

    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [pad + json.dumps(k, ensure_ascii=False) + ": " + dumps(v, indent + step, step)
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list):
        if flat(obj):
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        items = [pad + dumps(v, indent + step, step) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_json(path, obj):
    s = dumps(obj) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(s)
    log(f"wrote {os.path.relpath(path, REPO)} ({len(s.encode('utf-8'))} bytes)")


def versions():
    import gguf
    import tokenizers
    import torch
    import transformers
    try:
        from importlib.metadata import version
        gv = version("gguf")
    except Exception:
        gv = getattr(gguf, "__version__", "?")
    return {"python": sys.version.split()[0], "torch": torch.__version__,
            "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "gguf": gv}


def setup_torch(threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_grad_enabled(False)
    return torch


# ----------------------------------------------------------------------------------------
# GGUF metadata and the reference tokenizer


def gguf_meta(model_path):
    from gguf import GGUFReader
    r = GGUFReader(model_path)
    f = r.fields
    meta = {
        "tokens": list(f["tokenizer.ggml.tokens"].contents()),
        "token_type": [int(x) for x in f["tokenizer.ggml.token_type"].contents()],
        "merges": list(f["tokenizer.ggml.merges"].contents()),
        "pre": f["tokenizer.ggml.pre"].contents(),
        "model": f["tokenizer.ggml.model"].contents(),
        "add_bos": bool(f["tokenizer.ggml.add_bos_token"].contents())
        if "tokenizer.ggml.add_bos_token" in f else None,
        "chat_template": f["tokenizer.chat_template"].contents(),
        "n_head": int(f["llama.attention.head_count"].contents()),
        "n_head_kv": int(f["llama.attention.head_count_kv"].contents()),
    }
    return r, meta


def build_reference_tokenizer(meta):
    """SmolLM2's tokenizer.json rebuilt from the GGUF: byte-level BPE, no unk / byte fallback,
    pre-tokenizer Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False,
    use_regex=True)], ByteLevel decoder, control tokens (token_type 3) as special added tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    assert meta["model"] == "gpt2", meta["model"]
    vocab = {t: i for i, t in enumerate(meta["tokens"])}
    assert len(vocab) == len(meta["tokens"]), "duplicate token strings"
    merges = []
    for m in meta["merges"]:
        a, b = m.split(" ")
        merges.append((a, b))
    bpe = models.BPE(vocab=vocab, merges=merges, dropout=None, unk_token=None,
                     fuse_unk=False, byte_fallback=False)
    tk = Tokenizer(bpe)
    tk.normalizer = None
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tk.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    specials = [AddedToken(t, special=True, normalized=False, lstrip=False, rstrip=False,
                           single_word=False)
                for t, ty in zip(meta["tokens"], meta["token_type"]) if ty == 3]
    tk.add_special_tokens(specials)
    for t in specials:
        assert tk.token_to_id(t.content) == vocab[t.content]
    return tk


class RefTok:
    """encode(text, parse_special) / decode(ids) on the explicit reference tokenizer."""

    def __init__(self, tk):
        self.tk = tk

    def encode(self, text, parse_special=False):
        self.tk.encode_special_tokens = not parse_special  # True => specials are plain text
        try:
            return self.tk.encode(text, add_special_tokens=False).ids
        finally:
            self.tk.encode_special_tokens = False

    def decode(self, ids):
        return self.tk.decode(ids, skip_special_tokens=False)


def load_hf_tokenizer(model_path):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(model_path)),
                                         gguf_file=os.path.basename(model_path))


def hf_encode(hf_tok, text, parse_special):
    bt = hf_tok.backend_tokenizer
    bt.encode_special_tokens = not parse_special
    try:
        return bt.encode(text, add_special_tokens=False).ids
    finally:
        bt.encode_special_tokens = False


# ----------------------------------------------------------------------------------------
# test texts


def middle_chunk(path, n_chars):
    """n_chars characters starting at the first paragraph boundary after the file's middle."""
    t = read_text(path)
    i = t.find("\n\n", len(t) // 2)
    if i < 0:
        i = len(t) // 2
    while i < len(t) and t[i] in "\r\n":
        i += 1
    return t[i:i + n_chars]


def token_cases():
    C = []

    def add(text, parse_special=False):
        C.append({"text": text, "parse_special": parse_special})

    # plain ASCII
    add("Hello, world!")
    add("The quick brown fox jumps over the lazy dog.")
    add("What is the capital of France?")
    add("SmolLM2 is a family of compact language models available in three sizes.")
    # leading / trailing / runs of whitespace
    add(" leading space")
    add("trailing space ")
    add("   three leading spaces and two trailing  ")
    add("multiple    spaces   between     words")
    add("tab\tseparated\t\tvalues\t")
    add("line one\nline two\n\n\nline five")
    add("  \n  ")
    add("\n\n\n")
    add("windows\r\nline\r\nendings\r\n")
    # digits
    add("12345")
    add("3.14159")
    add("year 2025")
    add("1,000,000")
    add("Call 555-0199 at 10:30, version v2.0.1, x=10; y=-20, 1e-5, 0x1F")
    add("EIGHTH EDITION.\n\n\n1852.\n\n\nPREFACE")  # whitespace before digits: the Digits split matters
    add("list:\n 1. one\n  2. two\n\t3. three")
    add(" 2025 and  42")
    add("superscripts x² and ½ and arabic-indic ٣٤٥ and fullwidth ３")
    # contractions
    add("don't, I'll, we're, it's")
    add("They'VE said SHE'D go, y'all")
    # unicode
    add("naïve café résumé")
    add("Straße, Fußgänger, GROSS")
    add("Γειά σου Κόσμε, αβγδε")
    add("Привет, мир! Съешь же ещё этих мягких французских булок.")
    add("中文分词测试：你好，世界。")
    add("日本語のテキスト、カタカナとひらがな。")
    add("emoji 🙂👍🏽 and family 👨‍👩‍👧 and flags 🇫🇷")
    add("combining: e\u0301 a\u0308 n\u0303 and precomposed é ä ñ")
    add("مرحبا بالعالم")
    # code
    add("def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n    if a is None:\n        return b\n    return a + b\n")
    add("int main(void) {\n\tstruct node *p = head;\n\twhile (p->next) { p = p->next; }\n\treturn 0;\n}\n")
    add('{"name": "pcbench", "version": [1, 2, 3], "ok": true, "ratio": 0.25}')
    # punctuation runs
    add("!!!???")
    add("Wait... what?! ... ---- ==== ****")
    # URL / email
    add("See https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct?x=1&y=2#top or mail hello@example.com")
    # degenerate
    add("")
    add(" ")
    # special tokens written literally
    add("<|im_start|>user\nhi<|im_end|>", parse_special=True)
    add("Hello<|endoftext|>world <|im_start|> <|im_end|><file_sep>", parse_special=True)
    add("<|im_start|>user\nhi<|im_end|>", parse_special=False)
    # long paragraphs from PG19
    for name in ("pg19_10985_infant_system.txt", "pg19_22424_frank_merriwell_down_south.txt",
                 "pg19_test_10146_10321_partial.txt"):
        add(middle_chunk(os.path.join(DATA, "pg19", name), 2000))
    return C


CHAT_CASES = [
    (None, "What is the capital of France?"),
    (None, "Write a haiku about the number 42."),
    ("You are a terse assistant. Answer in one word.", "What is the capital of France?"),
]


def render_chat(hf_tok, system, user):
    msgs = ([] if system is None else [{"role": "system", "content": system}]) + \
        [{"role": "user", "content": user}]
    return hf_tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


# ----------------------------------------------------------------------------------------
# model


def load_model(model_path, dtype=None):
    import torch
    from transformers import AutoModelForCausalLM
    kw = {}
    try:  # transformers >= 5: ask for a plain dense model explicitly, so that an installed
        # `kernels` package cannot switch to packed GGUF matmul kernels (different numerics)
        from transformers import GgufConfig
        kw["quantization_config"] = GgufConfig(dequantize=True)
    except ImportError:
        pass
    m = AutoModelForCausalLM.from_pretrained(os.path.dirname(os.path.abspath(model_path)),
                                             gguf_file=os.path.basename(model_path),
                                             dtype=dtype or torch.float32, **kw)
    m.eval()
    for name, mod in m.named_modules():  # every projection must be a plain dense Linear
        if "proj" in name or name == "lm_head":
            assert type(mod) is torch.nn.Linear, (name, type(mod))
    return m


def check_weights(reader, meta, model):
    """transformers' dequantised weights == gguf.quants.dequantize + inverse of llama.cpp's
    Q/K permutation.  Returns a small report dict (max abs diffs)."""
    import numpy as np
    from gguf.quants import dequantize
    tens = {t.name: t for t in reader.tensors}
    L = model.model.layers

    def deq(name):
        t = tens[name]
        return np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32), t.tensor_type.name

    def unpermute(w, n_head):
        out, dim = w.shape
        return w.reshape(n_head, out // n_head // 2, 2, dim).swapaxes(1, 2).reshape(out, dim)

    rep = {}
    for il in (0, len(L) - 1):
        for gname, hf, nh in (("attn_q", L[il].self_attn.q_proj.weight, meta["n_head"]),
                              ("attn_k", L[il].self_attn.k_proj.weight, meta["n_head_kv"]),
                              ("attn_v", L[il].self_attn.v_proj.weight, None),
                              ("ffn_down", L[il].mlp.down_proj.weight, None)):
            w, ty = deq(f"blk.{il}.{gname}.weight")
            if nh is not None:
                w = unpermute(w, nh)
            d = float(np.abs(w - hf.detach().float().numpy()).max())
            rep[f"blk.{il}.{gname} ({ty})"] = d
    w, ty = deq("token_embd.weight")
    rep[f"token_embd ({ty})"] = float(np.abs(w - model.model.embed_tokens.weight.detach().numpy()).max())
    rep["lm_head tied to token_embd"] = bool(
        model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr())
    return rep


def forward_logits(model, ids):
    import torch
    x = torch.tensor([ids], dtype=torch.long)
    return model(input_ids=x, use_cache=False).logits[0]


def cut_to_tokens(rt, text, n_min):
    """Shortest prefix of text ending at a whitespace boundary with >= n_min tokens."""
    import re
    ends = [m.start() for m in re.finditer(r"\s+", text)] + [len(text)]
    lo, hi = 0, len(ends) - 1
    if len(rt.encode(text[:ends[hi]])) < n_min:
        raise SystemExit(f"text too short for {n_min} tokens")
    while lo < hi:
        mid = (lo + hi) // 2
        if len(rt.encode(text[:ends[mid]])) >= n_min:
            hi = mid
        else:
            lo = mid + 1
    return text[:ends[lo]]


def logits_prompts(rt, hf_tok):
    short_text = render_chat(hf_tok, None, "What is the capital of France?")
    pg = read_text(os.path.join(DATA, "paul_graham_essays", "avg.txt"))
    i = pg.index("In the summer of 1995")
    medium_text = cut_to_tokens(rt, pg[i:], 300)
    book = read_text(os.path.join(DATA, "pg19", "pg19_10985_infant_system.txt"))
    j = book.find("\n\n", 100000)
    while book[j] in "\r\n":
        j += 1
    long_text = cut_to_tokens(rt, book[j:], 1700)
    return [
        {"name": "short", "text": short_text, "parse_special": True,
         "source": "ChatML prompt (GGUF chat_template, default system) for 'What is the capital of France?'"},
        {"name": "medium", "text": medium_text, "parse_special": False,
         "source": "paul_graham_essays/avg.txt from 'In the summer of 1995', cut at a word boundary at >= 300 tokens"},
        {"name": "long", "text": long_text, "parse_special": False,
         "source": "pg19/pg19_10985_infant_system.txt from the first paragraph boundary after char 100000, "
                   "cut at a word boundary at >= 1700 tokens"},
    ]


def positions_for(name, n):
    if name == "long":
        p = [0, 100, 511, 1024, 1500, n - 1]
    elif name == "medium":
        p = [0, 1, 63, 150, 255, n - 1]
    else:
        p = [0, 1, n // 4, n // 2, n - 2, n - 1]
    return sorted(set(x for x in p if 0 <= x < n))


def make_logits(model_path, model_sha, reader, meta, rt, hf_tok, threads):
    import numpy as np
    import torch
    log("loading model (float32) ...")
    model = load_model(model_path)
    wcheck = check_weights(reader, meta, model)
    log("weight check:", wcheck)
    assert all(v == 0.0 for k, v in wcheck.items() if not k.startswith("lm_head")), wcheck
    assert wcheck["lm_head tied to token_embd"]

    rng = np.random.default_rng(PROBE_SEED)
    probe_ids = sorted(int(x) for x in rng.choice(model.config.vocab_size, N_PROBE, replace=False))

    out_prompts = []
    full = {}
    for p in logits_prompts(rt, hf_tok):
        ids = rt.encode(p["text"], parse_special=p["parse_special"])
        t0 = time.time()
        lg = forward_logits(model, ids)  # [n, vocab] float32
        log(f"{p['name']}: {len(ids)} tokens, forward {time.time() - t0:.1f}s")
        full[p["name"]] = (ids, lg)
        pos = positions_for(p["name"], len(ids))
        rows = []
        for q in pos:
            row = lg[q]
            top = torch.topk(row, TOP_K)
            rows.append({
                "pos": q,
                "top": [[int(i), f32(v)] for v, i in zip(top.values.tolist(), top.indices.tolist())],
                "logsumexp": f64(torch.logsumexp(row.double(), 0)),
                "probe_logits": [f32(row[i]) for i in probe_ids],
            })
        entry = {"name": p["name"], "source": p["source"], "text": p["text"],
                 "parse_special": p["parse_special"], "n_tokens": len(ids), "ids": ids,
                 "positions": pos, "probe_ids": probe_ids, "rows": rows,
                 "greedy_next": int(torch.argmax(lg[-1]))}
        if p["name"] == "short":
            # 16 greedy steps, pure argmax over the full vocab (no EOS stop, no min-length
            # processor), each step a full forward without cache.
            seq = list(ids)
            gen, margins = [], []
            for _ in range(16):
                row = forward_logits(model, seq)[-1]
                v, i = torch.topk(row, 2)
                gen.append(int(i[0]))
                margins.append(f32(v[0] - v[1]))
                seq.append(int(i[0]))
            entry["greedy_continuation"] = {"ids": gen, "text": rt.decode(gen),
                                            "top1_minus_top2": margins}
            log("greedy:", repr(rt.decode(gen)))
        out_prompts.append(entry)

    noise = measure_noise(model_path, model, full, threads)
    return {"model_sha256": model_sha, "versions": versions(),
            "settings": {"dtype": "float32", "device": "cpu", "threads": threads,
                         "attn_implementation": model.config._attn_implementation,
                         "bos": False, "top_k": TOP_K, "probe_seed": PROBE_SEED,
                         "probe_rng": "numpy.random.default_rng(seed).choice(vocab, 32, replace=False), sorted"},
            "weight_check_max_abs_diff": wcheck,
            "noise": noise,
            "prompts": out_prompts}


LONG_ROWS = [2048, 4096, 6000]


def make_long(model_path, model_sha, reader, meta, rt, threads):
    """One prompt of at least LONG_ROWS[-1] + 1 tokens (PG19 "Frank Merriwell Down South" from a
    paragraph boundary after char 20000): top-k / log-sum-exp / probe logits at LONG_ROWS.  The C
    side prefills the first LONG_ROWS[-1] tokens (rows 2048 and 4096 from that prefill) and
    decodes token LONG_ROWS[-1] through its KV cache, so the last row checks a decode step at a
    long position.  The reference is one full forward without cache, as in logits.json."""
    import numpy as np
    import torch
    model = load_model(model_path)
    wcheck = check_weights(reader, meta, model)
    assert all(v == 0.0 for k, v in wcheck.items() if not k.startswith("lm_head")), wcheck
    rng = np.random.default_rng(PROBE_SEED)
    probe_ids = sorted(int(x) for x in rng.choice(model.config.vocab_size, N_PROBE, replace=False))
    book = read_text(os.path.join(DATA, "pg19", "pg19_22424_frank_merriwell_down_south.txt"))
    import re
    j = re.compile(r"\n[\r\n]*\n").search(book, 20000).end()  # this book's lines end in \r\r\n
    text = cut_to_tokens(rt, book[j:], LONG_ROWS[-1] + 1)
    ids = rt.encode(text, parse_special=False)
    n = LONG_ROWS[-1] + 1  # the rows needed; tokens after them change nothing before them
    t0 = time.time()
    lg = forward_logits(model, ids[:n])
    log(f"long6k: {len(ids)} tokens ({n} used), forward {time.time() - t0:.1f}s")
    rows = []
    for q in LONG_ROWS:
        row = lg[q]
        top = torch.topk(row, TOP_K)
        rows.append({
            "pos": q,
            "top": [[int(i), f32(v)] for v, i in zip(top.values.tolist(), top.indices.tolist())],
            "logsumexp": f64(torch.logsumexp(row.double(), 0)),
            "probe_logits": [f32(row[i]) for i in probe_ids],
        })
    entry = {"name": "long6k", "text": text, "parse_special": False, "n_tokens": len(ids), "ids": ids,
             "positions": LONG_ROWS, "decode_row": LONG_ROWS[-1], "probe_ids": probe_ids, "rows": rows,
             "source": "pg19/pg19_22424_frank_merriwell_down_south.txt from the first paragraph boundary "
                       f"after char 20000, cut at a word boundary at >= {n} tokens"}
    return {"model_sha256": model_sha, "versions": versions(),
            "settings": {"dtype": "float32", "device": "cpu", "threads": threads,
                         "attn_implementation": model.config._attn_implementation,
                         "bos": False, "top_k": TOP_K, "probe_seed": PROBE_SEED},
            "prompts": [entry]}


def measure_noise(model_path, model, full, threads):
    """How much do the reference logits move under harmless changes?  (a) 1 thread instead of
    `threads`, (b) eager attention instead of sdpa, (c) float64 weights/activations (the same
    dequantised values).  Reported as max |diff| over all rows and all vocab entries."""
    import torch
    rep = {}

    def cmp(tag, fn):
        worst_abs, worst_lse, worst_rel = 0.0, 0.0, 0.0
        for name, (ids, ref) in full.items():
            other = fn(ids).double()
            r = ref.double()
            d = (other - r).abs()
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / r.abs().clamp_min(1.0)).max()))
            # compare log-probabilities too (what PPL depends on)
            lp = torch.log_softmax(other, -1) - torch.log_softmax(r, -1)
            worst_lse = max(worst_lse, float(lp.abs().max()))
            rep[f"{tag}:{name}:max_abs"] = f32(float(d.max()))
            if len(ids) > 2:  # perplexity of the prompt itself, both ways
                tgt = torch.tensor(ids[1:])
                nll_o = -torch.log_softmax(other[:-1], -1).gather(1, tgt[:, None]).mean()
                nll_r = -torch.log_softmax(r[:-1], -1).gather(1, tgt[:, None]).mean()
                rep[f"{tag}:{name}:ppl_rel_diff"] = float(f"{float(abs(torch.expm1(nll_o - nll_r))):.3g}")
        rep[f"{tag}:max_abs_logit"] = f32(worst_abs)
        rep[f"{tag}:max_rel_logit"] = f32(worst_rel)
        rep[f"{tag}:max_abs_logprob"] = f32(worst_lse)
        log(f"noise {tag}: max|dlogit| {worst_abs:.3g}  max rel {worst_rel:.3g}  max|dlogprob| {worst_lse:.3g}")

    torch.set_num_threads(1)
    cmp("threads1", lambda ids: forward_logits(model, ids))
    torch.set_num_threads(threads)

    impl = model.config._attn_implementation
    model.set_attn_implementation("eager")
    cmp("eager_attention", lambda ids: forward_logits(model, ids))
    model.set_attn_implementation(impl)

    m64 = load_model(model_path, dtype=torch.float64)
    cmp("float64", lambda ids: forward_logits(m64, ids))

    # Not noise but a yardstick: llama.cpp-style integer dot products quantize every matmul
    # input to 8 bits in blocks of 32 (Q8_1 / Q8_0: d = amax/127, q = round(x/d), d stored as fp16).
    # An engine that does this should expect differences of this size, not the ones above.
    def q8(mod, args):
        x = args[0]
        xb = x.reshape(*x.shape[:-1], -1, 32)
        d = xb.abs().amax(-1, keepdim=True) / 127.0  # q from the fp32 scale, value from fp16
        q = torch.where(d > 0, torch.round(xb / torch.where(d > 0, d, torch.ones_like(d))), torch.zeros_like(xb))
        return (q.clamp(-127, 127) * d.half().float()).reshape(x.shape)

    hooks = [mod.register_forward_pre_hook(q8) for name, mod in model.named_modules()
             if type(mod) is torch.nn.Linear]
    try:
        cmp("q8_activations", lambda ids: forward_logits(model, ids))
    finally:
        for h in hooks:
            h.remove()
    return rep


# ----------------------------------------------------------------------------------------
# tokens.json


def make_tokens(model_sha, meta, rt, hf_tok):
    cases = []
    diffs = []
    for c in token_cases():
        ids = rt.encode(c["text"], parse_special=c["parse_special"])
        if not c["parse_special"]:
            back = rt.decode(ids)
            assert back == c["text"], f"round trip failed: {c['text']!r} -> {back!r}"
        else:
            assert rt.decode(ids) == c["text"]
        hf_ids = hf_encode(hf_tok, c["text"], c["parse_special"])
        if hf_ids != ids:
            diffs.append({"text": c["text"][:80], "ref": ids[:40], "hf_gguf": hf_ids[:40]})
        cases.append({"text": c["text"], "parse_special": c["parse_special"], "ids": ids})
    chat = []
    assert hf_tok.chat_template == meta["chat_template"], "HF tokenizer chat_template != GGUF's"
    for system, user in CHAT_CASES:
        prompt = render_chat(hf_tok, system, user)
        ids = rt.encode(prompt, parse_special=True)
        hf_ids = hf_encode(hf_tok, prompt, True)
        if hf_ids != ids:
            diffs.append({"text": prompt[:80], "ref": ids[:40], "hf_gguf": hf_ids[:40]})
        chat.append({"system": system, "user": user, "prompt": prompt, "ids": ids})
    desc = ("tokenizers.Tokenizer built from the GGUF: models.BPE(vocab=tokenizer.ggml.tokens, "
            "merges=tokenizer.ggml.merges, unk=None, byte_fallback=False), pre_tokenizer "
            "Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)] "
            "(= SmolLM2's tokenizer.json, llama.cpp pre='smollm'), decoders.ByteLevel(), "
            "token_type==3 tokens as special AddedTokens; no BOS. transformers' own GGUF tokenizer "
            "lacks the Digits pre-tokenizer, see README.md")
    obj = {"model_sha256": model_sha, "tokenizer": desc, "versions": versions(),
           "gguf_pre": meta["pre"], "add_bos": meta["add_bos"],
           "cases": cases, "chat": chat}
    return obj, diffs


def compare_tokenizers_bulk(rt, hf_tok):
    """Reference vs transformers-from-GGUF on whole corpus files: first differing token."""
    import glob
    rep = []
    files = sorted(glob.glob(os.path.join(DATA, "pg19", "*.txt"))) + \
        sorted(glob.glob(os.path.join(DATA, "paul_graham_essays", "*.txt")))
    for path in files:
        text = read_text(path)
        a = rt.encode(text)
        b = hf_encode(hf_tok, text, False)
        if a != b:
            k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            ctx = rt.decode(a[max(0, k - 5):k + 5])
            rep.append((os.path.basename(path), len(a), len(b), k, ctx))
    return len(files), rep


# ----------------------------------------------------------------------------------------
# perplexity


def perplexity(model, rt, files, ctx, max_tokens):
    import torch
    import torch.nn.functional as F
    res_files = []
    tot_nll, tot_pred = 0.0, 0
    for path in files:
        text = read_text(path)
        ids_all = rt.encode(text, parse_special=False)
        ids = ids_all[:max_tokens] if max_tokens else ids_all
        n = len(ids)
        nll_sum, n_pred, win_nll = 0.0, 0, []
        t0 = time.time()
        starts = list(range(0, n, ctx))
        for wi, s in enumerate(starts):
            w = ids[s:s + ctx]
            if len(w) < 2:
                continue
            lg = forward_logits(model, w)[:-1]
            tgt = torch.tensor(w[1:], dtype=torch.long)
            nll = F.cross_entropy(lg, tgt, reduction="none").double().sum().item()
            nll_sum += nll
            n_pred += len(w) - 1
            win_nll.append(f64(nll))
            el = time.time() - t0
            log(f"  {os.path.basename(path)} window {wi + 1}/{len(starts)} ({len(w)} tok) "
                f"nll/tok {nll / (len(w) - 1):.4f}  running ppl {math.exp(nll_sum / n_pred):.4f}  "
                f"{el:.0f}s elapsed, ~{el / (wi + 1) * (len(starts) - wi - 1):.0f}s left")
        ppl = math.exp(nll_sum / n_pred) if n_pred else float("nan")
        log(f"{os.path.basename(path)}: tokens {n} (file total {len(ids_all)}), predicted {n_pred}, "
            f"PPL {ppl:.4f}")
        res_files.append({"file": os.path.relpath(os.path.abspath(path), REPO),
                          "sha256": sha256_file(path), "bytes": os.path.getsize(path),
                          "file_tokens": len(ids_all), "tokens": n, "windows": len(win_nll),
                          "predicted_tokens": n_pred, "nll_sum": f64(nll_sum), "ppl": f64(ppl),
                          "window_nll": win_nll})
        tot_nll += nll_sum
        tot_pred += n_pred
    pooled = math.exp(tot_nll / tot_pred) if tot_pred else float("nan")
    log(f"pooled: predicted {tot_pred}, PPL {pooled:.4f}")
    # top level = pooled over all files; "file" (path relative to the repo root) only when
    # there is exactly one, so a single-file entry reads like that file's own record
    res = {"ctx": ctx, "max_tokens": max_tokens}
    if len(res_files) == 1:
        res["file"] = res_files[0]["file"]
    res.update({"predicted_tokens": tot_pred, "nll_sum": f64(tot_nll), "ppl": f64(pooled),
                "files": res_files})
    return res


PPL_PROTOCOL = ("file bytes decoded as UTF-8 (no newline translation); whole text tokenized with the "
                "reference tokenizer, special tokens not parsed, no BOS; optionally truncated to the "
                "first max_tokens tokens; consecutive non-overlapping windows of ctx tokens (stride ctx), "
                "last partial window kept if >= 2 tokens; each window from an empty cache; every token "
                "but the first of a window predicted; PPL = exp(sum NLL / predicted), per file and pooled")


# ----------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    ap.add_argument("--ppl", nargs="+", metavar=("CTX", "FILE"),
                    help="reference perplexity with window CTX over FILE(s)")
    ap.add_argument("--max-tokens", type=int, default=None,
                    help="with --ppl: use only the first N tokens of each file")
    ap.add_argument("--out", help="with --ppl: merge the result into this JSON file under --key")
    ap.add_argument("--key", default="all", help="with --ppl --out: entry name (default 'all')")
    ap.add_argument("--long", action="store_true", help="write logits_long.json (the ~6000-token prompt) only")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--outdir", default=HERE, help="where tokens.json / logits.json go")
    args = ap.parse_args()

    setup_torch(args.threads)
    model_path = os.path.abspath(args.model)
    log(f"model {model_path}")
    model_sha = sha256_file(model_path)
    reader, meta = gguf_meta(model_path)
    assert meta["add_bos"] is False, "expected tokenizer.ggml.add_bos_token = false"
    rt = RefTok(build_reference_tokenizer(meta))

    if args.long:
        write_json(os.path.join(args.outdir, "logits_long.json"),
                   make_long(model_path, model_sha, reader, meta, rt, args.threads))
        return

    if args.ppl:
        if len(args.ppl) < 2:
            ap.error("--ppl needs CTX and at least one FILE")
        ctx = int(args.ppl[0])
        files = args.ppl[1:]
        model = load_model(model_path)
        res = perplexity(model, rt, files, ctx, args.max_tokens)
        if args.out:
            obj = {}
            if os.path.exists(args.out):
                with open(args.out, encoding="utf-8") as f:
                    obj = json.load(f)
            obj.update({"model_sha256": model_sha, "versions": versions(),
                        "settings": {"dtype": "float32", "device": "cpu", "threads": args.threads,
                                     "attn_implementation": model.config._attn_implementation},
                        "protocol": PPL_PROTOCOL})
            obj[args.key] = res
            write_json(args.out, obj)
        else:
            print(dumps({"model_sha256": model_sha, "protocol": PPL_PROTOCOL, args.key: res}))
        return

    hf_tok = load_hf_tokenizer(model_path)
    log("transformers GGUF tokenizer pre_tokenizer:", hf_tok.backend_tokenizer.pre_tokenizer)
    log("transformers GGUF tokenizer decoder:", hf_tok.backend_tokenizer.decoder)
    log("reference pre_tokenizer:", rt.tk.pre_tokenizer)

    tokens, diffs = make_tokens(model_sha, meta, rt, hf_tok)
    write_json(os.path.join(args.outdir, "tokens.json"), tokens)
    log(f"reference vs transformers-GGUF tokenizer: {len(diffs)} of "
        f"{len(tokens['cases']) + len(tokens['chat'])} fixture cases differ")
    for d in diffs:
        log("  DIFF", json.dumps(d, ensure_ascii=False))
    nf, bulk = compare_tokenizers_bulk(rt, hf_tok)
    log(f"bulk comparison on {nf} corpus files: {len(bulk)} differ")
    for b in bulk:
        log(f"  {b[0]}: ref {b[1]} tok, hf {b[2]} tok, first diff at {b[3]} near {b[4]!r}")

    logits = make_logits(model_path, model_sha, reader, meta, rt, hf_tok, args.threads)
    write_json(os.path.join(args.outdir, "logits.json"), logits)


if __name__ == "__main__":
    main()
