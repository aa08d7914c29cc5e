import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

describe('the OpenAPI document', () => {
  it('lists the upload and job routes and the job webhook, from the same schemas that validate them', async () => {
    const doc = await (await SELF.fetch('https://edge.test/openapi.json')).json<{
      paths: Record<string, Record<string, unknown>>
      webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
    }>()
    expect(Object.keys(doc.paths['/v1/uploads'] ?? {})).toEqual(['post'])
    expect(Object.keys(doc.paths['/uploads/{uploadId}'] ?? {})).toEqual(['put'])
    expect(Object.keys(doc.paths['/v1/jobs'] ?? {})).toEqual(['post'])
    expect(Object.keys(doc.paths['/v1/jobs/{id}'] ?? {}).sort()).toEqual(['delete', 'get'])
    expect(Object.keys(doc.paths['/v1/jobs/{id}/results'] ?? {})).toEqual(['get'])
    expect(Object.keys(doc.components.schemas.CreateJobRequest?.properties ?? {})).toEqual([
      'model',
      'items',
      'webhook',
      'metadata',
    ])
    // Hono mounts sub-app webhooks like paths, so the name gains a leading slash.
    const [event] = Object.values(doc.webhooks)
    expect(event?.post.requestBody.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/JobEvent',
    })
  })
})
