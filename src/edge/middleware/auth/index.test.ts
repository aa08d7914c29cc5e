import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import type { EdgeContext } from '../../context'
import { sha256Hex } from '../../crypto'
import { renderProblem } from '../../problem/problem'
import { API_KEY, seedApiKey } from '../../test/fixtures'
import { services } from '../services'
import { apiKeyAuth } from '.'

const app = new Hono<EdgeContext>()
  .use(services())
  .use(apiKeyAuth())
  .get('/', (c) => c.text(c.get('apiKeyId')))
  .onError(renderProblem)

beforeAll(() => seedApiKey())

describe('apiKeyAuth', () => {
  it('lets a stored key through and identifies it by its hash only', async () => {
    const response = await app.request('/', { headers: { Authorization: `Bearer ${API_KEY}` } }, env)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(await sha256Hex(API_KEY))
    expect(await env.API_KEYS.get(API_KEY)).toBeNull()
  })

  it.each([
    ['no header', {}],
    ['another scheme', { Authorization: `Basic ${API_KEY}` }],
    ['an unknown key', { Authorization: 'Bearer something-else' }],
  ])('answers 401 problem+json for %s', async (_, headers) => {
    const response = await app.request('/', { headers }, env)
    expect(response.status).toBe(401)
    expect(response.headers.get('Content-Type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({ code: 'unauthorized' })
  })
})
