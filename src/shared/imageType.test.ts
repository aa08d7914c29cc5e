import { describe, expect, it } from 'vitest'
import { imageTypeOf, sniffImageType } from './imageType'
import { ProblemError } from './problem'

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
    ['image/tiff', bytes('II*\0', [8, 0, 0, 0])],
    ['image/tiff', bytes('MM\0*', [0, 0, 0, 8])],
    ['image/bmp', bytes('BM', [0x3a, 0, 0, 0, 0, 0, 0, 0], new Array(16).fill(0))],
    ['image/svg+xml', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['image/svg+xml', bytes([0xef, 0xbb, 0xbf], '<?xml version="1.0"?>\n<svg width="1">')],
    [undefined, bytes('%PDF-1.7')],
    [undefined, bytes('BMW photographs, 26 characters or more')],
    [undefined, bytes('this is not a photograph')],
  ])('recognises %s', (type, data) => {
    expect(sniffImageType(data)).toBe(type)
  })
})

describe('imageTypeOf: the decision the edge and the worker both make', () => {
  const problemOf = (data: Uint8Array, notAnImage?: string) => {
    try {
      imageTypeOf(data, notAnImage)
    } catch (error) {
      if (error instanceof ProblemError) return error
    }
    throw new Error('no problem raised')
  }

  it('answers the type of the formats the API decodes', () => {
    expect(imageTypeOf(bytes([0x89], 'PNG\r\n\x1a\n'))).toBe('image/png')
  })

  it('answers 415 for formats it knows and does not decode, with a JPEG hint for HEIC', () => {
    expect(problemOf(bytes([0, 0, 0, 0x18], 'ftypheic'))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
      detail: expect.stringMatching(/send JPEG/),
    })
    expect(problemOf(bytes('II*\0', [8, 0, 0, 0]))).toMatchObject({
      status: 415,
      detail: 'image/tiff is not supported: send a JPEG, PNG, WebP, GIF or AVIF image.',
    })
  })

  it('answers 422 undecodable_image for bytes that are no image, in the words given', () => {
    expect(problemOf(bytes('this is not a photograph'))).toMatchObject({
      status: 422,
      code: 'undecodable_image',
      detail: 'The body is not a JPEG, PNG, WebP, GIF or AVIF image.',
    })
    expect(problemOf(bytes('<p>'), 'The imageUrl served HTML.').detail).toBe('The imageUrl served HTML.')
  })
})
