import { afterEach, describe, expect, it, vi } from 'vitest'
import { DEV_PROXY_LOST, edgeFetch } from './devProxy'

// The helper alone, on answers staged in place of the network; the stack's bursts are in jobs.e2e.test.ts.
describe('edgeFetch', () => {
  afterEach(() => vi.restoreAllMocks())
  const lost = () =>
    new Response(`${DEV_PROXY_LOST} Please try sending the request again.`, {
      status: 503,
      headers: { 'Retry-After': '0' },
    })
  const stage = (...answers: Response[]) => {
    const sent = vi.spyOn(globalThis, 'fetch')
    for (const answer of answers) sent.mockResolvedValueOnce(answer)
    return sent
  }
  const init = { method: 'PUT', body: new Uint8Array([1, 2, 3]) }

  it("sends again, with the same body, after wrangler dev's lost-request 503", async () => {
    const sent = stage(lost(), new Response(null, { status: 204 }))
    expect((await edgeFetch('http://127.0.0.1:9/u', init)).status).toBe(204)
    expect(sent.mock.calls).toEqual([
      ['http://127.0.0.1:9/u', init],
      ['http://127.0.0.1:9/u', init],
    ])
  })

  it("returns the edge's own 503 unread and unrepeated", async () => {
    const problem = { type: 'about:blank', title: 'No GPU worker available', status: 503 }
    const sent = stage(Response.json(problem, { status: 503, headers: { 'Retry-After': '5' } }))
    const answer = await edgeFetch('http://127.0.0.1:9/v1/explain', init)
    expect([answer.status, answer.headers.get('Retry-After'), await answer.json()]).toEqual([
      503,
      '5',
      problem,
    ])
    expect(sent).toHaveBeenCalledTimes(1)
  })

  it('sends again after a connection reset before any answer, and not after another network failure', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    const sent = vi.spyOn(globalThis, 'fetch')
    sent.mockRejectedValueOnce(reset).mockResolvedValueOnce(new Response(null, { status: 204 }))
    expect((await edgeFetch('http://127.0.0.1:9/u', init)).status).toBe(204)
    sent.mockReset().mockRejectedValueOnce(refused)
    await expect(edgeFetch('http://127.0.0.1:9/u', init)).rejects.toBe(refused)
    expect(sent).toHaveBeenCalledTimes(1)
  })

  it('gives up after the attempts it was given, returning the last answer', async () => {
    const sent = stage(lost(), lost(), lost())
    const answer = await edgeFetch('http://127.0.0.1:9/u', init, 2)
    expect([answer.status, (await answer.text()).startsWith(DEV_PROXY_LOST)]).toEqual([503, true])
    expect(sent).toHaveBeenCalledTimes(2)
  })
})
