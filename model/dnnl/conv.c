//go:build dnnl

#include <stdlib.h>
#include <string.h>
#include "conv.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;

// scratch[j] backs argument j (0, 1: inputs, 2: output) of the running
// call when it needs a layout other than the user's. Reordered copies are
// only alive during one call, and calls run one at a time (one thread),
// so three buffers serve every convolution: memory grows with the largest
// shape, not with the number of shapes and directions.
static void *scratch[3];
static size_t scratch_size[3];

static int scratch_for(int j, size_t size, void **out) {
	if (scratch_size[j] < size) {
		free(scratch[j]);
		scratch[j] = aligned_alloc(64, (size + 63) / 64 * 64);
		scratch_size[j] = scratch[j] ? size : 0;
		if (!scratch[j]) return dnnl_out_of_memory;
	}
	*out = scratch[j];
	return dnnl_success;
}

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) return (int)s_; } while (0)

static int ensure_engine(void) {
	if (engine) return dnnl_success;
	CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
	CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
	return dnnl_success;
}

static int make_prim(dnnl_primitive_t *p, const void *op_desc, const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *out_pd) {
	dnnl_primitive_desc_t pd;
	CHECK(dnnl_primitive_desc_create(&pd, op_desc, NULL, engine, hint));
	CHECK(dnnl_primitive_create(p, pd));
	*out_pd = pd;
	return dnnl_success;
}

// slot_init prepares argument slot sl: plain is the user's layout, what the
// primitive's argument to query.
static int slot_init(stk_slot *sl, const dnnl_memory_desc_t *plain, dnnl_primitive_desc_t pd, dnnl_query_t what, int input) {
	const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, what, 0);
	sl->input = input;
	CHECK(dnnl_memory_create(&sl->user, plain, engine, NULL));
	if (dnnl_memory_desc_equal(plain, want)) { sl->prim = sl->user; return dnnl_success; }
	CHECK(dnnl_memory_create(&sl->prim, want, engine, DNNL_MEMORY_NONE));
	sl->size = dnnl_memory_desc_get_size(want);
	dnnl_primitive_desc_t rpd;
	if (input) CHECK(dnnl_reorder_primitive_desc_create(&rpd, plain, engine, want, engine, NULL));
	else CHECK(dnnl_reorder_primitive_desc_create(&rpd, want, engine, plain, engine, NULL));
	CHECK(dnnl_primitive_create(&sl->reorder, rpd));
	dnnl_primitive_desc_destroy(rpd);
	return dnnl_success;
}

static int slot_reorder(stk_slot *sl) {
	dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, sl->input ? sl->user : sl->prim}, {DNNL_ARG_TO, sl->input ? sl->prim : sl->user}};
	return (int)dnnl_primitive_execute(sl->reorder, stream, 2, args);
}

