// Every CBLAS / OpenBLAS call of the package lives in this file, behind Swift-typed wrappers.
import CBLAS
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Thin wrappers over OpenBLAS: row-major SGEMM and thread control.
enum BLAS {
  /// Sets the engine's parallelism to `n` threads.
  ///
  /// OpenBLAS itself always runs single-threaded: the engine splits work (samples, output rows, output features)
  /// across its own threads and calls SGEMM from each, so the BLAS worker threads never spin against the
  /// engine's loops on a small machine.
  static func setThreads(_ n: Int) {
    _ = kernelsSelected
    Parallel.threads = max(1, n)
  }

  /// The OpenBLAS kernel family in use, e.g. "SkylakeX".
  static var coreName: String {
    _ = kernelsSelected
    return String(cString: openblas_get_corename())
  }

  /// Runs once before the first BLAS call: see `selectKernels()`.
  private static let kernelsSelected: Void = selectKernels()

  /// Switches a DYNAMIC_ARCH OpenBLAS from a generic fallback to the AVX2 or AVX-512 kernels the CPU has.
  ///
  /// OpenBLAS picks kernels by CPU model number; on a CPU newer than the library (Debian 12's 0.3.21 does not know
  /// Emerald Rapids, model 207) it falls back to "Prescott" SSE3 kernels, 2-4x slower. Unless the user chose
  /// with OPENBLAS_CORETYPE, we choose from the CPU's feature flags and re-run OpenBLAS's dynamic dispatch.
  private static func selectKernels() {
    defer { openblas_set_num_threads(1) }
    #if os(Linux)
      guard getenv("OPENBLAS_CORETYPE") == nil else { return }
      let fallbacks: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "katmai", "coppermine", "northwood",
        "banias", "unknown", "sandybridge",
      ]
      let current = String(cString: openblas_get_corename()).lowercased()
      guard fallbacks.contains(current) else { return }
      guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
      else { return }
      let flags = Set(flagsLine.split(separator: " ").map(String.init))
      let target: String
      if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) {
        target = "SkylakeX"
      } else if flags.isSuperset(of: ["avx2", "fma"]) {
        target = "Haswell"
      } else {
        return
      }
      guard target.lowercased() != current, let library = dlopen(nil, RTLD_NOW),
        let quit = dlsym(library, "gotoblas_dynamic_quit"), let initialize = dlsym(library, "gotoblas_dynamic_init")
      else { return }
      typealias Hook = @convention(c) () -> Void
      setenv("OPENBLAS_CORETYPE", target, 1)
      unsafeBitCast(quit, to: Hook.self)()
      unsafeBitCast(initialize, to: Hook.self)()
    #endif
  }

  /// C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, all row-major.
  ///
  /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before transposition).
  @inline(__always)
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = kernelsSelected
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y (m) = alpha * A (m, n) * x (n) + beta * y, A row-major with row stride `lda`.
  ///
  /// For a single sample this streams the weights once, where SGEMM would first copy them into packed panels.
  @inline(__always)
  static func gemv(
    m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
    beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    _ = kernelsSelected
    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
  }
}
