// The serving worker's model input for photos (its own decodeImage: sharp), for the preprocessing parity test.
// stdin: {"files": [paths], "resizeShorter": R, "crop": S, "out": path}; writes float32 [N, 3, S, S] to `out`.
import { readFileSync, writeFileSync } from 'node:fs'
import { decodeImage } from '../../src/gpu-worker/decodeImage'
import type { Manifest } from '../../src/shared/manifest'

const request = JSON.parse(readFileSync(0, 'utf8'))
const preprocessing: Manifest['preprocessing'] = {
  resizeShorter: request.resizeShorter,
  crop: request.crop,
  mean: [0, 0, 0],
  std: [1, 1, 1],
}
const limits = { maxBytes: 1 << 30, maxPixels: 1e9 }
const tensors: Buffer[] = []
for (const file of request.files) {
  const { pixels } = await decodeImage(readFileSync(file), preprocessing, limits)
  tensors.push(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength))
}
writeFileSync(request.out, Buffer.concat(tensors))
