import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { parseSettings } from './settings'

const parse = (overrides: Record<string, string | undefined>) => () => parseSettings({ ...env, ...overrides })

describe('parseSettings', () => {
  it('types the vars of wrangler.toml: numbers, flags, lists', () => {
    const settings = parseSettings({
      ...env,
      WORKER_URLS: ' http://127.0.0.1:8788 , https://gpu-2.example.net/ ',
      ALLOW_LOOPBACK_HTTP: 'false',
      WEBHOOK_RETRY_SCHEDULE: '5, 300,0.5',
    })
    expect(settings).toMatchObject({
      WORKER_URLS: ['http://127.0.0.1:8788', 'https://gpu-2.example.net/'],
      ALLOW_LOOPBACK_HTTP: false,
      WEBHOOK_RETRY_SCHEDULE: [5, 300, 0.5],
      JOB_ITEM_RETRY_BASE_SECONDS: 0,
    })
    expect(typeof settings.MAX_BODY_BYTES).toBe('number')
  })

  it.each([
    ['MAX_BODY_BYTES', '10 MiB'],
    ['WORKER_TIMEOUT_MS', ''],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['ALLOW_LOOPBACK_HTTP', 'yes'],
    ['WORKER_URLS', ' , '],
    ['WORKER_URLS', 'ftp://gpu.example.net'],
    ['PUBLIC_BASE_URL', 'https://api.example.com/v1'],
  ])('refuses %s = %j, naming it, instead of running with NaN', (name, value) => {
    expect(parse({ [name]: value })).toThrow(new RegExp(`^invalid edge settings: ${name}[.:\\d]*: `))
  })

  it('takes a demo page key on the local stack only, never where loopback http is off (a deployment)', () => {
    expect(parseSettings({ ...env, ALLOW_LOOPBACK_HTTP: 'true', DEMO_API_KEY: 'dev_1' }).DEMO_API_KEY).toBe(
      'dev_1',
    )
    expect(parse({ ALLOW_LOOPBACK_HTTP: 'false', DEMO_API_KEY: 'dev_1' })).toThrow(
      /DEMO_API_KEY: is for the local stack only/,
    )
    expect(parse({ ALLOW_LOOPBACK_HTTP: 'false', DEMO_API_KEY: undefined })).not.toThrow()
  })

  it('refuses a missing setting or secret', () => {
    expect(parse({ JOB_RETENTION_SECONDS: undefined })).toThrow(/JOB_RETENTION_SECONDS/)
    expect(parse({ UPLOAD_SIGNING_SECRET: '' })).toThrow(/UPLOAD_SIGNING_SECRET: the secret is not set/)
  })
})
