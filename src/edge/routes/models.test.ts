import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Model, ModelListEntry, Problem } from '../../shared/contract'
import { API_KEY, seedApiKey } from '../test/fixtures'

beforeAll(() => seedApiKey())

const get = (url: string, key = API_KEY) =>
  SELF.fetch(new URL(url, 'https://edge.test'), { headers: { Authorization: `Bearer ${key}` } })

const listed = async (query = '') => {
  const response = await get(`/v1/models${query}`)
  expect(response.status).toBe(200)
  return (await response.json<{ models: ModelListEntry[] }>()).models
}

describe('GET /v1/models', () => {
  it('lists each model whole, with its labels as docs/api.md has it, and links to it', async () => {
    for (const query of ['', '?labels=true']) {
      const models = await listed(query)
      expect(models.map((m) => [m.id, m.numClasses, m.labels?.length, m.default, m.labelsUrl])).toEqual([
        ['test-cnn', 10, 10, true, 'https://edge.test/v1/models/test-cnn@1.0.0'],
        ['test-imagenet', 1000, 1000, false, 'https://edge.test/v1/models/test-imagenet@2.0.0'],
      ])
      for (const model of models) {
        expect(Object.keys(model)).toEqual([
          'id',
          'version',
          'family',
          'numClasses',
          'labels',
          'input',
          'mapSize',
          'default',
          'preprocessing',
          'onnx',
          'labelsUrl',
        ])
      }
      expect(models[1]?.labels?.[8]).toBe('hen, rooster')
    }
  })

  it('says how to make the input of each model and where its ONNX graph is, by sha256', async () => {
    const [cnn, imagenet] = await listed()
    expect(cnn?.preprocessing).toEqual({ resizeShorter: 32, crop: 32 })
    expect(imagenet?.preprocessing).toEqual({ resizeShorter: 256, crop: 224 })
    for (const model of [cnn, imagenet]) {
      const { sha256, bytes, url } = model?.onnx ?? {}
      expect(sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(bytes).toBeGreaterThan(0)
      expect(url).toBe(`https://edge.test/v1/model-files/${sha256}`)
    }
  })

  it('leaves the labels out with labels=false, all else as in the full list', async () => {
    const full = await listed()
    const slim = await listed('?labels=false')
    for (const model of slim) expect(model).not.toHaveProperty('labels')
    expect(slim).toEqual(full.map(({ labels: _, ...model }) => model))
  })

  it.each(['labels=yes', 'labels=1', 'labels=False', 'labels=', 'labels=true&labels=false'])(
    'answers 400 bad_options for %s',
    async (query) => {
      const response = await get(`/v1/models?${query}`)
      expect(response.status).toBe(400)
      expect(response.headers.get('Content-Type')).toBe('application/problem+json')
      expect(await response.json<Problem>()).toMatchObject({
        status: 400,
        code: 'bad_options',
        detail: expect.stringMatching(/^labels: /),
        requestId: response.headers.get('X-Request-Id'),
      })
    },
  )

  it('answers 401 without a key', async () => {
    expect((await get('/v1/models', '')).status).toBe(401)
  })
})

describe('GET /v1/models/{id}', () => {
  it('answers the linked model with all its labels, as the list has it', async () => {
    const linked = (await listed()).find((m) => m.id === 'test-imagenet') as ModelListEntry
    const response = await get(linked.labelsUrl)
    expect(response.status).toBe(200)
    const model = await response.json<Model>()
    expect({ ...model, labelsUrl: linked.labelsUrl }).toEqual(linked)
    const { labels } = model
    expect(labels).toHaveLength(1000)
    expect([labels[8], labels[134], labels[282], labels[517]]).toEqual([
      'hen, rooster',
      'crane',
      'tiger cat',
      'crane',
    ])
  })

  it('resolves a bare id as the model option does', async () => {
    const response = await get('/v1/models/test-cnn')
    expect(await response.json<Model>()).toMatchObject({
      id: 'test-cnn',
      version: '1.0.0',
      numClasses: 10,
    })
  })

  it.each(['resnet-9000', 'test-cnn@9.9.9', 'Not A Model'])(
    'answers 404 unknown_model for %s',
    async (id) => {
      const response = await get(`/v1/models/${encodeURIComponent(id)}`)
      expect(response.status).toBe(404)
      expect(response.headers.get('Content-Type')).toBe('application/problem+json')
      expect(await response.json<Problem>()).toMatchObject({
        status: 404,
        code: 'unknown_model',
        detail: expect.stringContaining('available: test-cnn@1.0.0, test-imagenet@2.0.0'),
        requestId: response.headers.get('X-Request-Id'),
      })
    },
  )
})

describe('the OpenAPI document', () => {
  interface Schema {
    $ref?: string
    type?: string
    enum?: string[]
    default?: unknown
    description?: string
    items?: Schema
    properties?: Record<string, Schema>
    required?: string[]
  }
  interface Operation {
    description?: string
    parameters?: { name: string; in: string; required?: boolean; schema: Schema }[]
    responses: Record<string, { content?: Record<string, { schema: Schema }> }>
  }
  const openapi = async () =>
    (await SELF.fetch('https://edge.test/openapi.json')).json<{
      paths: Record<string, Record<string, Operation>>
      components: { schemas: Record<string, Schema> }
    }>()

  it('has the list with its labels query parameter, and the model route', async () => {
    const doc = await openapi()
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/models', '/v1/models/{id}']))
    const list = doc.paths['/v1/models']?.get
    expect(list?.description).toMatch(/omitted only when asked with `labels=false`/)
    expect(list?.parameters).toEqual([
      expect.objectContaining({
        name: 'labels',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'string', enum: ['true', 'false'], default: 'true' }),
      }),
    ])
    expect(Object.keys(list?.responses ?? {})).toContain('400')
  })

  it('describes list entries as the whole Model with labels optional, plus labelsUrl', async () => {
    const doc = await openapi()
    const { Model, ModelList, ModelListEntry } = doc.components.schemas
    expect(ModelList?.properties?.models?.items).toEqual({ $ref: '#/components/schemas/ModelListEntry' })
    expect(Object.keys(ModelListEntry?.properties ?? {})).toEqual([
      ...Object.keys(Model?.properties ?? {}),
      'labelsUrl',
    ])
    expect(Model?.required).toContain('labels')
    expect(ModelListEntry?.required).toEqual(
      expect.arrayContaining((Model?.required ?? []).filter((name) => name !== 'labels')),
    )
    expect(ModelListEntry?.required).not.toContain('labels')
    expect(ModelListEntry?.required).toContain('labelsUrl')
    expect(ModelListEntry?.properties?.labels?.description).toMatch(/unless .*`labels=false`/)
  })
})
