import { ProblemError } from '../../shared/problem'

export const payloadTooLarge = (maxBytes: number) =>
  new ProblemError('payload_too_large', `The body limit is ${maxBytes} bytes.`)

/**
 * The body length a request declares: its Content-Length, unless it is chunked (Transfer-Encoding wins, RFC 9112
 * §6.3) or has none; undefined means the length is known only once the body has been read.
 */
export function declaredLength(request: { header(name: string): string | undefined }): number | undefined {
  const length = request.header('Content-Length')
  return length === undefined || request.header('Transfer-Encoding') !== undefined
    ? undefined
    : Number(length)
}
