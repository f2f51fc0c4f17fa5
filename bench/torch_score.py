#!/usr/bin/python3
"""Reference for corpus scoring speed: PyTorch's CPU nn.LSTM (Debian's
python3-torch) running inference on the v2 shape, with the same batch shape
the C benchmark scores (64 streams, one-hot input, 3x512, dense + log-softmax).

Usage: torch_score.py NTUNES LEN [THREADS]
Prints 'torch score_tokens_per_second R' or 'torch missing'."""
import sys
import time

try:
    import torch
except ImportError:
    print("torch missing")
    sys.exit(0)


def main():
    ntunes, length = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    vocab, units, layers, batch = 137, 512, 3, 64
    lstm = torch.nn.LSTM(vocab, units, layers)
    dense = torch.nn.Linear(units, vocab)
    gen = torch.Generator().manual_seed(777)
    tokens = 0
    t0 = time.perf_counter()
    with torch.no_grad():
        for first in range(0, ntunes, batch):
            b = min(batch, ntunes - first)
            # <s> and the tune in, the tune and </s> predicted: length + 1
            # steps and predictions per tune, as folkrnn_score counts them.
            ids = torch.randint(2, vocab, (length + 2, b), generator=gen)
            x = torch.nn.functional.one_hot(ids[:-1], vocab).float()
            h, _ = lstm(x)
            logp = torch.log_softmax(dense(h), dim=-1)
            logp.gather(2, ids[1:].unsqueeze(2)).sum()
            tokens += b * (length + 1)
    dt = time.perf_counter() - t0
    print("torch score_tokens_per_second %.9g" % (tokens / dt))


if __name__ == "__main__":
    main()
