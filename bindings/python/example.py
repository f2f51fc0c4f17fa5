#!/usr/bin/python3
"""example.py -- load a model, take one step from <s>, then the same step
with hidden units 1 and 3 of layer 1 silenced by a hook written in Python,
and compare the most likely first tokens.  bindings/julia/example.jl does the
same in Julia.

    FOLKRNN_LIB=/usr/local/lib/libfolkrnn.so.0 python3 example.py folkrnn_v2.pkl
"""
import sys

import folkrnn

path = sys.argv[1] if len(sys.argv) > 1 else None       # None: the default model
with folkrnn.Model(path) as m, m.state() as s:
    tokens = m.vocab
    print("%d tokens, %d layers, %d units in layer 1" % (len(tokens), m.num_layers,
                                                         m.hidden_size(1)))
    start = m.token_id("<s>")
    plain = s.step(start)
    s.reset()

    calls = 0

    def silence(event, h):
        global calls
        h[[1, 3]] = 0.0
        calls += 1

    hook = s.add_hook("hidden", 1, silence)
    ablated = s.step(start)
    s.remove_hook(hook)
    print("hook ran %d time(s)" % calls)

    for name, p in (("plain", plain), ("ablated", ablated)):
        best = p[0].argsort()[::-1][:5]
        print(name.ljust(8) + "  ".join("%s %.4f" % (tokens[i], p[0, i]) for i in best))
