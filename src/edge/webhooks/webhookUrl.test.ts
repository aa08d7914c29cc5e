import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../shared/problem'
import { checkWebhookUrl } from './webhookUrl'

describe('checkWebhookUrl', () => {
  it('accepts public https URLs', () => {
    expect(checkWebhookUrl('https://hooks.example.com/t-tame', false).hostname).toBe('hooks.example.com')
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
    expect(() => checkWebhookUrl(url, false)).toThrow(ProblemError)
  })

  it('allows http to loopback only when the local stack says so', () => {
    expect(() => checkWebhookUrl('http://127.0.0.1:9000/hook', false)).toThrow(ProblemError)
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', true).port).toBe('9000')
    expect(() => checkWebhookUrl('http://10.0.0.8/hook', true)).toThrow(ProblemError)
  })
})
