// One convolution shape's oneDNN primitives, plus the reorders between the
// plain NCHW/OIHW layouts Go uses and the layouts oneDNN picks.
#include <oneapi/dnnl/dnnl.h>

typedef struct {
	dnnl_primitive_t fwd, bwd_data, bwd_weights;
	// Plain (user) descriptors and the ones the primitives chose.
	dnnl_memory_desc_t x_plain, w_plain, y_plain;
	dnnl_memory_desc_t fx, fw, fy;     // forward: src, weights, dst
	dnnl_memory_desc_t dx, dw_d, ddy;  // backward data: diff_src, weights, diff_dst
	dnnl_memory_desc_t bx, bdw, bdy;   // backward weights: src, diff_weights, diff_dst
} stk_conv;

// stk_conv_create builds the primitives; it returns a dnnl_status_t.
int stk_conv_create(stk_conv *c, int n, int ic, int ih, int iw, int oc, int kh, int kw,
                    int sh, int sw, int pt, int pl, int pb, int pr);
int stk_conv_forward(stk_conv *c, float *x, float *w, float *y);
int stk_conv_backward_data(stk_conv *c, float *dy, float *w, float *dx);
int stk_conv_backward_weights(stk_conv *c, float *x, float *dy, float *dw);
void stk_conv_destroy(stk_conv *c);
