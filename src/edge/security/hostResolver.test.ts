import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import '../test/providedContext'
import { ResolutionCache, resolveHost } from './hostResolver'

const resolverUrl = `${inject('standinUrl')}/dns-query`

describe('ResolutionCache', () => {
  it('keeps an answer for its TTL, at most a minute, and forgets the oldest name past its size', () => {
    let now = 0
    const cache = new ResolutionCache(() => now)
    cache.set('short', ['93.184.216.34'], 5)
    cache.set('long', ['93.184.216.35'], 3600)
    cache.set('zero', ['93.184.216.36'], 0)
    expect(cache.get('short')).toEqual(['93.184.216.34'])
    expect(cache.get('zero')).toBeUndefined()
    now = 5000
    expect(cache.get('short')).toBeUndefined()
    expect(cache.get('long')).toEqual(['93.184.216.35'])
    now = 60_000
    expect(cache.get('long')).toBeUndefined()
    for (let i = 0; i <= 512; i++) cache.set(`name-${i}`, ['93.184.216.34'], 60)
    expect(cache.get('name-0')).toBeUndefined()
    expect(cache.get('name-1')).toEqual(['93.184.216.34'])
  })
})

describe('resolveHost', () => {
  afterEach(() => vi.restoreAllMocks())

  it('asks the resolver once per name while its answer lives, and again for a name that failed', async () => {
    const asked = vi.spyOn(globalThis, 'fetch')
    const cache = new ResolutionCache()
    for (let i = 0; i < 3; i++) {
      expect(await resolveHost('public.example', resolverUrl, undefined, cache)).toEqual({
        addresses: ['93.184.216.34'],
      })
    }
    expect(asked).toHaveBeenCalledTimes(2) // A and AAAA, once
    for (let i = 0; i < 2; i++) {
      expect(await resolveHost('servfail.example', resolverUrl, undefined, cache)).toHaveProperty(
        'unresolved',
      )
    }
    expect(asked).toHaveBeenCalledTimes(6)
  })

  it('shares a lookup under way: a burst for one new name asks once, and a caller past its deadline leaves the rest', async () => {
    const asked = vi.spyOn(globalThis, 'fetch')
    const cache = new ResolutionCache()
    const expired = AbortSignal.timeout(20) // the stand-in answers slow.example after 300 ms
    const burst = await Promise.all([
      resolveHost('slow.example', resolverUrl, expired, cache),
      ...Array.from({ length: 4 }, () => resolveHost('slow.example', resolverUrl, undefined, cache)),
    ])
    expect(burst[0]).toEqual({
      unresolved: 'The name "slow.example" could not be resolved (no answer in time).',
    })
    for (const resolution of burst.slice(1)) expect(resolution).toEqual({ addresses: ['93.184.216.37'] })
    expect(asked).toHaveBeenCalledTimes(2) // A and AAAA, once for all five
    expect(await resolveHost('slow.example', resolverUrl, AbortSignal.timeout(20), cache)).toEqual({
      addresses: ['93.184.216.37'],
    })
  })
})
