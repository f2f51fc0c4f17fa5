#!/usr/bin/python3
"""Known answers for tests/test_train.c, computed independently of libfolkrnn.

train_valid_v2.txt: the tunes of data_v2 that folk-rnn's train_rnn.py holds
out for validation, as 0-based positions in the file, increasing.  folk-rnn
sorts the tunes (<s> + tokens + </s>) by decreasing length with Python's
stable sort, takes nvalid = 64 * max(1, rint(n * 0.05 / 64)) and
numpy.random.RandomState(42).choice(arange(n), nvalid, replace=False) as
positions in that order.

train_sha256.txt: SHA-256 digests (hashlib) of the test texts used in
test_train.c, one "hex name" per line.

Run: /usr/bin/python3 tests/make_train_fixtures.py [path/to/data_v2.txt]
"""
import hashlib
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
data_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'shared', 'data', 'data_v2.txt')

with open(data_path) as f:
    tunes = [t.split() for t in f.read().split('\n\n')]
tunes = [t for t in tunes if t]
lengths = [len(t) + 2 for t in tunes]
order = sorted(range(len(tunes)), key=lambda i: lengths[i], reverse=True)
n = len(tunes)
nvalid = int(64 * max(1, np.rint(n * 0.05 / 64)))
chosen = np.random.RandomState(42).choice(np.arange(n), nvalid, replace=False)
valid = sorted(order[i] for i in chosen)
with open(os.path.join(here, 'fixtures', 'train_valid_v2.txt'), 'w') as f:
    f.write(''.join('%d\n' % i for i in valid))

texts = {
    'empty': b'',
    'abc': b'abc',
    'a200': b'a' * 200,
    'tiny': b'M:4/4\nK:Cmaj\nA B C |\n\nM:3/4\nK:Cmin\nC C |\n',
}
with open(os.path.join(here, 'fixtures', 'train_sha256.txt'), 'w') as f:
    for name, text in texts.items():
        f.write('%s %s\n' % (hashlib.sha256(text).hexdigest(), name))
print('%d tunes, %d held out' % (n, nvalid))
