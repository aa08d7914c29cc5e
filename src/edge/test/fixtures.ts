import { SELF } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { inject } from 'vitest'
import './providedContext'
import { sha256Hex } from '../crypto'
import { type EdgeSettings, parseSettings } from '../settings'

export const API_KEY = 'test-api-key'

/** The settings of the test project (vitest.config.ts), with some of them written differently. */
export const testSettings = (overrides: Record<string, string> = {}): EdgeSettings =>
  parseSettings({ ...env, ...overrides })

/** Stores the test key the way `npm start` does: only its hash. */
export async function seedApiKey(key = API_KEY) {
  await env.API_KEYS.put(
    await sha256Hex(key),
    JSON.stringify({ name: 'test', createdAt: new Date().toISOString() }),
  )
}

/** Bytes that pass the edge's JPEG sniffing; `tag` makes them (and their cache key) unique. */
export const jpeg = (tag: string) =>
  new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode(tag)])

export const standinUrl = () => inject('standinUrl')

/** Sets how the stand-in worker `name` behaves, and returns its call counts. */
export async function standin(name: string, state: Record<string, unknown> = {}) {
  const response = await fetch(`${standinUrl()}/control/${name}`, {
    method: 'POST',
    body: JSON.stringify(state),
  })
  return (await response.json()) as {
    calls: { explain: number; models: number; readyz: number; files: number }
    lastExplain?: { query: string; contentType: string; requestId: string; deadlineMs: string }
  }
}

/** `type: null` leaves the Content-Type to the body (multipart boundary). */
export function explain(body: BodyInit, init: { query?: string; type?: string | null; key?: string } = {}) {
  const headers = new Headers({ Authorization: `Bearer ${init.key ?? API_KEY}` })
  if (init.type !== null) headers.set('Content-Type', init.type ?? 'image/jpeg')
  return SELF.fetch(`https://edge.test/v1/explain${init.query ?? ''}`, { method: 'POST', body, headers })
}
