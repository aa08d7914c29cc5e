import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { EdgeContext } from '../../context'
import { renderProblem } from '../../problem/problem'
import { bodyLimit } from '.'

const app = new Hono<EdgeContext>()
  .use(bodyLimit())
  .post('/', async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)))
  .onError(renderProblem)

const limited = { ...env, MAX_BODY_BYTES: '1000' }

/** A chunked body (no Content-Length) that counts how much of it was pulled. */
function chunkedBody(chunks: number, chunkSize: number) {
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close()
      pulled++
      controller.enqueue(new Uint8Array(chunkSize))
    },
  })
  return { stream, pulled: () => pulled }
}

describe('bodyLimit', () => {
  it('passes bodies up to the limit', async () => {
    const response = await app.request('/', { method: 'POST', body: new Uint8Array(1000) }, limited)
    expect(await response.text()).toBe('1000')
  })

  it('rejects by Content-Length without reading the body', async () => {
    const response = await app.request('/', { method: 'POST', body: new Uint8Array(1001) }, limited)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ code: 'payload_too_large', status: 413 })
  })

  it('stops a chunked upload at the limit instead of buffering it whole', async () => {
    const body = chunkedBody(100, 400)
    const request = new Request('http://edge.test/', {
      method: 'POST',
      body: body.stream,
      duplex: 'half',
    } as RequestInit)
    const response = await app.request(request, undefined, limited)
    expect(response.status).toBe(413)
    expect(body.pulled()).toBeLessThan(10)
  })
})
