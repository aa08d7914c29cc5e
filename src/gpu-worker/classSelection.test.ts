import { describe, expect, it } from 'vitest'
import { selectClasses } from './classSelection'

const manifest = {
  id: 'resnet50-imagenet',
  numClasses: 1000,
  labels: Object.assign(
    Array.from({ length: 1000 }, (_, i) => `class ${i}`),
    { 134: 'crane', 282: 'tiger cat', 517: 'crane' },
  ),
}
const options = { topK: 3 }

describe('selectClasses', () => {
  it('asks the graph for its own top-k by rank when no classes are named', () => {
    expect(selectClasses(options, manifest)).toEqual([-1, -2, -3])
  })

  it('names classes by exact label or id, in the order asked', () => {
    expect(selectClasses({ ...options, classes: ['tiger cat', 517] }, manifest)).toEqual([282, 517])
  })

  it('refuses a label two classes share with bad_options listing their ids', () => {
    expect(() => selectClasses({ ...options, classes: ['crane'] }, manifest)).toThrow(
      expect.objectContaining({
        code: 'bad_options',
        status: 400,
        message: 'Label "crane" names classes 134 and 517 of resnet50-imagenet; ask by id.',
      }),
    )
  })
})
