import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { formatIssues, quoted } from './issues'

describe('quoted', () => {
  it('quotes short input whole and cuts long input at 100 characters with an ellipsis', () => {
    expect(quoted('tiger')).toBe('"tiger"')
    expect(quoted(7)).toBe('7')
    expect(quoted('a'.repeat(5_000_000))).toBe(`"${'a'.repeat(100)}…"`)
  })

  it('never cuts a character in half', () => {
    expect(quoted(`${'a'.repeat(99)}😀😀`)).toBe(`"${'a'.repeat(99)}…"`)
  })
})

describe('formatIssues', () => {
  const strict = z.object({ topK: z.number() }).strict()

  it('names the path and the message of each issue', () => {
    const error = strict.safeParse({ topK: 'x' }).error as z.ZodError
    expect(formatIssues(error, 'options')).toBe('topK: Invalid input: expected number, received string')
  })

  it('quotes at most a little of unknown keys, and of a few of them', () => {
    const huge = 'k'.repeat(1_000_000)
    const error = strict.safeParse({ topK: 1, [huge]: 1 }).error as z.ZodError
    const text = formatIssues(error, 'options')
    expect(text).toBe(`options: Unrecognized key: "${'k'.repeat(100)}…"`)
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, 1]))
    const listed = formatIssues(strict.safeParse({ topK: 1, ...many }).error as z.ZodError)
    expect(listed).toBe('(root): Unrecognized keys: "key0", "key1", "key2", "key3", "key4" and 995 more')
  })

  it('bounds the number of issues and the length of paths', () => {
    const record = z.record(z.string(), z.number())
    const value = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${'p'.repeat(10_000)}${i}`, 'x']))
    const text = formatIssues(record.safeParse(value).error as z.ZodError)
    expect(text.length).toBeLessThan(1500)
    expect(text).toMatch(/; and 45 more issues$/)
  })
})
