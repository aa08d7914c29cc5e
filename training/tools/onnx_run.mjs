// Runs an ONNX graph with onnxruntime-node (there is no Python onnxruntime here) for the export parity and
// committed-pack tests. Feeds travel as raw little-endian files, so a whole test split fits in one call.
// stdin: {"model": path, "feeds": {name: {"type": "float32"|"int64", "dims": [...], "file": path}}, "outputs"?: [...]}
// stdout: {name: {"dims": [...], "data": [...]}} for every requested output (default: all).
import { readFileSync } from 'node:fs'
import ort from 'onnxruntime-node'

const request = JSON.parse(readFileSync(0, 'utf8'))
const session = await ort.InferenceSession.create(request.model)
const feeds = {}
for (const [name, { type, dims, file }] of Object.entries(request.feeds)) {
  const bytes = new Uint8Array(readFileSync(file)).buffer // a copy: typed arrays need an aligned offset
  feeds[name] = new ort.Tensor(type, type === 'int64' ? new BigInt64Array(bytes) : new Float32Array(bytes), dims)
}
const outputs = await session.run(feeds, request.outputs ?? session.outputNames)
const result = {}
for (const [name, tensor] of Object.entries(outputs)) {
  result[name] = { dims: tensor.dims, data: Array.from(tensor.data, Number) }
}
process.stdout.write(JSON.stringify(result))
