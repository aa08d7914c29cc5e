import { describe, expect, it } from 'vitest'
import { imageBlob } from './image'

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

const stream = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.subarray(0, 2))
      controller.enqueue(bytes.subarray(2))
      controller.close()
    },
  })

describe('imageBlob', () => {
  it.each([
    ['a Uint8Array', () => JPEG],
    ['an ArrayBuffer', () => JPEG.slice().buffer],
    ['a Node Buffer', () => Buffer.from(JPEG)],
    ['a Blob', () => new Blob([JPEG])],
    ['a ReadableStream', () => stream(JPEG)],
  ])('reads %s whole and types it by its bytes', async (_, input) => {
    const blob = await imageBlob(input())
    expect(blob.type).toBe('image/jpeg')
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(JPEG)
  })

  it('trusts the bytes over a declared type, and the declared type over nothing', async () => {
    expect((await imageBlob(new Blob([PNG], { type: 'image/jpeg' }))).type).toBe('image/png')
    expect((await imageBlob(new Blob(['text'], { type: 'image/heic' }))).type).toBe('image/heic')
    expect((await imageBlob(new Uint8Array([1, 2, 3]))).type).toBe('application/octet-stream')
  })
})
