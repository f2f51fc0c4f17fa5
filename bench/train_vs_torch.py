#!/usr/bin/python3
"""Training throughput of `folkrnn train` against PyTorch's CPU nn.LSTM on
the same batches of the same corpus (issue 4's speed goal: at least twice
PyTorch's tokens per second on the v2 shape).

Both sides train the folk-rnn v2 shape (one-hot input, 3 x 512 LSTM, dropout
0.5 after every layer, dense softmax, loss = mean over the batch of summed
NLL, RMSProp lr 0.003) on the same K batches of 64 tunes of equal or
similar length taken from the length-sorted corpus, with the same number of
threads.  PyTorch packs the padded batch (pack_padded_sequence), so neither
side computes padding.  Differences that only favour PyTorch: it has no
gradient clipping inside the recurrence (Lasagne's grad_clipping has no
nn.LSTM equivalent) and its dropout masks come from a faster generator.

Tokens per second count predicted tokens (tune tokens + </s>).  Both rates
cover every batch; PyTorch first trains on eight short tunes, untimed, to
warm up, and folkrnn's first batch allocates its work space (only its weight
initialisation is outside the timing).

Usage (from a build folder, Debian's python3-torch installed):
  /usr/bin/python3 bench/train_vs_torch.py --folkrnn ./folkrnn \\
      --data ../shared/data/data_v2.txt [--batches 8] [--threads 2]
Prints one line per side and the ratios.  Tokens per CPU second are the
figure to trust on a machine busy with other work (with one thread they
equal tokens per second on an idle machine); wall-clock rates then mostly
measure the other work.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time


def read_tunes(path):
    with open(path) as f:
        tunes = [t.split() for t in f.read().split('\n\n')]
    return [t for t in tunes if t]


def pick_batches(tunes, nbatches, batch):
    """nbatches batches of `batch` tunes each, spread evenly over the corpus
    sorted by length (so short and long tunes are both represented): the
    middle batch of each of nbatches equal strides, which leaves out the
    one batch of the very longest tunes (up to 1,952 tokens, 1 of 352)."""
    order = sorted(range(len(tunes)), key=lambda i: len(tunes[i]), reverse=True)
    nchunks = len(order) // batch
    step = max(1, nchunks // nbatches)
    first = [k * step + step // 2 for k in range(nbatches)]
    return [order[c * batch:(c + 1) * batch] for c in first]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_folkrnn(binary, tunes, batches, args):
    """Train folkrnn one epoch over exactly these batches.  Returns tokens/s
    of wall time (from its last progress line, which covers the epoch) and
    tokens per CPU second (CPU of the run minus that of a 0-epoch run, which
    only reads the data and initialises the model)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, 'data.txt')
        with open(data, 'w') as f:
            for b in batches:
                for i in b:
                    f.write(' '.join(tunes[i]) + '\n\n')
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
        cpu = []
        for epochs in (0, 1):
            cmd = [binary, 'train', '--data', data, '--out', os.path.join(tmp, 'm.safetensors'),
                   '--epochs', str(epochs), '--valid-fraction', '0', '--threads',
                   str(args.threads), '--layers', str(args.layers), '--units', str(args.units),
                   '--batch', str(args.batch)]
            before = children_cpu()
            proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, env=env)
            cpu.append(children_cpu() - before)
            if proc.returncode != 0:
                sys.exit('folkrnn train failed:\n' + proc.stderr)
        # Each progress line ends "... X tokens/s ETA ..."; the rate is over
        # the run so far, so the last line's covers every batch.
        lines = [l for l in proc.stderr.replace('\r', '\n').split('\n') if 'tokens/s' in l]
        rate = float(re.search(r'([0-9.]+) tokens/s', lines[-1]).group(1))
        tokens = sum(len(tunes[i]) + 1 for b in batches for i in b)
        return rate, tokens / max(cpu[1] - cpu[0], 1e-9)


# PyTorch's CPU training allocates and frees large tensors at every step;
# with glibc's default malloc each is a fresh mmap, and the page faults took
# three quarters of its time here (sys 21 min against user 6 on 8 batches).
# The PyTorch half runs with glibc tuned to keep freed memory (which doubled
# its rate here); jemalloc (LD_PRELOAD) was no better than the defaults.
TORCH_MALLOC = {'MALLOC_MMAP_THRESHOLD_': '33554432',
                'MALLOC_TRIM_THRESHOLD_': '17179869184',
                'MALLOC_TOP_PAD_': '1073741824'}


