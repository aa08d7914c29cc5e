import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  classIdsOf,
  explainOptionsFromText,
  explainOptionsSchema,
  workerExplainQuerySchema,
  workerExplainQueryText,
} from './contract'

const imagenet = {
  id: 'resnet50-imagenet',
  numClasses: 1000,
  labels: Object.assign(
    Array.from({ length: 1000 }, (_, i) => `class ${i}`),
    { 8: 'hen, rooster', 134: 'crane', 282: 'tiger cat', 517: 'crane' },
  ),
}

describe('classIdsOf', () => {
  it('names classes by id and by exact label, in the order asked', () => {
    expect(classIdsOf(imagenet, ['tiger cat', 134, 'hen, rooster', 999])).toEqual({ ids: [282, 134, 8, 999] })
  })

  it('refuses a label that several classes share, listing their ids', () => {
    expect(classIdsOf(imagenet, [3, 'crane'])).toEqual({
      refused: 'Label "crane" names classes 134 and 517 of resnet50-imagenet; ask by id.',
    })
    const thrice = { ...imagenet, labels: Object.assign([...imagenet.labels], { 600: 'crane' }) }
    expect(classIdsOf(thrice, ['crane'])).toMatchObject({
      refused: expect.stringContaining('134, 517 and 600'),
    })
  })

  it('refuses labels it does not have (no trimming, no case folding) and ids beyond the model', () => {
    for (const ref of ['tiger cat ', 'Tiger cat', 'hen', 1000]) {
      expect(classIdsOf(imagenet, [ref])).toMatchObject({
        refused: expect.stringMatching(
          `^Model resnet50-imagenet has no class ${JSON.stringify(ref)} \\(ids 0\\.\\.999`,
        ),
      })
    }
  })

  it('says which labels there are: all of a small model, a few and where to find the rest otherwise', () => {
    const cifar = { id: 'cifar10-cnn', numClasses: 3, labels: ['airplane', 'cat', 'dog'] }
    expect(classIdsOf(cifar, ['tiger'])).toEqual({
      refused:
        'Model cifar10-cnn has no class "tiger" (ids 0..2; labels "airplane", "cat", "dog"; ' +
        'GET /v1/models/cifar10-cnn lists them).',
    })
    expect(classIdsOf(imagenet, ['Tiger cat'])).toEqual({
      refused:
        'Model resnet50-imagenet has no class "Tiger cat" (ids 0..999; labels like it: "tiger cat"; ' +
        'GET /v1/models/resnet50-imagenet lists all 1000).',
    })
    expect(classIdsOf(imagenet, ['unicorn'])).toEqual({
      refused:
        'Model resnet50-imagenet has no class "unicorn" (ids 0..999; labels "class 0", "class 1", "class 2", ' +
        '"class 3", "class 4", …; GET /v1/models/resnet50-imagenet lists all 1000).',
    })
  })
})

describe('explainOptionsFromText', () => {
  const classesOf = (classes: string | string[]) => explainOptionsFromText({ classes }).classes

  it('reads classes comma-separated, trimmed, digits as ids; repeated values concatenate', () => {
    expect(classesOf('3, tiger cat ,cat')).toEqual([3, 'tiger cat', 'cat'])
    expect(classesOf(['tiger cat', '5', '1,2'])).toEqual(['tiger cat', 5, 1, 2])
  })

  it('reads a value starting with `[` as a JSON array, so labels may hold commas', () => {
    expect(classesOf(' ["hen, rooster", "tiger cat", 3, "3"]')).toEqual(['hen, rooster', 'tiger cat', 3, '3'])
    expect(classesOf(['["hen, rooster"]', 'tiger cat,5', '[134]'])).toEqual([
      'hen, rooster',
      'tiger cat',
      5,
      134,
    ])
  })

  it('leaves JSON arrays of other things, and JSON that does not parse, for the schema to refuse', () => {
    for (const classes of [
      '[true]',
      '[1.5]',
      '[-1]',
      '[["a"]]',
      '[{"a":1}]',
      '["hen, rooster"',
      '[]',
      ['3', '[3'],
    ]) {
      const parsed = explainOptionsSchema.safeParse(explainOptionsFromText({ classes }))
      expect(parsed.success, JSON.stringify(classes)).toBe(false)
    }
    expect(
      explainOptionsSchema.safeParse(explainOptionsFromText({ classes: '[3' })).error?.issues,
    ).toMatchObject([{ path: ['classes'], message: 'expected a list of class ids or labels' }])
  })

  it('keeps field names of the object prototype as unknown options, for the schema to refuse', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const fields = Object.assign(Object.create(null) as Record<string, string>, { [name]: '1' })
      const typed = explainOptionsFromText(fields)
      expect(Object.hasOwn(typed, name), name).toBe(true)
      const parsed = explainOptionsSchema.safeParse(typed)
      expect(parsed.error?.issues, name).toMatchObject([{ code: 'unrecognized_keys', keys: [name] }])
    }
  })

  it('gives back any list of ids and labels written as a JSON array', () => {
    const ref = fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 100 }))
    fc.assert(
      fc.property(fc.array(ref, { minLength: 1, maxLength: 10 }), (classes) => {
        expect(classesOf(JSON.stringify(classes))).toEqual(classes)
      }),
    )
  })
})

describe('workerExplainQuerySchema: the edge → worker query', () => {
  it('reads back what it writes, leaving out what is absent', () => {
    const query = {
      model: 'cifar10-cnn@1.3.0',
      topK: 5,
      classes: [3, 7],
      overlay: true,
      overlayFormat: 'png' as const,
      overlayMaxSide: 512,
    }
    const text = workerExplainQueryText(query)
    expect(text.toString()).toBe(
      'model=cifar10-cnn%401.3.0&topK=5&overlay=true&classes=3%2C7&overlayFormat=png&overlayMaxSide=512',
    )
    expect(workerExplainQuerySchema.parse(Object.fromEntries(text))).toEqual(query)
    expect(
      workerExplainQueryText({
        topK: 3,
        classes: undefined,
        overlay: false,
        overlayFormat: 'webp',
      }).toString(),
    ).toBe('topK=3&overlay=false&overlayFormat=webp')
  })

  it('carries class ids only: labels are resolved at the edge', () => {
    for (const classes of ['cat', '3,cat', '["hen, rooster"]', '3, 5', '']) {
      expect(workerExplainQuerySchema.safeParse({ classes }).success, classes).toBe(false)
    }
  })
})
