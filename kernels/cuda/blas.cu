// GEMMs through cuBLAS, loaded at run time with dlopen: the pcbench binary then starts (and
// runs on CPU) on machines without the CUDA libraries, and --backend cuda says what is missing.
#include <cublas_v2.h>
#include <dlfcn.h>

#include "kernels/cuda/kcuda_internal.cuh"

typedef cublasStatus_t (*create_fn)(cublasHandle_t *);
typedef cublasStatus_t (*set_stream_fn)(cublasHandle_t, cudaStream_t);
typedef cublasStatus_t (*set_math_fn)(cublasHandle_t, cublasMath_t);
typedef cublasStatus_t (*gemm_ex_fn)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *,
                                     const void *, cudaDataType, int, const void *, cudaDataType, int, const void *,
                                     void *, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);

static cublasHandle_t g_handle;
static gemm_ex_fn g_gemm;

int kcuda_blas_init(void) {
    static const char *names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so",
                                  "/usr/local/cuda/lib64/libcublas.so"};
    void *lib = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof *names && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) return kcuda_fail("cuda: cuBLAS not found (libcublas.so.13/.12; add its folder to LD_LIBRARY_PATH)");
    create_fn create = (create_fn)dlsym(lib, "cublasCreate_v2");
    set_stream_fn set_stream = (set_stream_fn)dlsym(lib, "cublasSetStream_v2");
    set_math_fn set_math = (set_math_fn)dlsym(lib, "cublasSetMathMode");
    g_gemm = (gemm_ex_fn)dlsym(lib, "cublasGemmEx");
    if (!create || !set_stream || !set_math || !g_gemm)
        return kcuda_fail("cuda: cuBLAS lacks cublasGemmEx/cublasCreate_v2");
    if (create(&g_handle) != CUBLAS_STATUS_SUCCESS) return kcuda_fail("cuda: cublasCreate failed");
    set_stream(g_handle, kcuda_stream());
    set_math(g_handle, CUBLAS_DEFAULT_MATH);
    return 0;
}

extern "C" int kcuda_gemm_bf16(float *d_y, const bf16_t *d_x, const bf16_t *d_w, int n, int d_in, int d_out) {
    // Column-major view: y^T [d_out, n] = W [d_out, d_in] (stored as W^T col-major) x^T [d_in, n].
    const float one = 1.0f, zero = 0.0f;
    cublasStatus_t s =
        g_gemm(g_handle, CUBLAS_OP_T, CUBLAS_OP_N, d_out, n, d_in, &one, d_w, CUDA_R_16BF, d_in, d_x, CUDA_R_16BF, d_in,
               &zero, d_y, CUDA_R_32F, d_out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (s != CUBLAS_STATUS_SUCCESS)
        return kcuda_fail("cuda: cublasGemmEx [%d x %d] x [%d x %d]^T failed (status %d)", n, d_in, d_out, d_in,
                          (int)s);
    return 0;
}
