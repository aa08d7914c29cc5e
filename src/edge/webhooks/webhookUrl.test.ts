import { describe, expect, it } from 'vitest'
import { webhookUrlRefusal } from './webhookUrl'

describe('webhookUrlRefusal', () => {
  it('accepts public https URLs', () => {
    expect(webhookUrlRefusal('https://hooks.example.com/t-tame', false)).toBeUndefined()
  })

  it.each([
    'http://hooks.example.com/',
    'https://127.0.0.1/',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.8/hook',
    'https://[::1]/hook',
    'https://[::127.0.0.1]/hook',
    'https://[2002:a9fe:a9fe::1]/hook',
    'https://[fec0::1]/hook',
    'https://localhost../hook',
    'https://metadata.google.internal/',
    'https://user:pass@hooks.example.com/',
    'ftp://hooks.example.com/',
  ])('rejects %s', (url) => {
    expect(webhookUrlRefusal(url, false)).toEqual(expect.any(String))
  })

  it('allows http to loopback only when the local stack says so', () => {
    expect(webhookUrlRefusal('http://127.0.0.1:9000/hook', false)).toEqual(expect.any(String))
    expect(webhookUrlRefusal('http://127.0.0.1:9000/hook', true)).toBeUndefined()
    expect(webhookUrlRefusal('http://10.0.0.8/hook', true)).toEqual(expect.any(String))
  })
})
