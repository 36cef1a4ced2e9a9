#!/usr/bin/env bash
# The README's main job on the embedded default model (grows into a sweep + report as the
# experiment issues land): model info, a chat answer, and perplexity on a PG19 slice.
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
DATA=${PCB_DATA:-../shared/data}
PCB=./pcbench
echo "== pcbench info"
$PCB info -m "$MODEL" | sed -n '1,14p'
echo
echo "== pcbench generate --chat -p 'What is the capital of France?'"
$PCB generate -m "$MODEL" --chat -p "What is the capital of France?" -n 64
echo
book="$DATA/text/pg19/pg19_10985_infant_system.txt"
if [ -f "$book" ]; then
    echo "== pcbench ppl --ctx 2048 --max-tokens 8192 (first 8192 tokens of a PG19 book)"
    $PCB ppl -m "$MODEL" --ctx 2048 --max-tokens 8192 "$book"
else
    echo "(PG19 data not found at $DATA: set PCB_DATA to the shared data folder for the perplexity step)"
fi
