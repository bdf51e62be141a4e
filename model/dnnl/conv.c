//go:build dnnl

#include <string.h>
#include "conv.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;

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

static void query(dnnl_primitive_desc_t pd, dnnl_query_t what, dnnl_memory_desc_t *md) {
	*md = *dnnl_primitive_desc_query_md(pd, what, 0);
}

int stk_conv_create(stk_conv *c, int n, int ic, int ih, int iw, int oc, int kh, int kw,
                    int sh, int sw, int pt, int pl, int pb, int pr) {
	memset(c, 0, sizeof *c);
	CHECK(ensure_engine());
	int oh = (ih + pt + pb - kh) / sh + 1, ow = (iw + pl + pr - kw) / sw + 1;
	dnnl_dims_t xd = {n, ic, ih, iw}, wd = {oc, ic, kh, kw}, yd = {n, oc, oh, ow};
	dnnl_dims_t strides = {sh, sw}, dil = {0, 0}, padl = {pt, pl}, padr = {pb, pr};
	CHECK(dnnl_memory_desc_init_by_tag(&c->x_plain, 4, xd, dnnl_f32, dnnl_nchw));
	CHECK(dnnl_memory_desc_init_by_tag(&c->w_plain, 4, wd, dnnl_f32, dnnl_oihw));
	CHECK(dnnl_memory_desc_init_by_tag(&c->y_plain, 4, yd, dnnl_f32, dnnl_nchw));
	dnnl_memory_desc_t xa, wa, ya;
	CHECK(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&wa, 4, wd, dnnl_f32, dnnl_format_tag_any));
	CHECK(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any));

	dnnl_convolution_desc_t fd, bd, bw;
	dnnl_primitive_desc_t fpd, bpd, wpd;
	CHECK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
		&xa, &wa, NULL, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->fwd, &fd, NULL, &fpd));
	query(fpd, dnnl_query_src_md, &c->fx);
	query(fpd, dnnl_query_weights_md, &c->fw);
	query(fpd, dnnl_query_dst_md, &c->fy);

	CHECK(dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct,
		&xa, &wa, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->bwd_data, &bd, fpd, &bpd));
	query(bpd, dnnl_query_diff_src_md, &c->dx);
	query(bpd, dnnl_query_weights_md, &c->dw_d);
	query(bpd, dnnl_query_diff_dst_md, &c->ddy);

	CHECK(dnnl_dilated_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct,
		&xa, &wa, NULL, &ya, strides, dil, padl, padr));
	CHECK(make_prim(&c->bwd_weights, &bw, fpd, &wpd));
	query(wpd, dnnl_query_src_md, &c->bx);
	query(wpd, dnnl_query_diff_weights_md, &c->bdw);
	query(wpd, dnnl_query_diff_dst_md, &c->bdy);

	dnnl_primitive_desc_destroy(fpd);
	dnnl_primitive_desc_destroy(bpd);
	dnnl_primitive_desc_destroy(wpd);
	return dnnl_success;
}

// arg is a memory object for one primitive argument: the user's buffer
// directly when layouts agree, else a library buffer reordered from (in) or
// to (out) the user's.
typedef struct { dnnl_memory_t user, prim; int reorder; } arg;

static int reorder(dnnl_memory_t from, dnnl_memory_t to) {
	const dnnl_memory_desc_t *fmd, *tmd;
	CHECK(dnnl_memory_get_memory_desc(from, &fmd));
	CHECK(dnnl_memory_get_memory_desc(to, &tmd));
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t r;
	CHECK(dnnl_reorder_primitive_desc_create(&pd, fmd, engine, tmd, engine, NULL));
	CHECK(dnnl_primitive_create(&r, pd));
	dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
	dnnl_status_t s = dnnl_primitive_execute(r, stream, 2, args);
	dnnl_primitive_destroy(r);
	dnnl_primitive_desc_destroy(pd);
	return (int)s;
}

static int arg_open(arg *a, const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *want, float *buf, int in) {
	a->reorder = !dnnl_memory_desc_equal(plain, want);
	CHECK(dnnl_memory_create(&a->user, plain, engine, buf));
	if (!a->reorder) { a->prim = a->user; return dnnl_success; }
	CHECK(dnnl_memory_create(&a->prim, want, engine, DNNL_MEMORY_ALLOCATE));
	if (in) return reorder(a->user, a->prim);
	return dnnl_success;
}

static int arg_close(arg *a, int out) {
	int s = dnnl_success;
	if (a->reorder) {
		if (out) s = reorder(a->prim, a->user);
		dnnl_memory_destroy(a->prim);
	}
	dnnl_memory_destroy(a->user);
	return s;
}

static int run3(dnnl_primitive_t p, int k0, arg *a0, int k1, arg *a1, int k2, arg *a2) {
	dnnl_exec_arg_t args[3] = {{k0, a0->prim}, {k1, a1->prim}, {k2, a2->prim}};
	CHECK(dnnl_primitive_execute(p, stream, 3, args));
	return (int)dnnl_stream_wait(stream);
}

int stk_conv_forward(stk_conv *c, float *x, float *w, float *y) {
	arg ax, aw, ay;
	CHECK(arg_open(&ax, &c->x_plain, &c->fx, x, 1));
	CHECK(arg_open(&aw, &c->w_plain, &c->fw, w, 1));
	CHECK(arg_open(&ay, &c->y_plain, &c->fy, y, 0));
	CHECK(run3(c->fwd, DNNL_ARG_SRC, &ax, DNNL_ARG_WEIGHTS, &aw, DNNL_ARG_DST, &ay));
	arg_close(&ax, 0);
	arg_close(&aw, 0);
	CHECK(arg_close(&ay, 1));
	return (int)dnnl_stream_wait(stream);
}

int stk_conv_backward_data(stk_conv *c, float *dy, float *w, float *dx) {
	arg ady, aw, adx;
	CHECK(arg_open(&ady, &c->y_plain, &c->ddy, dy, 1));
	CHECK(arg_open(&aw, &c->w_plain, &c->dw_d, w, 1));
	CHECK(arg_open(&adx, &c->x_plain, &c->dx, dx, 0));
	CHECK(run3(c->bwd_data, DNNL_ARG_DIFF_DST, &ady, DNNL_ARG_WEIGHTS, &aw, DNNL_ARG_DIFF_SRC, &adx));
	arg_close(&ady, 0);
	arg_close(&aw, 0);
	CHECK(arg_close(&adx, 1));
	return (int)dnnl_stream_wait(stream);
}

int stk_conv_backward_weights(stk_conv *c, float *x, float *dy, float *dw) {
	arg ax, ady, adw;
	CHECK(arg_open(&ax, &c->x_plain, &c->bx, x, 1));
	CHECK(arg_open(&ady, &c->y_plain, &c->bdy, dy, 1));
	CHECK(arg_open(&adw, &c->w_plain, &c->bdw, dw, 0));
	CHECK(run3(c->bwd_weights, DNNL_ARG_SRC, &ax, DNNL_ARG_DIFF_DST, &ady, DNNL_ARG_DIFF_WEIGHTS, &adw));
	arg_close(&ax, 0);
	arg_close(&ady, 0);
	CHECK(arg_close(&adw, 1));
	return (int)dnnl_stream_wait(stream);
}

void stk_conv_destroy(stk_conv *c) {
	if (c->fwd) dnnl_primitive_destroy(c->fwd);
	if (c->bwd_data) dnnl_primitive_destroy(c->bwd_data);
	if (c->bwd_weights) dnnl_primitive_destroy(c->bwd_weights);
}
