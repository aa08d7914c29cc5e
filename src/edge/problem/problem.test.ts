import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Problem } from '../../shared/contract'
import { API_KEY, seedApiKey } from '../test/fixtures'

beforeAll(() => seedApiKey())

const call = (method: string, path: string) =>
  SELF.fetch(`https://edge.test${path}`, { method, headers: { Authorization: `Bearer ${API_KEY}` } })

describe('a known path with a method it does not serve', () => {
  it.each([
    ['GET', '/v1/explain', 'POST'],
    ['DELETE', '/v1/models', 'GET, HEAD'],
    ['POST', '/v1/models/test-cnn', 'GET, HEAD'],
    ['GET', '/v1/uploads', 'POST'],
    ['GET', '/v1/jobs', 'POST'],
    ['PATCH', '/v1/jobs/job_123', 'DELETE, GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['GET', '/uploads/upl_AAAAAAAAAAAAAAAAAAAAAA', 'PUT'],
  ])('%s %s is 405 problem+json with Allow: %s', async (method, path, allow) => {
    const response = await call(method, path)
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe(allow)
    expect(response.headers.get('Content-Type')).toBe('application/problem+json')
    const problem = await response.json<Problem>()
    expect(problem).toMatchObject({ status: 405, code: 'method_not_allowed' })
    expect(problem.detail).toContain(allow)
    expect(problem.requestId).toBe(response.headers.get('X-Request-Id'))
  })

  it('leaves unknown paths 404, whatever the method', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await call(method, '/v1/nothing-here')
      expect(response.status).toBe(404)
      expect(response.headers.get('Allow')).toBeNull()
      expect(await response.json<Problem>()).toMatchObject({ code: 'not_found' })
    }
  })

  it('quotes at most a little of a long unknown path', async () => {
    const response = await call('GET', `/${'x'.repeat(20_000)}`)
    expect(response.status).toBe(404)
    expect((await response.text()).length).toBeLessThan(1000)
  })
})
