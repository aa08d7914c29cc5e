import { describe, expect, it } from 'vitest'
import { type Explanation, explainResult } from './results'
import type { ExplainResponse } from './types'

const pngBase64 = btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 1, 2, 3))

const response: ExplainResponse = {
  id: 'e1',
  model: { id: 'm', version: '1.0.0' },
  image: { sha256: 'ab', width: 4, height: 4 },
  crop: { x: 0, y: 0, width: 4, height: 4 },
  predictions: [{ classId: 3, label: 'cat', score: 0.9 }],
  explanations: [
    {
      classId: 3,
      label: 'cat',
      width: 2,
      height: 2,
      map: pngBase64,
      overlay: pngBase64,
      overlayType: 'image/webp',
    },
    { classId: 5, label: 'dog', width: 2, height: 2, map: pngBase64 },
  ],
  cached: false,
  timings: { totalMs: 1, inferenceMs: 1 },
}

describe('explainResult', () => {
  it('decodes maps and overlays to bytes and Blobs of their types', async () => {
    const [cat, dog] = explainResult(response).explanations as [Explanation, Explanation]
    expect([...cat.mapBytes()]).toEqual([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])
    expect(cat.mapBlob().type).toBe('image/png')
    expect(cat.overlayBlob()?.type).toBe('image/webp')
    expect(new Uint8Array(await cat.mapBlob().arrayBuffer())).toEqual(cat.overlayBytes())
    expect(dog.overlayBytes()).toBeUndefined()
    expect(dog.overlayBlob()).toBeUndefined()
  })

  it('serialises as exactly the API answer', () => {
    expect(JSON.parse(JSON.stringify(explainResult(response)))).toEqual(response)
  })
})
