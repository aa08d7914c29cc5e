import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Problem } from '../../../shared/contract'
import { API_KEY, seedApiKey } from '../../test/fixtures'

beforeAll(() => seedApiKey())

const post = (path: string, type: string) =>
  SELF.fetch(`https://edge.test${path}`, {
    method: 'POST',
    body: '{}',
    headers: { 'Content-Type': type, Authorization: `Bearer ${API_KEY}` },
  })

describe('JSON bodies of every route, by any valid spelling of their Content-Type', () => {
  it.each([
    ['/v1/uploads', 'application/json;'],
    ['/v1/uploads', 'application/json ; charset=utf-8'],
    ['/v1/jobs', 'application/json;'],
    ['/v1/jobs', 'Application/JSON ;charset="utf-8"'],
  ])('reads a POST %s sent as %s (its schema answers, not a 415)', async (path, type) => {
    const response = await post(path, type)
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'bad_options' })
  })

  it('still refuses what is no JSON', async () => {
    expect((await post('/v1/jobs', 'text/plain')).status).toBe(415)
    expect((await post('/v1/jobs', 'application/json garbage')).status).toBe(415)
  })
})
