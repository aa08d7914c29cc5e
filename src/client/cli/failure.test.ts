import { describe, expect, it } from 'vitest'
import { NetworkError, ProblemError } from '../errors'
import { describeFailure, EXIT, UsageError } from './failure'

const problem = (status: number) =>
  new ProblemError({ type: 'about:blank', title: 'Refused', status }, { requestId: 'r1' })

describe('describeFailure', () => {
  it.each([
    ['a usage error', new UsageError('Name one image.'), EXIT.usage],
    ['a missing file', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), EXIT.usage],
    ['a refused key', problem(401), EXIT.auth],
    ['a forbidden call', problem(403), EXIT.auth],
    ['a refused input', problem(415), EXIT.refused],
    ['a rate limit outlasting the retries', problem(429), EXIT.network],
    ['a server error', problem(503), EXIT.network],
    ['an unreachable API', new NetworkError('GET x failed', { timedOut: false }), EXIT.network],
    ['anything else', new Error('bug'), EXIT.failed],
  ])('gives %s its exit status', (_, error, exitCode) => {
    expect(describeFailure(error).exitCode).toBe(exitCode)
  })

  it('names the request id and what to check', () => {
    expect(describeFailure(problem(401)).message).toBe(
      'Refused (HTTP 401, request r1)\nCheck --key or T_TAME_API_KEY.',
    )
  })
})
