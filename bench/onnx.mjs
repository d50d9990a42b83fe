// One-node ONNX models for comparing with onnxruntime-node on the same work, written with a
// minimal protobuf encoder (only the fields these models need; field numbers from onnx.proto).

function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Uint8Array.from(out);
}
const cat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const utf8 = (s) => new TextEncoder().encode(s);
const int = (field, v) => cat([varint(field << 3), varint(v)]);
const bytes = (field, b) => cat([varint((field << 3) | 2), varint(b.length), b]);
const str = (field, s) => bytes(field, utf8(s));

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };

// TensorProto: dims 1, data_type 2, name 8, raw_data 9.
function initializer(name, dataType, dims, data) {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return cat([...dims.map((d) => int(1, d)), int(2, dataType), str(8, name), bytes(9, raw)]);
}
// ValueInfoProto: name 1, type 2 -> TypeProto.tensor_type 1 -> elem_type 1, shape 2 -> dim 1 ->
// dim_value 1 | dim_param 2.
function valueInfo(name, elemType, dims) {
  const shape = cat(dims.map((d) => bytes(1, typeof d === 'string' ? str(2, d) : int(1, d))));
  return cat([str(1, name), bytes(2, bytes(1, cat([int(1, elemType), bytes(2, shape)])))]);
}
// NodeProto: input 1, output 2, op_type 4, attribute 5 (name 1, i 3, type 20 = INT 2), domain 7.
function node(op, inputs, outputs, attrs = {}, domain = '') {
  return cat([
    ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(4, op),
    ...Object.entries(attrs).map(([k, v]) => bytes(5, cat([str(1, k), int(3, v), int(20, 2)]))),
    ...(domain ? [str(7, domain)] : []),
  ]);
}
// GraphProto: node 1, name 2, initializer 5, input 11, output 12. ModelProto: ir_version 1,
// producer_name 2, graph 7, opset_import 8 (domain 1, version 2).
function model({ nodes, initializers, inputs, outputs }) {
  const graph = cat([...nodes.map((n) => bytes(1, n)), str(2, 'g'), ...initializers.map((t) => bytes(5, t)),
    ...inputs.map((i) => bytes(11, i)), ...outputs.map((o) => bytes(12, o))]);
  return cat([int(1, 8), str(2, 'lowbit-bench'), bytes(7, graph),
    bytes(8, cat([str(1, ''), int(2, 17)])), bytes(8, cat([str(1, 'com.microsoft'), int(2, 1)]))]);
}

/** Y = A · B, A float [M, K], B float [K, N] initializer. */
export function matMulModel(K, N, B) {
  return model({ nodes: [node('MatMul', ['A', 'B'], ['Y'])], initializers: [initializer('B', DT.FLOAT, [K, N], B)],
    inputs: [valueInfo('A', DT.FLOAT, ['M', K])], outputs: [valueInfo('Y', DT.FLOAT, ['M', N])] });
}
/** Y = MatMulInteger(A uint8 [M, K], B int8 [K, N]) -> int32. */
export function matMulIntegerModel(K, N, B) {
  return model({ nodes: [node('MatMulInteger', ['A', 'B'], ['Y'])], initializers: [initializer('B', DT.INT8, [K, N], B)],
    inputs: [valueInfo('A', DT.UINT8, ['M', K])], outputs: [valueInfo('Y', DT.INT32, ['M', N])] });
}
/** com.microsoft DynamicQuantizeMatMul: A float, B int8 [K, N] with per-column scales. */
export function dynamicQuantizeMatMulModel(K, N, B, scales) {
  return model({
    nodes: [node('DynamicQuantizeMatMul', ['A', 'B', 'b_scale'], ['Y'], {}, 'com.microsoft')],
    initializers: [initializer('B', DT.INT8, [K, N], B), initializer('b_scale', DT.FLOAT, [N], scales)],
    inputs: [valueInfo('A', DT.FLOAT, ['M', K])], outputs: [valueInfo('Y', DT.FLOAT, ['M', N])],
  });
}
/** com.microsoft MatMulNBits: lowbit's int4 bytes and float32 scales as they are (same layout). */
export function matMulNBitsModel(K, N, blockSize, data, scales, accuracyLevel) {
  const blocks = Math.ceil(K / blockSize);
  return model({
    nodes: [node('MatMulNBits', ['A', 'B', 'scales'], ['Y'], { K, N, bits: 4, block_size: blockSize, accuracy_level: accuracyLevel }, 'com.microsoft')],
    initializers: [initializer('B', DT.UINT8, [N, blocks, blockSize / 2], data), initializer('scales', DT.FLOAT, [N * blocks], scales)],
    inputs: [valueInfo('A', DT.FLOAT, ['M', K])], outputs: [valueInfo('Y', DT.FLOAT, ['M', N])],
  });
}
