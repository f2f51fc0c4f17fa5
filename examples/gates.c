/* gates.c -- the first layer's gates read token by token (Sturm, part 4).

   With one-hot input, row t of a first-layer input matrix W_in (tokens x
   units, per gate) is what token t adds to that gate's pre-activation.  The
   Gramian of a gate (tokens x tokens: inner products of those rows) shows
   which tokens the gate treats alike; in folk-rnn v2 the cell and output
   gates show enharmonic and octave relations between pitches.  The norm of
   each row says how much a token moves the gate (v2: meter and mode tokens
   barely move the forget gate).  Last, the rows of W_in and of W_hid (what
   each unit's previous output adds) lie in nearly orthogonal directions in
   v2: input and memory use different subspaces.

   usage: gates [MODEL [OUTDIR]]
   writes: gates_gram_GATE.png (GATE = ingate, forgetgate, cell, outgate),
           gates_norms.png */
#include "common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NGATES 4
static const char *const gate_names[NGATES] = {"ingate", "forgetgate", "cell", "outgate"};

/* Mean row norm per token class, one line per class that the model has. */
static void norms_by_class(const folkrnn_model *m, const folkrnn_matrix *norms)
{
    printf("mean input norm per token class:\n  %-9s", "class");
    for (int g = 0; g < NGATES; g++)
        printf(" %10s", gate_names[g]);
    printf("\n");
    for (int cls = 0; cls < FOLKRNN_TOKEN_NCLASSES; cls++) {
        double sum[NGATES] = {0};
        int n = 0;
        for (int t = 0; t < norms->rows; t++) {
            if (folkrnn_model_token_class(m, t) != cls)
                continue;
            for (int g = 0; g < NGATES; g++)
                sum[g] += norms->data[(size_t)t * norms->ld + g];
            n++;
        }
        if (!n)
            continue;
        printf("  %-9s", folkrnn_token_class_name(cls));
        for (int g = 0; g < NGATES; g++)
            printf(" %10.3f", sum[g] / n);
        printf("\n");
    }
}

/* Cosines between the rows of w_in (in x units) and of w_hid (units x
   units): stack them and take the normalised Gram matrix of the rows. */
static void input_versus_memory(const char *gate, const folkrnn_matrix *w_in,
                                const folkrnn_matrix *w_hid)
{
    int in = w_in->rows, units = w_hid->rows;
    folkrnn_matrix *both, *cos;
    ex_check(folkrnn_matrix_new(in + units, units, &both), "stack"); /* (in+units) x units */
    for (int r = 0; r < in + units; r++) {
        const folkrnn_matrix *from = r < in ? w_in : w_hid;
        int fr = r < in ? r : r - in;
        memcpy(both->data + (size_t)r * both->ld, from->data + (size_t)fr * from->ld,
               (size_t)units * sizeof(double));
    }
    ex_check(folkrnn_gram(both, FOLKRNN_GRAM_ROWS, 1, &cos), "cosines");
    double mean = 0, max = 0;
    for (int i = 0; i < in; i++)
        for (int j = in; j < in + units; j++) {
            double c = fabs(cos->data[(size_t)i * cos->ld + j]);
            mean += c / ((double)in * units);
            max = fmax(max, c);
        }
    printf("  %-10s mean |cos| %.3f, max %.3f\n", gate, mean, max);
    folkrnn_matrix_free(both);
    folkrnn_matrix_free(cos);
}

int main(int argc, char **argv)
{
    folkrnn_model *m = ex_start(argc, argv);
    if (folkrnn_model_cell_type(m) != FOLKRNN_CELL_LSTM || !folkrnn_model_is_onehot(m)) {
        fprintf(stderr, "gates: this example reads a one-hot LSTM model\n");
        return 1;
    }
    int units = folkrnn_model_hidden_size(m, 0), vocab = folkrnn_model_vocab_size(m);
    int *order = ex_token_order(m);
    const char **labels = ex_token_labels(m, order);
    folkrnn_matrix *w_in, *w_hid, *norms;
    /* w_in: vocab x 4 units, w_hid: units x 4 units, norms: vocab x gates */
    ex_check(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_W_IN, &w_in), "W_in");
    ex_check(folkrnn_matrix_from_param(m, 0, FOLKRNN_P_W_HID, &w_hid), "W_hid");
    ex_check(folkrnn_matrix_new(vocab, NGATES, &norms), "norms");

    printf("cosines between rows of W_in (tokens) and of W_hid (units); random directions in\n"
           "%d dimensions would give mean |cos| %.3f:\n",
           units, sqrt(2.0 / (acos(-1.0) * units)));
    for (int g = 0; g < NGATES; g++) {
        folkrnn_matrix *gate_in, *gate_hid, *gram, *sorted;
        char name[64], title[96];
        /* Gate g is columns [g*units, (g+1)*units) of the whole-layer matrices. */
        ex_check(folkrnn_matrix_block(w_in, 0, g * units, vocab, units, &gate_in), "block");
        ex_check(folkrnn_matrix_block(w_hid, 0, g * units, units, units, &gate_hid), "block");
        ex_check(folkrnn_gram(gate_in, FOLKRNN_GRAM_ROWS, 0, &gram), "Gramian"); /* vocab x vocab */
        for (int t = 0; t < vocab; t++)
            norms->data[(size_t)t * norms->ld + g] = sqrt(gram->data[(size_t)t * gram->ld + t]);
        sorted = ex_reorder(gram, order, 1);
        snprintf(name, sizeof name, "gates_gram_%s.png", gate_names[g]);
        snprintf(title, sizeof title, "Gramian of the layer-1 %s input weights", gate_names[g]);
        ex_heatmap(name, sorted, title, "token", "token", labels, NULL, 0, FOLKRNN_CMAP_DIVERGING);
        input_versus_memory(gate_names[g], gate_in, gate_hid);
        folkrnn_matrix_free(gate_in);
        folkrnn_matrix_free(gate_hid);
        folkrnn_matrix_free(gram);
        folkrnn_matrix_free(sorted);
    }
    norms_by_class(m, norms);

    folkrnn_matrix *norms_sorted = ex_reorder(norms, order, 0);
    folkrnn_heatmap_opts o;
    folkrnn_heatmap_opts_init(&o);
    o.title = "Norm of each token's input weights";
    o.xlabel = "gate";
    o.ylabel = "token";
    o.row_labels = labels;
    o.col_labels = gate_names;
    o.cell_w = 140; /* wide enough for every gate name */
    o.colormap = FOLKRNN_CMAP_SEQUENTIAL;
    ex_check(folkrnn_png_heatmap(ex_path("gates_norms.png"), norms_sorted, &o), "gates_norms.png");
    printf("wrote %s\n", ex_path("gates_norms.png"));

    free(order);
    free(labels);
    folkrnn_matrix_free(w_in);
    folkrnn_matrix_free(w_hid);
    folkrnn_matrix_free(norms);
    folkrnn_matrix_free(norms_sorted);
    folkrnn_model_free(m);
    return 0;
}
