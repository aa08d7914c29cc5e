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

  // Labels are resolved once, at the edge (src/edge/models/modelCatalog.test.ts); the worker gets ids.
  it('names classes by id, in the order asked', () => {
    expect(selectClasses({ ...options, classes: [282, 517] }, manifest)).toEqual([282, 517])
  })

  it('refuses an id beyond the model with bad_options', () => {
    expect(() => selectClasses({ ...options, classes: [3, 1000] }, manifest)).toThrow(
      expect.objectContaining({
        code: 'bad_options',
        status: 400,
        message: expect.stringMatching(/^Model resnet50-imagenet has no class 1000 \(ids 0\.\.999/),
      }),
    )
  })
})
