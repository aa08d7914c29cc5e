import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress } from './progress'

function sink() {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

describe('createProgress', () => {
  it('redraws a bar in place, keeps notes above it and ends each phase on its own line', () => {
    const { stream, text } = sink()
    const progress = createProgress('bar', stream)
    progress.update('uploads', 0, 4)
    progress.note('job j1: webhook secret whsec_x')
    progress.update('uploads', 4, 4)
    progress.update('items', 4, 4, 1)
    expect(text()).toBe(
      'uploads  [------------------------] 0/4' +
        '\r\x1b[2Kjob j1: webhook secret whsec_x\nuploads  [------------------------] 0/4' +
        '\r\x1b[2Kuploads  [########################] 4/4\n' +
        'items    [########################] 4/4  failed 1\n',
    )
  })

  it('prints plain lines without control characters, and nothing at all for none', () => {
    const plain = sink()
    const progress = createProgress('plain', plain.stream)
    progress.update('items', 0, 2)
    progress.update('items', 2, 2, 1)
    expect(plain.text()).toBe('items 0/2\nitems 2/2  failed 1\n')

    const none = sink()
    createProgress('none', none.stream).update('items', 1, 2)
    expect(none.text()).toBe('')
  })
})
