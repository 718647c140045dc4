/**
 * The gemm micro-kernel loop in WebAssembly SIMD (f64x2 and f32x4), emitted as bytes by a few lines of encoder so
 * the build needs no WebAssembly toolchain. It is the inner part of kernels.ts's packed gemm: given
 * packed A panels (4 rows × kc) and packed B panels (kc × 4 columns) in linear memory, it adds every
 * 4×4 tile product into a padded C buffer. Packing, blocking and edge handling stay in TypeScript.
 *
 * Per step of k the kernel loads B's 4 values as two f64x2 vectors, splats each of A's 4 values, and
 * does 8 vector multiply-adds into 8 vector accumulators: the scalar JavaScript micro-kernel's 16
 * multiply-adds in half the instructions. In float32 the tile is 4×8 (two f32x4 per row), 32
 * multiply-adds for the same loads. There is no fused
 * multiply-add, so float64 results equal the scalar kernel's exactly (same order of summation); float32
 * products and sums round to float32, where the scalar kernel accumulates in float64.
 */

/** Unsigned LEB128. */
function u32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
function s32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((ch) => [ch.charCodeAt(0)]));

const I32 = 0x7f;
const V128 = 0x7b;

// The few instructions the kernel uses (WebAssembly core spec §5.4 and the SIMD proposal's opcode table).
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  get: (i: number) => [0x20, ...u32(i)],
  set: (i: number) => [0x21, ...u32(i)],
  tee: (i: number) => [0x22, ...u32(i)],
  i32: (n: number) => [0x41, ...s32(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  ltU: [0x49],
  simd: (code: number, ...imm: number[]) => [0xfd, ...u32(code), ...imm],
};
/**
 * memarg: an alignment hint (log2 bytes; it must not exceed the access's natural alignment) and a
 * constant byte offset. Panels are 8-byte aligned (f64) or 4-byte aligned (f32), never assumed 16.
 */
const mem = (align: number, offset: number) => [align, ...u32(offset)];
const v128Load = (offset: number) => op.simd(0x00, ...mem(2, offset));
const v128Store = (offset: number) => op.simd(0x0b, ...mem(2, offset));
const load64Splat = (offset: number) => op.simd(0x0a, ...mem(3, offset));
const load32Splat = (offset: number) => op.simd(0x09, ...mem(2, offset));
const f64x2Add = op.simd(0xf0);
const f64x2Mul = op.simd(0xf2);
const f32x4Add = op.simd(0xe4);
const f32x4Mul = op.simd(0xe6);
const v128Zero = op.simd(0x0c, ...new Array(16).fill(0));

/**
 * tiles(ap, bp, cp, mBlocks, nBlocks, kc, ldc): for jb < nBlocks, ib < mBlocks,
 *   C[cp + 4·ib·ldc + 32·jb, 4×nr with row stride ldc bytes] += Apanel(ib) · Bpanel(jb)
 * where a tile row is 32 bytes: nr = 4 float64 (two f64x2) or 8 float32 (two f32x4). A panel ib starts
 * at ap + 4w·kc·ib (w the element size) and B panel jb at bp + 32·kc·jb. All addresses in bytes;
 * mBlocks, nBlocks, kc ≥ 1.
 */
function tilesBody(f32: boolean): number[] {
  const w = f32 ? 4 : 8;
  const aStep = 4 * w; // bytes per step of k in an A panel (4 rows)
  const bStep = 32; // bytes per step of k in a B panel (one tile row)
  const perRow = 2; // vectors per tile row
  const splat = f32 ? load32Splat : load64Splat;
  const vAdd = f32 ? f32x4Add : f64x2Add;
  const vMul = f32 ? f32x4Mul : f64x2Mul;
  const [ap, bp, cp, mb, nb, kc, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const [jb, ib, a, b, p, c] = [7, 8, 9, 10, 11, 12];
  const acc = [13, 14, 15, 16, 17, 18, 19, 20]; // acc[2r + h]: row r, vector h of the row
  const [s, b01, b23] = [21, 22, 23];
  const locals = vec([[...u32(6), I32], [...u32(11), V128]]);

  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((x) => code.push(...x));

  emit(op.i32(0), op.set(jb));
  emit(op.loop); // over column panels
  emit(op.i32(0), op.set(ib));
  emit(op.loop); // over row panels
  // a = ap + ib·kc·aStep, b = bp + jb·kc·bStep
  emit(op.get(ap), op.get(ib), op.get(kc), op.mul, op.i32(aStep), op.mul, op.add, op.set(a));
  emit(op.get(bp), op.get(jb), op.get(kc), op.mul, op.i32(bStep), op.mul, op.add, op.set(b));
  for (let v = 0; v < 4 * perRow; v++) emit(v128Zero, op.set(acc[v]));
  emit(op.get(kc), op.set(p));
  emit(op.loop); // over k
  emit(op.get(b), v128Load(0), op.set(b01));
  emit(op.get(b), v128Load(16), op.set(b23));
  const bv = [b01, b23];
  for (let r = 0; r < 4; r++) {
    emit(op.get(a), splat(w * r), op.set(s));
    for (let h = 0; h < perRow; h++) {
      const x = acc[perRow * r + h];
      emit(op.get(x), op.get(s), op.get(bv[h]), vMul, vAdd, op.set(x));
    }
  }
  emit(op.get(a), op.i32(aStep), op.add, op.set(a));
  emit(op.get(b), op.i32(bStep), op.add, op.set(b));
  emit(op.get(p), op.i32(1), op.sub, op.tee(p), op.brIf(0));
  emit(op.end);
  // c = cp + ib·4·ldc + jb·32; add the four rows in.
  emit(op.get(cp), op.get(ib), op.get(ldc), op.mul, op.i32(4), op.mul, op.add, op.get(jb), op.i32(bStep), op.mul, op.add, op.set(c));
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < perRow; h++) {
      emit(op.get(c), op.get(c), v128Load(16 * h), op.get(acc[perRow * r + h]), vAdd, v128Store(16 * h));
    }
    if (r < 3) emit(op.get(c), op.get(ldc), op.add, op.set(c));
  }
  emit(op.get(ib), op.i32(1), op.add, op.tee(ib), op.get(mb), op.ltU, op.brIf(0));
  emit(op.end);
  emit(op.get(jb), op.i32(1), op.add, op.tee(jb), op.get(nb), op.ltU, op.brIf(0));
  emit(op.end);
  emit(op.end);
  const body = [...locals, ...code];
  return [...u32(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(7).fill([I32])), ...vec([])];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...u32(1)]])),
    ...section(3, vec([u32(0), u32(0)])),
    ...section(7, vec([[...name("tiles"), 0x00, ...u32(0)], [...name("tiles32"), 0x00, ...u32(1)]])),
    ...section(10, vec([tilesBody(false), tilesBody(true)])),
  ];
  return new Uint8Array(bytes);
}

/** The instantiated kernel and its memory. */
export interface SimdTiles {
  readonly memory: WebAssembly.Memory;
  /** float64 panels and C. */
  tiles(ap: number, bp: number, cp: number, mBlocks: number, nBlocks: number, kc: number, ldc: number): void;
  /** float32 panels and C: products and sums in float32, as TF.js and CPU BLAS sgemm do. */
  tiles32(ap: number, bp: number, cp: number, mBlocks: number, nBlocks: number, kc: number, ldc: number): void;
}

/**
 * Compiles the kernel, or returns null where WebAssembly SIMD is unavailable (old runtimes) so the caller
 * keeps the JavaScript kernel. The module is well under 4 KB, so synchronous compilation is allowed on a
 * browser's main thread too.
 */
export function loadSimdTiles(): SimdTiles | null {
  try {
    if (typeof WebAssembly !== "object") return null;
    const bytes = moduleBytes();
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const { tiles, tiles32 } = instance.exports as unknown as Pick<SimdTiles, "tiles" | "tiles32">;
    return { memory, tiles, tiles32 };
  } catch {
    return null;
  }
}
