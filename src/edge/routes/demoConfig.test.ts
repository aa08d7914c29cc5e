import { SELF } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { app } from '../app'

describe('GET /demo/config', () => {
  it('hands the page no key where none is set (a deployed edge): the page asks its visitor', async () => {
    const response = await SELF.fetch('https://edge.test/demo/config')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(response.headers.get('Cache-Control')).toBe('no-store')
  })

  it('hands the page the development key that npm start sets', async () => {
    const response = await app.request('/demo/config', {}, { ...env, DEMO_API_KEY: 'dev_abc' })
    expect(await response.json()).toEqual({ apiKey: 'dev_abc' })
  })
})
