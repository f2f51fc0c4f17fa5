# FolkRNN.jl -- Julia bindings for libfolkrnn through ccall.
#
#     include("FolkRNN.jl"); using .FolkRNN
#     m = FolkRNN.Model("folkrnn_v2.pkl")
#     s = FolkRNN.State(m, 1)
#     p = FolkRNN.step!(s, [FolkRNN.token_id(m, "<s>")])   # vocab x nstreams, Float32
#
# The library is found through $FOLKRNN_LIB, else the loader's path
# (libfolkrnn.so.0).  Token ids and layer numbers are the library's own,
# 0-based (they are identifiers, not Julia indices): the probability of token
# id t is p[t + 1, stream].  Errors throw FolkRNNError with the library's
# message.  Models and states are freed by close() or by the GC's finalizers.
# Every ccall here is repeated, in the order example.jl makes them, by
# tests/test_julia_calls.c (Julia is not needed to test the C side).
module FolkRNN

export Model, State, FolkRNNError, vocab, token_id, num_layers, hidden_size,
       step!, reset!, add_hook!, remove_hook!, param

const libfolkrnn = get(ENV, "FOLKRNN_LIB", "libfolkrnn.so.0")

struct FolkRNNError <: Exception
    status::Int
    message::String
end
Base.showerror(io::IO, e::FolkRNNError) = print(io, "FolkRNNError(", e.status, "): ", e.message)

errmsg() = unsafe_string(ccall((:folkrnn_errmsg, libfolkrnn), Cstring, ()))

function check(rc)
    rc < 0 && throw(FolkRNNError(rc, errmsg()))
    return rc
end

# ---- models ---------------------------------------------------------------

mutable struct Model
    ptr::Ptr{Cvoid}
    function Model(path::AbstractString)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:folkrnn_model_load, libfolkrnn), Cint,
                    (Cstring, Ref{Ptr{Cvoid}}), path, out))
        return finalizer(close, new(out[]))
    end
end

function Base.close(m::Model)
    if m.ptr != C_NULL
        ccall((:folkrnn_model_free, libfolkrnn), Cvoid, (Ptr{Cvoid},), m.ptr)
        m.ptr = C_NULL
    end
end

function handle(m::Model)
    m.ptr == C_NULL && throw(FolkRNNError(-1, "model is closed"))
    return m.ptr
end

vocab_size(m::Model) = Int(check(ccall((:folkrnn_model_vocab_size, libfolkrnn), Cint,
                                       (Ptr{Cvoid},), handle(m))))
num_layers(m::Model) = Int(check(ccall((:folkrnn_model_num_layers, libfolkrnn), Cint,
                                       (Ptr{Cvoid},), handle(m))))
hidden_size(m::Model, layer::Integer) =
    Int(check(ccall((:folkrnn_model_hidden_size, libfolkrnn), Cint, (Ptr{Cvoid}, Cint),
                    handle(m), layer)))

"Token strings; vocab(m)[id + 1] is the text of token id."
vocab(m::Model) = [unsafe_string(ccall((:folkrnn_model_token, libfolkrnn), Cstring,
                                       (Ptr{Cvoid}, Cint), handle(m), i))
                   for i in 0:vocab_size(m)-1]

"The id (0-based) of a token text; FolkRNNError when unknown."
function token_id(m::Model, text::AbstractString)
    rc = ccall((:folkrnn_model_token_id, libfolkrnn), Cint, (Ptr{Cvoid}, Cstring),
               handle(m), text)
    rc < 0 && throw(FolkRNNError(rc, "unknown token \"$text\""))
    return Int(rc)
end

"""A parameter as a rows x cols matrix viewing the model's memory (writes
change the model; valid while the model is open).  which is the C
FOLKRNN_P_* number, e.g. 15 for the dense W (see folkrnn.h)."""
function param(m::Model, layer::Integer, which::Integer)
    data = Ref{Ptr{Cfloat}}(C_NULL)
    rows, cols, ld = Ref{Cint}(0), Ref{Cint}(0), Ref{Cint}(0)
    check(ccall((:folkrnn_model_param, libfolkrnn), Cint,
                (Ptr{Cvoid}, Cint, Cint, Ref{Ptr{Cfloat}}, Ref{Cint}, Ref{Cint}, Ref{Cint}),
                handle(m), layer, which, data, rows, cols, ld))
    whole = unsafe_wrap(Array, data[], (Int(ld[]), Int(rows[])))   # column-major: ld x rows
    return transpose(view(whole, 1:cols[], :))
