import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../shared/problem'
import { parseExplainQuery } from './explainQuery'

describe('parseExplainQuery', () => {
  it('applies the shared defaults', () => {
    expect(parseExplainQuery({})).toEqual({ topK: 3, overlay: false, overlayFormat: 'webp' })
  })

  it('turns query strings into typed options; classes are ids, resolved by the edge', () => {
    expect(
      parseExplainQuery({
        model: 'cifar10-cnn@1.0.0',
        topK: '5',
        classes: '3,10',
        overlay: 'true',
        overlayFormat: 'jpeg',
        overlayMaxSide: '512',
      }),
    ).toEqual({
      model: 'cifar10-cnn@1.0.0',
      topK: 5,
      classes: [3, 10],
      overlay: true,
      overlayFormat: 'jpeg',
      overlayMaxSide: 512,
    })
  })

  it.each([
    [{ classes: '["hen, rooster"' }],
    [{ classes: '[true]' }],
    [{ classes: 'cat' }],
    [{ classes: '3, 5' }],
    [{ topK: '0' }],
    [{ topK: '11' }],
    [{ topK: 'three' }],
    [{ overlay: 'yes' }],
    [{ overlayFormat: 'gif' }],
    [{ overlayMaxSide: '15' }],
    [{ overlayMaxSide: '1e3' }],
    [{ classes: '' }],
    [{ classes: Array.from({ length: 11 }, (_, i) => i).join(',') }],
    [{ model: 'Bad Model' }],
    [{ colour: 'red' }],
  ])('answers bad_options for %o', (query) => {
    expect(() => parseExplainQuery(query)).toThrow(ProblemError)
    expect(() => parseExplainQuery(query)).toThrow(
      expect.objectContaining({ code: 'bad_options', status: 400 }),
    )
  })
})
