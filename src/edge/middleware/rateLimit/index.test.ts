import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { EdgeContext } from '../../context'
import { renderProblem } from '../../problem/problem'
import { services } from '../services'
import { rateLimit } from '.'

const appFor = (keyId: string) =>
  new Hono<EdgeContext>()
    .use(services())
    .use(async (c, next) => {
      c.set('apiKeyId', keyId)
      await next()
    })
    .use(rateLimit())
    .get('/', (c) => c.text('ok'))
    .onError(renderProblem)

describe('rateLimit', () => {
  it('answers 429 with Retry-After once a key has used its minute, per key', async () => {
    const limited = { ...env, RATE_LIMIT_PER_MINUTE: '3' }
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await appFor('key-a').request('/', {}, limited)).status)
    expect(statuses).toEqual([200, 200, 200, 429])
    const rejected = await appFor('key-a').request('/', {}, limited)
    expect(rejected.headers.get('Retry-After')).toBe('20')
    expect(await rejected.json()).toMatchObject({ code: 'rate_limited', status: 429 })
    expect((await appFor('key-b').request('/', {}, limited)).status).toBe(200)
  })
})

describe('RateLimiter', () => {
  it('refills tokens over time', async () => {
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName('refill'))
    const t0 = 1_000_000
    for (let i = 0; i < 60; i++) expect((await limiter.take(60, t0)).allowed).toBe(true)
    expect(await limiter.take(60, t0)).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 })
    expect((await limiter.take(60, t0 + 1000)).allowed).toBe(true)
  })
})
