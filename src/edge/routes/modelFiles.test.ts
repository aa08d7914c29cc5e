import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ModelListEntry, Problem } from '../../shared/contract'
import { sha256Hex } from '../crypto'
import { API_KEY, seedApiKey, standin } from '../test/fixtures'

beforeAll(() => seedApiKey())

const get = (url: string, headers: Record<string, string> = {}) =>
  SELF.fetch(new URL(url, 'https://edge.test'), {
    headers: { Authorization: `Bearer ${API_KEY}`, ...headers },
  })

const graphOf = async (id: string) => {
  const response = await get('/v1/models?labels=false')
  const { models } = await response.json<{ models: ModelListEntry[] }>()
  return models.find((m) => m.id === id)?.onnx as ModelListEntry['onnx']
}

describe('GET /v1/model-files/{sha256}', () => {
  it("streams a model's ONNX graph from a worker, immutable and tagged with its sha256", async () => {
    const graph = await graphOf('test-imagenet')
    const before = (await standin('main')).calls.files
    const response = await get(graph.url)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(response.headers.get('Cache-Control')).toBe('private, max-age=31536000, immutable')
    expect(response.headers.get('ETag')).toBe(`"${graph.sha256}"`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect(bytes.length).toBe(graph.bytes)
    expect(await sha256Hex(bytes)).toBe(graph.sha256)
    expect((await standin('main')).calls.files).toBe(before + 1)
  })

  it('answers 304 without asking a worker when the client already has the file', async () => {
    const graph = await graphOf('test-cnn')
    const before = (await standin('main')).calls.files
    for (const tag of [`"${graph.sha256}"`, `W/"${graph.sha256}"`, `"other", "${graph.sha256}"`, '*']) {
      const response = await get(graph.url, { 'If-None-Match': tag })
      expect(response.status, tag).toBe(304)
      expect(response.headers.get('ETag')).toBe(`"${graph.sha256}"`)
      expect(response.headers.get('Cache-Control')).toMatch(/immutable/)
    }
    expect((await standin('main')).calls.files).toBe(before)
  })

  it('answers 404 for a sha256 no model lists and 400 for anything else, as problem+json', async () => {
    const unknown = await get(`/v1/model-files/${'a'.repeat(64)}`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json<Problem>()).toMatchObject({ code: 'not_found', requestId: expect.any(String) })
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'model.onnx']) {
      const response = await get(`/v1/model-files/${bad}`)
      expect(response.status, bad).toBe(400)
      expect(response.headers.get('Content-Type')).toBe('application/problem+json')
    }
  })

  it('needs the API key', async () => {
    const graph = await graphOf('test-cnn')
    const response = await SELF.fetch(graph.url)
    expect(response.status).toBe(401)
  })
})