def time_torch(tunes, batches, args):
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    vocab = sorted({tok for b in batches for i in b for tok in tunes[i]} | {'<s>', '</s>'})
    ids = {t: k for k, t in enumerate(vocab)}
    V = len(vocab)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(V, args.units, args.layers, dropout=args.dropout,
                                batch_first=False)
            self.drop = nn.Dropout(args.dropout)  # after the last layer too, as in folk-rnn
            self.dense = nn.Linear(args.units, V)

        def forward(self, packed):
            out, _ = self.lstm(packed)
            return self.dense(self.drop(out.data))  # only real (packed) positions

    model = Model()
    opt = torch.optim.RMSprop(model.parameters(), lr=0.003, alpha=0.9, eps=1e-6)
    nll = nn.CrossEntropyLoss(reduction='sum')

    def make(batch):
        seqs = sorted(([ids['<s>']] + [ids[t] for t in tunes[i]] + [ids['</s>']] for i in batch),
                      key=len, reverse=True)
        lens = [len(s) - 1 for s in seqs]
        T = lens[0]
        x = torch.zeros(T, len(seqs), V)
        y = torch.zeros(T, len(seqs), dtype=torch.long)
        for b, s in enumerate(seqs):
            for t in range(lens[b]):
                x[t, b, s[t]] = 1.0
                y[t, b] = s[t + 1]
        return (pack_padded_sequence(x, lens), pack_padded_sequence(y, lens).data,
                sum(lens), len(seqs))

    def train_on(x, y, B):
        opt.zero_grad()
        loss = nll(model(x), y) / B
        loss.backward()
        opt.step()

    prepared = [make(b) for b in batches]
    train_on(*make(batches[-1][:8])[:2], 8)  # warm-up, untimed: 8 short tunes
    start, cpu_start = time.perf_counter(), time.process_time()
    for x, y, ntok, B in prepared:
        train_on(x, y, B)
    tokens = sum(p[2] for p in prepared)
    return tokens / (time.perf_counter() - start), tokens / (time.process_time() - cpu_start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--folkrnn', default='./folkrnn')
    ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', '..',
                                                   'shared', 'data', 'data_v2.txt'))
    ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--layers', type=int, default=3)
    ap.add_argument('--units', type=int, default=512)
    ap.add_argument('--dropout', type=float, default=0.5)
    ap.add_argument('--only', choices=['folkrnn', 'torch'])
    args = ap.parse_args()
    tunes = read_tunes(args.data)
    batches = pick_batches(tunes, args.batches, args.batch)
    shape = '%dx%d LSTM, %d batches of %d, %d thread(s)' % (args.layers, args.units,
                                                             args.batches, args.batch, args.threads)
    rate_c = rate_t = None
    row = '%-14s %8.0f tokens/s  %8.0f tokens per CPU second  (%s)'
    if args.only != 'torch':
        rate_c = time_folkrnn(args.folkrnn, tunes, batches, args)
        print(row % (('folkrnn train',) + rate_c + (shape,)), flush=True)
    if args.only != 'folkrnn' and not all(k in os.environ for k in TORCH_MALLOC):
        # Rerun this script for the PyTorch half with glibc tuned for it.
        env = dict(os.environ, **TORCH_MALLOC)
        out = subprocess.run([sys.executable, __file__] + sys.argv[1:] + ['--only', 'torch'],
                             env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
        print(out, end='', flush=True)
        rate_t = tuple(float(x) for x in re.findall(r'([0-9.]+) tokens', out)[:2])
    elif args.only != 'folkrnn':
        import torch
        rate_t = time_torch(tunes, batches, args)
        print(row % (('torch ' + torch.__version__,) + rate_t + (shape,)), flush=True)
    if rate_c and rate_t:
        print('ratio folkrnn / torch: %.2f (wall), %.2f (CPU)' % (rate_c[0] / rate_t[0],
                                                               rate_c[1] / rate_t[1]))


if __name__ == '__main__':
    main()
