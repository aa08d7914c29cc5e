import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { STATIC_ASSETS } from '../../shared/staticAssets'

describe('operations routes', () => {
  it('answers /healthz with a request id', async () => {
    const response = await SELF.fetch('https://edge.test/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
    expect(response.headers.get('X-Request-Id')).toMatch(/^[\w-]{8,}$/)
  })

  it('echoes a caller-supplied request id', async () => {
    const response = await SELF.fetch('https://edge.test/healthz', {
      headers: { 'X-Request-Id': 'client-abc-123' },
    })
    expect(response.headers.get('X-Request-Id')).toBe('client-abc-123')
  })

  it('answers unknown routes with problem+json carrying the request id', async () => {
    const response = await SELF.fetch('https://edge.test/nope')
    expect(response.status).toBe(404)
    expect(response.headers.get('Content-Type')).toBe('application/problem+json')
    const problem = await response.json<{ status: number; requestId: string; code: string }>()
    expect(problem).toMatchObject({ status: 404, code: 'not_found' })
    expect(problem.requestId).toBe(response.headers.get('X-Request-Id'))
  })

  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const response = await SELF.fetch('https://edge.test/openapi.json')
    const doc = await response.json<{
      openapi: string
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
    }>()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/explain', '/v1/models', '/healthz']))
    expect(Object.keys(doc.paths['/v1/explain']?.post?.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['application/json', 'multipart/form-data', 'image/jpeg']),
    )
    expect(Object.keys(doc.components.schemas.ExplainOptions?.properties ?? {})).toEqual([
      'model',
      'topK',
      'classes',
      'overlay',
      'overlayFormat',
      'overlayMaxSide',
    ])
  })

  it('renders the API reference at /docs from the bundled Scalar script, no CDN', async () => {
    const response = await SELF.fetch('https://edge.test/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/text\/html/)
    const html = await response.text()
    expect(html).toContain('/openapi.json')
    expect(html).toContain(`<script src="${STATIC_ASSETS.scalarBundle}">`)
    expect(html).not.toMatch(/https?:\/\//)
  })
})
