// Runs an ONNX graph with onnxruntime-node (there is no Python onnxruntime here) for the export parity tests.
// stdin: {"model": path, "feeds": {name: {"type": "float32"|"int64", "dims": [...], "data": [...]}}}
// stdout: {name: {"dims": [...], "data": [...]}} for every output.
import { readFileSync } from 'node:fs'
import ort from 'onnxruntime-node'

const request = JSON.parse(readFileSync(0, 'utf8'))
const session = await ort.InferenceSession.create(request.model)
const feeds = {}
for (const [name, { type, dims, data }] of Object.entries(request.feeds)) {
  const values = type === 'int64' ? BigInt64Array.from(data.map(BigInt)) : Float32Array.from(data)
  feeds[name] = new ort.Tensor(type, values, dims)
}
const outputs = await session.run(feeds)
const result = {}
for (const [name, tensor] of Object.entries(outputs)) {
  result[name] = { dims: tensor.dims, data: Array.from(tensor.data, Number) }
}
process.stdout.write(JSON.stringify(result))
