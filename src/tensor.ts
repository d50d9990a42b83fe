// Tensors in onnxruntime's shape: new Tensor(type, data, dims).
import { native } from './native.js';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'int8' | 'uint8' | 'int32' | 'int4' | 'uint4';
export type TypedArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array;

const arrayTypes: Record<DType, { ctor: Function; name: string }> = {
  float32: { ctor: Float32Array, name: 'Float32Array' },
  float16: { ctor: Uint16Array, name: 'Uint16Array' },   // IEEE half bits
  bfloat16: { ctor: Uint16Array, name: 'Uint16Array' },  // bfloat16 bits
  int8: { ctor: Int8Array, name: 'Int8Array' },
  uint8: { ctor: Uint8Array, name: 'Uint8Array' },
  int32: { ctor: Int32Array, name: 'Int32Array' },
  int4: { ctor: Uint8Array, name: 'Uint8Array' },        // two per byte, element 2j in the low nibble
  uint4: { ctor: Uint8Array, name: 'Uint8Array' },
};

/** Number of elements of a shape, checking that every dimension is a non-negative integer. */
export function shapeSize(dims: readonly number[], what = 'dims'): number {
  if (!Array.isArray(dims)) throw new TypeError(`${what} must be an array of integers`);
  let n = 1;
  for (const [i, d] of dims.entries()) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${what}[${i}] must be a non-negative integer, got ${String(d)}`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} describe too many elements`);
  return n;
}

export class Tensor {
  readonly type: DType;
  readonly data: TypedArray;
  readonly dims: readonly number[];
  /** Number of logical elements (int4: nibbles, not bytes). */
  readonly size: number;

  constructor(type: DType, data: TypedArray, dims?: readonly number[]) {
    const spec = Object.hasOwn(arrayTypes, type) ? arrayTypes[type] : undefined;
    if (!spec) throw new TypeError(`type must be one of ${Object.keys(arrayTypes).join(', ')}; got ${String(type)}`);
    if (!(data instanceof (spec.ctor as any))) {
      throw new TypeError(`data for a ${type} tensor must be a ${spec.name}, got ${describe(data)}`);
    }
    const shape = dims === undefined ? [packedLength(type, data.length, true)] : [...dims];
    const size = shapeSize(shape, 'dims');
    const need = packedLength(type, size, false);
    if (data.length !== need) {
      throw new RangeError(`data has ${data.length} elements but dims [${shape.join(', ')}] of ${type} need ${need}`);
    }
    this.type = type;
    this.data = data;
    this.dims = Object.freeze(shape);
    this.size = size;
  }
}

type ArrayFor<T extends DType> = T extends 'float32' ? Float32Array : T extends 'int32' ? Int32Array :
  T extends 'int8' ? Int8Array : T extends 'float16' | 'bfloat16' ? Uint16Array : Uint8Array;

// Below this many bytes a native call costs more than split cache lines do.
const ALIGN_FROM_BYTES = 4096;

/**
 * A zero-filled backing array for n elements of `type` whose data starts on a 64-byte cache
 * line (plain large typed arrays start 16 bytes past one, so every row a kernel reads or
 * writes in 64-byte pieces straddles two lines: AMX GEMMs run up to ~25 % slower on them).
 */
export function allocArray<T extends DType>(type: T, n: number): ArrayFor<T> {
  const ctor = arrayTypes[type].ctor as unknown as { new (n: number): TypedArray; BYTES_PER_ELEMENT: number };
  if (n * ctor.BYTES_PER_ELEMENT < ALIGN_FROM_BYTES) return new ctor(n) as ArrayFor<T>;
  // The addon takes the element type by its array's name: Float32Array -> 'float32'.
  return native._alignedArray(arrayTypes[type].name.slice(0, -'Array'.length).toLowerCase() as any, n) as ArrayFor<T>;
}

/**
 * A zero-filled tensor whose data starts on a cache line: the buffer to allocate for inputs
 * and `opts.out` tensors that are reused (lowbit's own outputs are allocated this way).
 */
export function zeros(type: DType, dims: readonly number[]): Tensor {
  if (!Object.hasOwn(arrayTypes, type)) {
    throw new TypeError(`type must be one of ${Object.keys(arrayTypes).join(', ')}; got ${String(type)}`);
  }
  const size = shapeSize(dims, 'dims');
  return new Tensor(type, allocArray(type, packedLength(type, size, false)), dims);
}

// Elements of the backing array for `size` logical elements (int4 packs two per byte), or
// the reverse when `fromArray`.
function packedLength(type: DType, n: number, fromArray: boolean): number {
  if (type !== 'int4' && type !== 'uint4') return n;
  return fromArray ? n * 2 : Math.ceil(n / 2);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Checks that t is a Tensor of one of the given types and rank; names the parameter. */
export function expectTensor(t: unknown, name: string, types: readonly DType[], rank?: number): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${name} must be a Tensor, got ${describe(t)}`);
  if (!types.includes(t.type)) throw new TypeError(`${name} must be ${types.join(' or ')}, got ${t.type}`);
  if (rank !== undefined && t.dims.length !== rank) {
    throw new RangeError(`${name} must have ${rank} dimensions, got [${t.dims.join(', ')}]`);
  }
  if (t.data.length !== packedLength(t.type, t.size, false)) {
    throw new TypeError(`${name}'s buffer was detached or shrunk after the tensor was made`);
  }
  return t;
}