int stk_conv_create(stk_conv *c, int n, int ic, int ih, int iw, int oc, int kh, int kw,
                    int sh, int sw, int pt, int pl, int pb, int pr) {
	memset(c, 0, sizeof *c);
	CHECK(ensure_engine());
	int oh = (ih + pt + pb - kh) / sh + 1, ow = (iw + pl + pr - kw) / sw + 1;
	dnnl_dims_t xd = {n, ic, ih, iw}, wd = {oc, ic, kh, kw}, yd = {n, oc, oh, ow};
	dnnl_dims_t strides = {sh, sw}, dil = {0, 0}, padl = {pt, pl}, padr = {pb, pr};
	dnnl_memory_desc_t xp, wp, yp, xa, wa, ya;
	CHECK(dnnl_memory_desc_init_by_tag(&xp, 4, xd, dnnl_f32, dnnl_nchw));
	CHECK(dnnl_memory_desc_init_by_tag(&wp, 4, wd, dnnl_f32, dnnl_oihw));
	CHECK(dnnl_memory_desc_init_by_tag(&yp, 4, yd, dnnl_f32, dnnl_nchw));
	CHECK(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&wa, 4, wd, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any));

	dnnl_convolution_desc_t fd, bd, bw;
	dnnl_primitive_desc_t fpd, bpd, wpd;
	CHECK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
		&xa, &wa, NULL, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->fwd, &fd, NULL, &fpd));
	CHECK(dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct,
		&xa, &wa, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->bwd_data, &bd, fpd, &bpd));
	CHECK(dnnl_dilated_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct,
		&xa, &wa, NULL, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->bwd_weights, &bw, fpd, &wpd));

	CHECK(slot_init(&c->s[0], &xp, fpd, dnnl_query_src_md, 1));
	CHECK(slot_init(&c->s[1], &wp, fpd, dnnl_query_weights_md, 1));
	CHECK(slot_init(&c->s[2], &yp, fpd, dnnl_query_dst_md, 0));
	CHECK(slot_init(&c->s[3], &yp, bpd, dnnl_query_diff_dst_md, 1));
	CHECK(slot_init(&c->s[4], &wp, bpd, dnnl_query_weights_md, 1));
	CHECK(slot_init(&c->s[5], &xp, bpd, dnnl_query_diff_src_md, 0));
	CHECK(slot_init(&c->s[6], &xp, wpd, dnnl_query_src_md, 1));
	CHECK(slot_init(&c->s[7], &yp, wpd, dnnl_query_diff_dst_md, 1));
	CHECK(slot_init(&c->s[8], &wp, wpd, dnnl_query_diff_weights_md, 0));
	dnnl_primitive_desc_destroy(fpd);
	dnnl_primitive_desc_destroy(bpd);
	dnnl_primitive_desc_destroy(wpd);
	return dnnl_success;
}

// run executes p over slots s[i..i+2] with buffers a, b, out (Go memory,
// attached for this call only).
static int run(stk_conv *c, dnnl_primitive_t p, int i, int k0, int k1, int k2, float *a, float *b, float *out) {
	float *bufs[3] = {a, b, out};
	int keys[3] = {k0, k1, k2};
	dnnl_exec_arg_t args[3];
	for (int j = 0; j < 3; j++) {
		stk_slot *sl = &c->s[i + j];
		CHECK(dnnl_memory_set_data_handle(sl->user, bufs[j]));
		if (sl->reorder) {
			void *buf;
			CHECK(scratch_for(j, sl->size, &buf));
			CHECK(dnnl_memory_set_data_handle(sl->prim, buf));
		}
		if (sl->reorder && sl->input) CHECK(slot_reorder(sl));
		args[j].arg = keys[j];
		args[j].memory = sl->prim;
	}
	CHECK(dnnl_primitive_execute(p, stream, 3, args));
	if (c->s[i + 2].reorder) CHECK(slot_reorder(&c->s[i + 2]));
	CHECK(dnnl_stream_wait(stream));
	for (int j = 0; j < 3; j++) CHECK(dnnl_memory_set_data_handle(c->s[i + j].user, NULL));
	return dnnl_success;
}

int stk_conv_forward(stk_conv *c, float *x, float *w, float *y) {
	return run(c, c->fwd, 0, DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, x, w, y);
}

int stk_conv_backward_data(stk_conv *c, float *dy, float *w, float *dx) {
	return run(c, c->bwd_data, 3, DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC, dy, w, dx);
}

int stk_conv_backward_weights(stk_conv *c, float *x, float *dy, float *dw) {
	return run(c, c->bwd_weights, 6, DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, x, dy, dw);
}

void stk_conv_destroy(stk_conv *c) {
	if (c->fwd) dnnl_primitive_destroy(c->fwd);
	if (c->bwd_data) dnnl_primitive_destroy(c->bwd_data);
	if (c->bwd_weights) dnnl_primitive_destroy(c->bwd_weights);
	for (int i = 0; i < 9; i++) {
		stk_slot *sl = &c->s[i];
		if (sl->reorder) dnnl_primitive_destroy(sl->reorder);
		if (sl->prim && sl->prim != sl->user) dnnl_memory_destroy(sl->prim);
		if (sl->user) dnnl_memory_destroy(sl->user);
	}
}
