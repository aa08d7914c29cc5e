import { describe, expect, it } from 'vitest'
import { sniffImageType } from '../../shared/imageType'
import { ProblemError } from '../../shared/problem'
import { checkImage } from './imageType'

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)))

describe('sniffImageType', () => {
  it.each([
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe1])],
    ['image/png', bytes([0x89], 'PNG\r\n\x1a\n')],
    ['image/gif', bytes('GIF89a')],
    ['image/webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['image/avif', bytes([0, 0, 0, 0x1c], 'ftypavif')],
    ['image/avif', bytes([0, 0, 0, 0x18], 'ftypmif1', [0, 0, 0, 0], 'mif1avif')],
    ['image/heic', bytes([0, 0, 0, 0x18], 'ftypheic')],
    [undefined, bytes('%PDF-1.7')],
  ])('recognises %s', (type, data) => {
    expect(sniffImageType(data)).toBe(type)
  })
})

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
