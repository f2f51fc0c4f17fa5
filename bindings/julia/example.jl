# example.jl -- load a model, take one step from <s>, then the same step with
# hidden units 2 and 4 of the second layer silenced by a hook written in
# Julia, and compare the most likely first tokens.  (The Python README's
# example, in Julia.)
#
#     FOLKRNN_LIB=/usr/local/lib/libfolkrnn.so.0 julia example.jl folkrnn_v2.pkl
#
# tests/test_julia_calls.c makes the C calls this script makes, in order.
include(joinpath(@__DIR__, "FolkRNN.jl"))
using .FolkRNN

path = length(ARGS) >= 1 ? ARGS[1] : get(ENV, "FOLKRNN_MODEL", "folkrnn_v2.pkl")
m = Model(path)
tokens = vocab(m)
println("$(length(tokens)) tokens, $(num_layers(m)) layers, $(hidden_size(m, 1)) units in layer 1")

s = State(m, 1)
start = token_id(m, "<s>")
plain = step!(s, [start])
reset!(s)

calls = Ref(0)
silence = add_hook!(s, :hidden, 1, (event, h) -> begin
    h[[2, 4]] .= 0f0          # Julia indices: units 1 and 3 of the library
    calls[] += 1
    nothing
end)
ablated = step!(s, [start])
remove_hook!(s, silence)
println("hook ran $(calls[]) time(s)")

for (name, p) in (("plain", plain), ("ablated", ablated))
    best = sortperm(p[:, 1], rev=true)[1:min(5, length(tokens))]
    println(rpad(name, 8), join(["$(tokens[i]) $(round(p[i, 1], digits=4))" for i in best], "  "))
end

close(s)
close(m)
