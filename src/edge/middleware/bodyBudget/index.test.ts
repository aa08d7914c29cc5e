import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { EdgeContext } from '../../context'
import { renderProblem } from '../../problem/problem'
import { services } from '../services'
import { bodyBudget } from '.'

/** A route that holds its request until `release()` is called, as an explain holds its image. */
function holdingApp() {
  const waiting: (() => void)[] = []
  const app = new Hono<EdgeContext>()
    .use(services())
    .use(bodyBudget())
    .post('/', async (c) => {
      await c.req.arrayBuffer()
      await new Promise<void>((done) => waiting.push(done))
      return c.text('ok')
    })
    .onError(renderProblem)
  const release = () => {
    for (const done of waiting.splice(0)) done()
  }
  return { app, release, waiting: () => waiting.length }
}

const budget = { ...env, MAX_BUFFERED_BODY_BYTES: '2500', MAX_BODY_BYTES: '2000' }
const post = (app: Hono<EdgeContext>, bytes: number, { chunked = false, bindings = budget } = {}) => {
  // As clients send them: a known length declared, a stream chunked.
  const init = chunked
    ? { body: new Blob([new Uint8Array(bytes)]).stream(), duplex: 'half' }
    : { body: new Uint8Array(bytes), headers: { 'Content-Length': String(bytes) } }
  return app.request('/', { method: 'POST', ...init } as RequestInit, bindings)
}
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((done) => setTimeout(done, 5))
}

describe('bodyBudget', () => {
  it('refuses a body that would take the isolate over its budget with 503 and Retry-After, unread', async () => {
    const { app, release, waiting } = holdingApp()
    const first = post(app, 2000)
    await until(() => waiting() === 1)
    const refused = await post(app, 1000)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('Retry-After')).toBe('1')
    expect(await refused.json()).toMatchObject({ code: 'edge_busy' })
    const small = post(app, 400) // still fits: 2000 + 400 <= 2500
    await until(() => waiting() === 2)
    release()
    expect([(await first).status, (await small).status]).toEqual([200, 200])
  })

  it('gives the budget back when a request ends, and counts a chunked body at the body limit', async () => {
    const { app, release, waiting } = holdingApp()
    const chunked = post(app, 100, { chunked: true }) // reserved at MAX_BODY_BYTES (2000): its length is unknown
    await until(() => waiting() === 1)
    expect((await post(app, 600)).status).toBe(503)
    release()
    expect((await chunked).status).toBe(200)
    const after = post(app, 2000)
    await until(() => waiting() === 1)
    release()
    expect((await after).status).toBe(200)
  })

  it('always admits a lone request, whatever its size', async () => {
    const { app, release, waiting } = holdingApp()
    const big = post(app, 2000, { bindings: { ...budget, MAX_BUFFERED_BODY_BYTES: '1000' } })
    await until(() => waiting() === 1)
    release()
    expect((await big).status).toBe(200)
  })
})
