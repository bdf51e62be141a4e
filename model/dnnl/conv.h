// One convolution shape's oneDNN primitives, plus cached reorders between
// the plain NCHW/OIHW layouts Go uses and the layouts oneDNN picks.
#include <oneapi/dnnl/dnnl.h>

// slot is one primitive argument: the user's buffer (its handle set per
// call) and, when the primitive wants another layout, a memory in that
// layout (of size bytes, backed per call by a scratch buffer shared by all
// convolutions) and the reorder between them.
typedef struct {
	dnnl_memory_t user, prim;
	dnnl_primitive_t reorder;
	int input;
	size_t size;
} stk_slot;

typedef struct {
	dnnl_primitive_t fwd, bwd_data, bwd_weights;
	stk_slot s[9]; // fwd x w y | bwd-data dy w dx | bwd-weights x dy dw
} stk_conv;

// stk_conv_create builds the primitives; it returns a dnnl_status_t.
int stk_conv_create(stk_conv *c, int n, int ic, int ih, int iw, int oc, int kh, int kw,
                    int sh, int sw, int pt, int pl, int pb, int pr);
int stk_conv_forward(stk_conv *c, float *x, float *w, float *y);
int stk_conv_backward_data(stk_conv *c, float *dy, float *w, float *dx);
int stk_conv_backward_weights(stk_conv *c, float *x, float *dy, float *dw);
void stk_conv_destroy(stk_conv *c);
