import { describe, expect, it } from 'vitest'
import { topPredictions } from './predictions'

describe('topPredictions', () => {
  it('returns the k most probable classes, highest first, with softmax scores and labels', () => {
    const logits = Float32Array.from([1, 3, 2, 0])
    const top = topPredictions(logits, ['a', 'b', 'c', 'd'], 2)
    const z = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(0)
    expect(top.map((p) => [p.classId, p.label])).toEqual([
      [1, 'b'],
      [2, 'c'],
    ])
    expect(top[0]?.score).toBeCloseTo(Math.exp(3) / z, 6)
    expect(top[1]?.score).toBeCloseTo(Math.exp(2) / z, 6)
  })

  it('stays finite for large logits', () => {
    const top = topPredictions(Float32Array.from([1000, 999]), ['a', 'b'], 2)
    expect(top[0]?.score).toBeCloseTo(1 / (1 + Math.exp(-1)), 6)
  })
})
