import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ModelListEntry } from '../../shared/contract'
import { API_KEY, seedApiKey, testSettings } from '../test/fixtures'
import { publicUrl } from './publicUrl'

beforeAll(() => seedApiKey())

describe('publicUrl', () => {
  it.each<[string, '' | `/${string}`, string]>([
    ['https://api.example.com', '/v1/jobs/1', 'https://api.example.com/v1/jobs/1'],
    ['https://api.example.com/', '/v1/jobs/1', 'https://api.example.com/v1/jobs/1'],
    ['http://127.0.0.1:8787', '/uploads/u?a=1', 'http://127.0.0.1:8787/uploads/u?a=1'],
    ['https://API.example.com:443', '', 'https://api.example.com'],
  ])('joins %s and %s', (base, path, expected) => {
    expect(publicUrl(testSettings({ PUBLIC_BASE_URL: base }), path)).toBe(expected)
  })

  it.each([
    '',
    'api.example.com',
    'ftp://api.example.com',
    'https://api.example.com/prefix',
    'https://api.example.com?x=1',
    'https://user:pw@api.example.com',
  ])('refuses PUBLIC_BASE_URL %j: it must be an http(s) origin', (base) => {
    expect(() => testSettings({ PUBLIC_BASE_URL: base })).toThrow(/PUBLIC_BASE_URL/)
  })
})

describe('public links', () => {
  it('links models under PUBLIC_BASE_URL whatever Host the request names', async () => {
    const response = await SELF.fetch('https://evil.example/v1/models?labels=false', {
      headers: { Authorization: `Bearer ${API_KEY}`, Host: 'evil.example' },
    })
    const { models } = (await response.json()) as { models: ModelListEntry[] }
    expect(models.map((m) => m.labelsUrl)).toEqual([
      'https://edge.test/v1/models/test-cnn@1.0.0',
      'https://edge.test/v1/models/test-imagenet@2.0.0',
    ])
  })
})
