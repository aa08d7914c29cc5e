import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../shared/problem'
import { checkImage } from './imageType'

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)))

describe('checkImage', () => {
  const png = bytes([0x89], 'PNG\r\n\x1a\n')

  it('forwards the type the bytes have, whatever generic type was declared', () => {
    expect(checkImage(png, 'application/octet-stream')).toBe('image/png')
    expect(checkImage(png, 'image/jpeg')).toBe('image/png')
  })

  it('answers 415 with a JPEG hint for HEIC, declared or sniffed', () => {
    for (const [data, type] of [
      [png, 'image/heic'],
      [bytes([0, 0, 0, 0x18], 'ftypmif1'), 'image/jpeg'],
    ] as const) {
      const error = (() => {
        try {
          checkImage(data, type)
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(ProblemError)
      expect(error).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
        detail: expect.stringMatching(/JPEG/),
      })
    }
  })
})