end

# ---- states and hooks -------------------------------------------------------

# struct folkrnn_hook_event (fields are only ever appended)
struct HookEvent
    point::Cint
    layer::Cint
    stream::Cint
    step::Clong
    token::Cint
    n::Cint
end

# What the C hook's user pointer refers to: the Julia function and the
# exception it threw, if any.
mutable struct HookBox
    f::Any
    err::Any
end

mutable struct State
    ptr::Ptr{Cvoid}
    model::Model                 # the C state borrows the model
    nstreams::Int
    vocab::Int
    hooks::Dict{Int,HookBox}     # keeps the boxes rooted while registered
    function State(m::Model, nstreams::Integer=1)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:folkrnn_state_new, libfolkrnn), Cint,
                    (Ptr{Cvoid}, Cint, Ref{Ptr{Cvoid}}), handle(m), nstreams, out))
        s = new(out[], m, nstreams, vocab_size(m), Dict{Int,HookBox}())
        return finalizer(close, s)
    end
end

function Base.close(s::State)
    if s.ptr != C_NULL
        ccall((:folkrnn_state_free, libfolkrnn), Cvoid, (Ptr{Cvoid},), s.ptr)
        s.ptr = C_NULL
        empty!(s.hooks)
    end
end

function handle(s::State)
    s.ptr == C_NULL && throw(FolkRNNError(-1, "state is closed"))
    return s.ptr
end

"Every stream back to the initial state; hooks stay."
reset!(s::State) = (check(ccall((:folkrnn_state_reset, libfolkrnn), Cint, (Ptr{Cvoid},),
                               handle(s))); s)

"""Feed tokens[k] (an id, or -1 to leave stream k alone) to every stream;
returns the next-token probabilities, vocab x nstreams.  An exception thrown
by a hook aborts the step (the state is as before) and is rethrown here."""
function step!(s::State, tokens::AbstractVector{<:Integer})
    length(tokens) == s.nstreams ||
        throw(FolkRNNError(-1, "$(length(tokens)) tokens for $(s.nstreams) streams"))
    ids = Cint.(tokens)
    probs = zeros(Float32, s.vocab, s.nstreams)
    rc = ccall((:folkrnn_state_step, libfolkrnn), Cint, (Ptr{Cvoid}, Ptr{Cint}, Ptr{Cfloat}),
               handle(s), ids, probs)
    for box in values(s.hooks)
        if box.err !== nothing
            err, box.err = box.err, nothing
            throw(err)
        end
    end
    check(rc)
    return probs
end

function hook_trampoline(ev::Ptr{HookEvent}, values::Ptr{Cfloat}, user::Ptr{Cvoid})::Cint
    box = unsafe_pointer_to_objref(user)::HookBox
    event = unsafe_load(ev)
    try
        r = box.f(event, unsafe_wrap(Array, values, Int(event.n)))
        return (r === nothing || r == 0) ? Cint(0) : Cint(1)
    catch err
        box.err = err
        return Cint(1)
    end
end

"""Call f(event::HookEvent, values::Vector{Float32}) at point (:ingate,
:forgetgate, :cellgate, :outgate, :cell, :hidden, :logits, :probs) of layer
(0-based; -1 every layer) for every stream at every step.  values views the
library's buffer during the call: changes are what the rest of the step
sees.  Returns a hook id for remove_hook!."""
function add_hook!(s::State, point::Symbol, layer::Integer, f)
    p = check(ccall((:folkrnn_hook_point_from_name, libfolkrnn), Cint, (Cstring,),
                    String(point)))
    box = HookBox(f, nothing)
    cfun = @cfunction(hook_trampoline, Cint, (Ptr{HookEvent}, Ptr{Cfloat}, Ptr{Cvoid}))
    id = check(ccall((:folkrnn_state_add_hook, libfolkrnn), Cint,
                     (Ptr{Cvoid}, Cint, Cint, Ptr{Cvoid}, Ptr{Cvoid}),
                     handle(s), p, layer, cfun, pointer_from_objref(box)))
    s.hooks[Int(id)] = box
    return Int(id)
end

function remove_hook!(s::State, id::Integer)
    check(ccall((:folkrnn_state_remove_hook, libfolkrnn), Cint, (Ptr{Cvoid}, Cint),
                handle(s), id))
    delete!(s.hooks, Int(id))
    return s
end

end # module
